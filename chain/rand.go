package chain

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"golang.org/x/crypto/blake2b"
)

// Which randomness rules apply is a protocol switch of the network version
// (protocol.Rules: ForwardTicketRandomness, ForwardBeaconRandomness,
// BeaconRoundRandomness).
const (
	// beaconSearchDepth is how many tipsets back a beacon entry is looked
	// for before giving up.
	beaconSearchDepth = 20
)

// Mainnet timing that maps an epoch to its drand round.
const (
	mainnetGenesisTime   = 1598306400 // timestamp of the mainnet genesis block
	mainnetBlockDelay    = 30         // seconds per epoch
	drandMainnetGenesis  = 1595431050 // genesis time of the drand mainnet chain
	drandMainnetInterval = 30         // seconds per drand round
)

// MainnetBeaconRound is the drand round whose entry randomness at epoch e
// uses on mainnet from network version 14: the last round published before
// the epoch's start. (Earlier epochs used other drand networks, but only
// versions 14 and later ask for a round.)
func MainnetBeaconRound(e abi.ChainEpoch) uint64 {
	latest := uint64(e)*mainnetBlockDelay + mainnetGenesisTime - mainnetBlockDelay
	return (latest - drandMainnetGenesis) / drandMainnetInterval
}

// WithBeaconRound sets the epoch-to-drand-round map a source uses for
// beacon randomness from network version 14. Without it the round is read
// off the chain itself (see Source.BeaconRandomness), which is right for
// every network whatever its timing; the option is for chains whose
// headers do not carry the entries, such as fixtures.
func WithBeaconRound(round func(abi.ChainEpoch) uint64) Option {
	return func(c *config) { c.beaconRound = round }
}

// DrawRandomness derives randomness from a base (a ticket's VRF proof or a
// beacon entry's data): blake2b-256 over the domain separation tag (int64,
// big-endian), blake2b-256 of the base, the epoch (int64, big-endian) and
// the entropy.
func DrawRandomness(base []byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	h, _ := blake2b.New256(nil) // cannot fail without a key
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(dst))
	h.Write(n[:])
	digest := blake2b.Sum256(base)
	h.Write(digest[:])
	binary.BigEndian.PutUint64(n[:], uint64(epoch))
	h.Write(n[:])
	h.Write(entropy)
	return h.Sum(nil)
}

// randTipSet finds the tipset randomness for epoch is drawn from, walking
// from the execution tipset `key`.
func (w *walker) randTipSet(ctx context.Context, key TipSetKey, epoch abi.ChainEpoch, below bool) (*TipSet, error) {
	from, err := w.tipSet(ctx, key)
	if err != nil {
		return nil, err
	}
	if epoch > from.Height() {
		return nil, fmt.Errorf("randomness for epoch %d drawn on tipset %d: cannot draw from the future", epoch, from.Height())
	}
	search := epoch
	if search < 0 {
		search = 0
	}
	ts, _, err := w.byHeight(ctx, search, from.Key(), below)
	return ts, err
}

func (w *walker) chainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	below := !w.rules(w.netVersion(epoch)).ForwardTicketRandomness
	ts, err := w.randTipSet(ctx, key, epoch, below)
	if err != nil {
		return nil, fmt.Errorf("chain randomness: %w", err)
	}
	t := ts.MinTicketBlock().Ticket
	if t == nil {
		return nil, fmt.Errorf("chain randomness: block %s at %d has no ticket", ts.Cids()[0], ts.Height())
	}
	return DrawRandomness(t.VRFProof, dst, epoch, entropy), nil
}

func (w *walker) beaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, round func(abi.ChainEpoch) uint64) ([]byte, error) {
	base, err := w.randomnessBase(ctx, key, RandomnessBeacon, epoch, w.netVersion(epoch), round)
	if err != nil {
		return nil, fmt.Errorf("beacon randomness: %w", err)
	}
	return DrawRandomness(base, dst, epoch, entropy), nil
}

