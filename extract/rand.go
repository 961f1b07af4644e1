package extract

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/schema"
)

// recordingRand hands the VM the chain's randomness for execution on top of
// one tipset and records, per (kind, epoch) drawn, the chain's randomness
// digest: the form vectors store, from which the runner re-derives every
// draw. Each draw is checked to be reproducible from the digest, so a
// vector never records randomness that replays differently.
type recordingRand struct {
	src   chain.Source
	key   chain.TipSetKey
	round func(abi.ChainEpoch) uint64
	rec   *randRecords
}

// randRecords collects digests across the tipsets of one vector; a vector
// holds one digest per (kind, epoch), so two tipsets disagreeing on one is
// an error.
type randRecords struct {
	mu      sync.Mutex
	digests map[randKey][32]byte
}

type randKey struct {
	kind  string
	epoch abi.ChainEpoch
}

func newRandRecords() *randRecords { return &randRecords{digests: map[randKey][32]byte{}} }

func (r *randRecords) forTipset(src chain.Source, key chain.TipSetKey, round func(abi.ChainEpoch) uint64) *recordingRand {
	return &recordingRand{src: src, key: key, round: round, rec: r}
}

// ChainRandomness implements vm.Rand.
func (r *recordingRand) ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	v, err := r.src.ChainRandomness(ctx, r.key, dst, epoch, entropy)
	if err != nil {
		return nil, err
	}
	return v, r.record(ctx, chain.RandomnessChain, dst, epoch, entropy, v)
}

// BeaconRandomness implements vm.Rand.
func (r *recordingRand) BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	v, err := r.src.BeaconRandomness(ctx, r.key, dst, epoch, entropy)
	if err != nil {
		return nil, err
	}
	return v, r.record(ctx, chain.RandomnessBeacon, dst, epoch, entropy, v)
}

func (r *recordingRand) record(ctx context.Context, kind string, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy, value []byte) error {
	d, err := chain.RandomnessDigest(ctx, r.src, r.key, kind, epoch, r.round)
	if err != nil {
		return fmt.Errorf("record %s randomness: %w", kind, err)
	}
	if !chain.VerifyDigest(d, dst, epoch, entropy, value) {
		return fmt.Errorf("record %s randomness at epoch %d: the source's draw is not derived from the chain's digest %x, so a vector could not replay it", kind, epoch, d)
	}
	k := randKey{kind: kind, epoch: epoch}
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	if old, ok := r.rec.digests[k]; ok && old != d {
		return fmt.Errorf("record %s randomness at epoch %d: two digests (%x, %x) in one vector", kind, epoch, old, d)
	}
	r.rec.digests[k] = d
	return nil
}

// records returns the digests in vector form, sorted by kind then epoch.
func (r *randRecords) records() []schema.RandomnessRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]randKey, 0, len(r.digests))
	for k := range r.digests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].epoch < keys[j].epoch
	})
	out := make([]schema.RandomnessRecord, 0, len(keys))
	for _, k := range keys {
		d := r.digests[k]
		out = append(out, schema.RandomnessRecord{Kind: k.kind, Digest: true, Epoch: int64(k.epoch), Return: d[:]})
	}
	return out
}
