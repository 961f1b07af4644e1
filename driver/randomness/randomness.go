// Package randomness replays the randomness a vector recorded, so that actor
// code drawing chain or beacon randomness sees the values the chain gave it.
//
// Vectors record randomness in one of two forms (see schema.RandomnessRecord):
//
//   - exact records name one draw (kind, domain separation tag, epoch,
//     entropy) and carry its final value;
//   - digest records name a (kind, epoch) pair and carry the chain's
//     randomness digest for that epoch: blake2b-256 of the minimum ticket's
//     VRF proof for chain randomness, blake2b-256 of the beacon entry's data
//     for beacon randomness. Every draw at that epoch is derived from the
//     digest with DrawFromDigest; the digest is not hashed again.
//
// A draw no record answers gets the fixed value Fallback, as the reference
// runner does; Source counts and logs such draws, since a vector whose outcome
// depends on them is unlikely to replay faithfully.
package randomness

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/schema"
)

// Fallback is returned, as raw bytes, for a draw that no record answers. It is
// the value the test-vector schema prescribes for unmatched draws and the one
// the pre-FVM reference runner returned as the final randomness.
const Fallback = "i_am_random_____i_am_random_____"

// DigestSize is the length of a randomness digest and of every derived draw.
const DigestSize = blake2b.Size256

// Logger receives one line per draw that had to use Fallback.
type Logger interface {
	Logf(format string, args ...any)
}

// Option configures a Source.
type Option func(*Source)

// WithLogger sends a line to l for every draw answered with Fallback.
func WithLogger(l Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.log = l
		}
	}
}

type epochKey struct {
	kind  string
	epoch int64
}

// Source answers a runtime's randomness draws from a vector's records. It
// satisfies the VM's Rand interface. A Source never changes after New except
// for its fallback counter, so one Source may serve concurrent callers.
type Source struct {
	// exact holds the exact-form records in vector order; the first matching
	// record wins, as in the reference runner.
	exact []schema.RandomnessRecord
	// digests holds the first digest-form record for each (kind, epoch).
	digests   map[epochKey][DigestSize]byte
	log       Logger
	fallbacks atomic.Int64
}

// New builds a Source from records, copying them so the caller's slices may
// change afterwards. It rejects a record of unknown kind and a digest record
// whose value is not DigestSize bytes long, since either would silently turn
// into wrong randomness later.
func New(records []schema.RandomnessRecord, opts ...Option) (*Source, error) {
	s := &Source{digests: make(map[epochKey][DigestSize]byte), log: nopLogger{}}
	for _, o := range opts {
		o(s)
	}
	for i, r := range records {
		if r.Kind != schema.RandomnessChain && r.Kind != schema.RandomnessBeacon {
			return nil, fmt.Errorf("randomness record %d: unknown kind %q", i, r.Kind)
		}
		if !r.Digest {
			s.exact = append(s.exact, schema.RandomnessRecord{
				Kind:    r.Kind,
				DST:     r.DST,
				Epoch:   r.Epoch,
				Entropy: bytes.Clone(r.Entropy),
				Return:  bytes.Clone(r.Return),
			})
			continue
		}
		if len(r.Return) != DigestSize {
			return nil, fmt.Errorf("randomness record %d (%s, epoch %d): digest is %d bytes, want %d",
				i, r.Kind, r.Epoch, len(r.Return), DigestSize)
		}
		k := epochKey{kind: r.Kind, epoch: r.Epoch}
		if _, dup := s.digests[k]; dup {
			continue
		}
		s.digests[k] = [DigestSize]byte(r.Return)
	}
	return s, nil
}

// ChainRandomness returns the ticket-based randomness for one draw.
func (s *Source) ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.draw(ctx, schema.RandomnessChain, dst, epoch, entropy)
}

// BeaconRandomness returns the drand-based randomness for one draw.
func (s *Source) BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.draw(ctx, schema.RandomnessBeacon, dst, epoch, entropy)
}

// Fallbacks reports how many draws so far were answered with Fallback.
func (s *Source) Fallbacks() int64 {
	return s.fallbacks.Load()
}

// draw answers one request. An exact record beats a digest because it names
// this very draw. Every answer is a fresh slice: callers are known to mask
// bits of the randomness in place (window PoSt challenges clear the top bits
// of the last byte), and that must not leak into later draws.
func (s *Source) draw(ctx context.Context, kind string, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s randomness (dst %d, epoch %d): %w", kind, dst, epoch, err)
	}
	for _, r := range s.exact {
		if r.Kind == kind && r.DST == int64(dst) && r.Epoch == int64(epoch) && bytes.Equal(r.Entropy, entropy) {
			return bytes.Clone(r.Return), nil
		}
	}
	if d, ok := s.digests[epochKey{kind: kind, epoch: int64(epoch)}]; ok {
		return DrawFromDigest(d, dst, epoch, entropy), nil
	}
	s.fallbacks.Add(1)
	s.log.Logf("randomness: no record for %s draw (dst %d, epoch %d, entropy %x); using fallback %q",
		kind, dst, epoch, entropy, Fallback)
	return []byte(Fallback), nil
}

// DrawFromDigest derives one draw from an epoch's randomness digest, as the
// chain does: blake2b-256 over the domain separation tag (big-endian int64),
// the digest, the epoch (big-endian int64) and the entropy, in that order.
// The result is always DigestSize bytes.
func DrawFromDigest(digest [DigestSize]byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	buf := make([]byte, 0, 8+DigestSize+8+len(entropy))
	buf = binary.BigEndian.AppendUint64(buf, uint64(int64(dst)))
	buf = append(buf, digest[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(int64(epoch)))
	buf = append(buf, entropy...)
	sum := blake2b.Sum256(buf)
	return sum[:]
}

type nopLogger struct{}

func (nopLogger) Logf(string, ...any) {}