// beaconRoundOf is the drand round whose entry randomness at epoch uses
// from network version 14, as the chain records it: a block carries the
// entries from its parent's last round up to its own epoch's round, so at
// an epoch with a tipset the round is the latest entry at or below it. At
// a null round it lies between the rounds of the tipsets on either side,
// which advance by a fixed number of rounds per epoch (block time over
// drand period: one on mainnet and calibnet, one on a mock-beacon devnet);
// the rate is read off those two tipsets and must divide evenly.
func (w *walker) beaconRoundOf(ctx context.Context, key TipSetKey, epoch abi.ChainEpoch) (uint64, error) {
	ts, err := w.randTipSet(ctx, key, epoch, false)
	if err != nil {
		return 0, err
	}
	above, err := w.latestBeaconEntry(ctx, ts)
	if err != nil {
		return 0, fmt.Errorf("drand round of epoch %d: %w", epoch, err)
	}
	if ts.Height() <= epoch {
		return above.Round, nil
	}
	parent, err := w.tipSet(ctx, ts.Parents())
	if err != nil {
		return 0, fmt.Errorf("drand round of null round %d: %w", epoch, err)
	}
	below, err := w.latestBeaconEntry(ctx, parent)
	if err != nil {
		return 0, fmt.Errorf("drand round of null round %d: %w", epoch, err)
	}
	span := uint64(ts.Height() - parent.Height())
	if parent.Height() == 0 || above.Round < below.Round || (above.Round-below.Round)%span != 0 {
		return 0, fmt.Errorf("drand round of null round %d: rounds %d at %d and %d at %d do not advance evenly; give the beacon schedule explicitly",
			epoch, below.Round, parent.Height(), above.Round, ts.Height())
	}
	return below.Round + uint64(epoch-parent.Height())*((above.Round-below.Round)/span), nil
}

// latestBeaconEntry is the last entry of the first block that carries any,
// from ts back.
func (w *walker) latestBeaconEntry(ctx context.Context, ts *TipSet) (*BeaconEntry, error) {
	for i := 0; i < beaconSearchDepth; i++ {
		if es := ts.blocks[0].BeaconEntries; len(es) > 0 {
			return &es[len(es)-1], nil
		}
		if ts.Height() == 0 {
			return nil, errors.New("no beacon entry between the tipset and genesis")
		}
		next, err := w.tipSet(ctx, ts.Parents())
		if err != nil {
			return nil, fmt.Errorf("latest beacon entry: %w", err)
		}
		ts = next
	}
	return nil, fmt.Errorf("no beacon entry in the %d tipsets up to %d", beaconSearchDepth, ts.Height())
}

// beaconEntryOfRound finds the entry of a drand round in the tipsets from
// the one at (or after) epoch back.
func (w *walker) beaconEntryOfRound(ctx context.Context, key TipSetKey, epoch abi.ChainEpoch, round uint64) (*BeaconEntry, error) {
	ts, err := w.randTipSet(ctx, key, epoch, false)
	if err != nil {
		return nil, err
	}
	for i := 0; i < beaconSearchDepth; i++ {
		for _, e := range ts.blocks[0].BeaconEntries {
			if e.Round == round {
				e := e
				return &e, nil
			}
		}
		if ts.Height() == 0 {
			break
		}
		if ts, err = w.tipSet(ctx, ts.Parents()); err != nil {
			return nil, fmt.Errorf("beacon round %d: %w", round, err)
		}
	}
	return nil, fmt.Errorf("no entry for drand round %d (epoch %d)", round, epoch)
}

// Rand draws randomness as the VM does while executing messages on top of
// one tipset; it satisfies the VM's randomness interface.
type Rand struct {
	src Source
	key TipSetKey
}

// NewRand returns the randomness of executing on top of tipset key.
func NewRand(src Source, key TipSetKey) *Rand { return &Rand{src: src, key: key} }

// ChainRandomness draws from tickets.
func (r *Rand) ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.src.ChainRandomness(ctx, r.key, dst, epoch, entropy)
}

// BeaconRandomness draws from beacon entries.
func (r *Rand) BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.src.BeaconRandomness(ctx, r.key, dst, epoch, entropy)
}
