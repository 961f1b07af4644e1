package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"golang.org/x/crypto/blake2b"
)

// Randomness kinds, spelled as vectors spell them.
const (
	RandomnessChain  = "chain"
	RandomnessBeacon = "beacon"
)

// RandomnessDigest returns the digest from which every draw of one kind
// at one epoch is derived while executing on top of tipset key: blake2b-256
// of the minimum ticket's VRF proof (chain) or of the beacon entry's data
// (beacon), found by the same lookback rules as ChainRandomness and
// BeaconRandomness. It needs only block headers, so it works over any
// Source; round maps an epoch to its drand round from network version 14
// (nil: a CARSource's or BlockSource's configured map, else the round the
// chain's own beacon entries give the epoch).
//
// Vectors record randomness in this digest form. A caller that also has
// the source's own draw should check that DrawRandomness reproduces it
// (VerifyDigest), since a node may follow rules this package does not.
func RandomnessDigest(ctx context.Context, src Source, key TipSetKey, kind string, epoch abi.ChainEpoch, round func(abi.ChainEpoch) uint64) ([32]byte, error) {
	var zero [32]byte
	lookup := epoch
	if lookup < 0 {
		lookup = 0
	}
	nv, err := src.NetworkVersion(ctx, lookup)
	if err != nil {
		return zero, fmt.Errorf("%s randomness digest at %d: %w", kind, epoch, err)
	}
	if round == nil {
		if s, ok := src.(interface {
			beaconRounds() func(abi.ChainEpoch) uint64
		}); ok {
			round = s.beaconRounds()
		}
	}
	w := newWalker(src, func(abi.ChainEpoch) network.Version { return nv }, src.Head)
	base, err := w.randomnessBase(ctx, key, kind, epoch, nv, round)
	if err != nil {
		return zero, fmt.Errorf("%s randomness digest at %d: %w", kind, epoch, err)
	}
	return blake2b.Sum256(base), nil
}

// randomnessBase finds the bytes whose hash is the digest: the ticket or
// beacon entry chainRandomness and beaconRandomness would draw from.
func (w *walker) randomnessBase(ctx context.Context, key TipSetKey, kind string, epoch abi.ChainEpoch, nv network.Version, round func(abi.ChainEpoch) uint64) ([]byte, error) {
	switch kind {
	case RandomnessChain:
		ts, err := w.randTipSet(ctx, key, epoch, !w.rules(nv).ForwardTicketRandomness)
		if err != nil {
			return nil, err
		}
		t := ts.MinTicketBlock().Ticket
		if t == nil {
			return nil, fmt.Errorf("block %s at %d has no ticket", ts.Cids()[0], ts.Height())
		}
		return t.VRFProof, nil
	case RandomnessBeacon:
		if w.rules(nv).BeaconRoundRandomness && epoch >= 0 {
			var r uint64
			if round != nil {
				r = round(epoch)
			} else {
				var err error
				if r, err = w.beaconRoundOf(ctx, key, epoch); err != nil {
					return nil, err
				}
			}
			e, err := w.beaconEntryOfRound(ctx, key, epoch, r)
			if err != nil {
				return nil, err
			}
			return e.Data, nil
		}
		ts, err := w.randTipSet(ctx, key, epoch, !w.rules(nv).ForwardBeaconRandomness)
		if err != nil {
			return nil, err
		}
		e, err := w.latestBeaconEntry(ctx, ts)
		if err != nil {
			return nil, err
		}
		return e.Data, nil
	}
	return nil, fmt.Errorf("unknown randomness kind %q", kind)
}

// VerifyDigest reports whether drawing from digest gives want: the check
// that a recorded digest replays the value the source handed out.
func VerifyDigest(digest [32]byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy, want []byte) bool {
	return bytes.Equal(drawFromDigest(digest, dst, epoch, entropy), want)
}

// drawFromDigest is DrawRandomness with the base already hashed.
func drawFromDigest(digest [32]byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	h, _ := blake2b.New256(nil) // cannot fail without a key
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(dst))
	h.Write(n[:])
	h.Write(digest[:])
	binary.BigEndian.PutUint64(n[:], uint64(epoch))
	h.Write(n[:])
	h.Write(entropy)
	return h.Sum(nil)
}
