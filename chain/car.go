package chain

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	carbs "github.com/ipld/go-car/v2/blockstore"
)

// CARSource reads a chain CAR: the layout `lotus chain export` writes,
// whose roots are the head tipset's block CIDs and whose blocks are the
// headers, messages, receipts and state reachable from them (often only a
// recent window: anything older is ErrNotFound). CARv2 files are read
// through their index; CARv1 files get an index built in memory on open.
//
// A CAR does not record network versions (the mainnet schedule applies
// unless overridden) or the circulating supply (ErrUnavailable unless
// overridden).
type CARSource struct {
	ro     *carbs.ReadOnly
	closer io.Closer
	cfg    config
	head   *TipSet
	walk   *walker
}

var _ Source = (*CARSource)(nil)

// OpenCAR opens the chain CAR at path (v1 or v2).
func OpenCAR(path string, opts ...Option) (*CARSource, error) {
	ro, err := carbs.OpenReadOnly(path, carbs.UseWholeCIDs(true))
	if err != nil {
		return nil, fmt.Errorf("open chain CAR %s: %w", path, err)
	}
	s, err := newCARSource(ro, ro, opts)
	if err != nil {
		_ = ro.Close()
		return nil, fmt.Errorf("open chain CAR %s: %w", path, err)
	}
	return s, nil
}

// NewCARSource reads a chain CAR (v1 or v2) from r, which must stay
// readable until the source is no longer used.
func NewCARSource(r io.ReaderAt, opts ...Option) (*CARSource, error) {
	ro, err := carbs.NewReadOnly(r, nil, carbs.UseWholeCIDs(true))
	if err != nil {
		return nil, fmt.Errorf("read chain CAR: %w", err)
	}
	s, err := newCARSource(ro, nil, opts)
	if err != nil {
		return nil, fmt.Errorf("read chain CAR: %w", err)
	}
	return s, nil
}

func newCARSource(ro *carbs.ReadOnly, closer io.Closer, opts []Option) (*CARSource, error) {
	s := &CARSource{ro: ro, closer: closer, cfg: newConfig(opts)}
	if s.cfg.netVersion == nil {
		s.cfg.netVersion = MainnetNetworkVersion
	}
	if s.cfg.beaconRound == nil {
		s.cfg.beaconRound = MainnetBeaconRound
	}
	s.walk = newWalker(s, s.cfg.netVersion, func(context.Context) (*TipSet, error) { return s.head, nil })
	roots, err := ro.Roots()
	if err != nil {
		return nil, fmt.Errorf("roots: %w", err)
	}
	if len(roots) == 0 {
		return nil, errors.New("no roots: a chain CAR's roots are its head tipset's blocks")
	}
	head, err := s.walk.tipSet(context.Background(), NewTipSetKey(roots...))
	if err != nil {
		return nil, fmt.Errorf("head tipset from roots: %w", err)
	}
	s.head = head
	s.cfg.log.Logf("chain CAR: head at height %d, %d block(s)", head.Height(), len(roots))
	return s, nil
}

// Close releases the file OpenCAR opened.
func (s *CARSource) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// Get returns a block, checking its bytes against the CID.
func (s *CARSource) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	blk, err := s.ro.Get(ctx, c)
	if err != nil {
		if ipld.IsNotFound(err) {
			return nil, notFoundBlock(c)
		}
		return nil, fmt.Errorf("read block %s: %w", c, err)
	}
	if err := checkBlock(c, blk.RawData()); err != nil {
		return nil, err
	}
	return blk, nil
}

// notFoundBlock is a missing block's error: it wraps ErrNotFound and
// go-ipld-format's ErrNotFound, so IPLD code built on a Source (AMTs,
// HAMTs, a blockstore overlay) sees the usual not-found signal.
func notFoundBlock(c cid.Cid) error {
	return fmt.Errorf("block %s: %w (%w)", c, ErrNotFound, ipld.ErrNotFound{Cid: c})
}

// checkBlock verifies that data hashes to c.
func checkBlock(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return fmt.Errorf("block %s: hash: %w", c, err)
	}
	if !got.Equals(c) {
		return fmt.Errorf("block %s: data hashes to %s", c, got)
	}
	return nil
}

// Has reports whether the CAR holds the block.
func (s *CARSource) Has(ctx context.Context, c cid.Cid) (bool, error) {
	ok, err := s.ro.Has(ctx, c)
	if err != nil {
		return false, fmt.Errorf("has block %s: %w", c, err)
	}
	return ok, nil
}

// Head returns the tipset of the CAR's roots.
func (s *CARSource) Head(context.Context) (*TipSet, error) { return s.head, nil }

// TipSet implements Source.
func (s *CARSource) TipSet(ctx context.Context, key TipSetKey) (*TipSet, error) {
	return s.walk.tipSet(ctx, key)
}

// TipSetByHeight implements Source.
func (s *CARSource) TipSetByHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, bool, error) {
	return s.walk.byHeight(ctx, h, from, true)
}

// TipSetAfterHeight implements Source.
func (s *CARSource) TipSetAfterHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error) {
	ts, _, err := s.walk.byHeight(ctx, h, from, false)
	return ts, err
}

// BlockHeader implements Source.
func (s *CARSource) BlockHeader(ctx context.Context, c cid.Cid) (*BlockHeader, error) {
	return s.walk.blockHeader(ctx, c)
}

// BlockMessages implements Source.
func (s *CARSource) BlockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error) {
	return s.walk.blockMessages(ctx, block)
}

// ParentMessages implements Source.
func (s *CARSource) ParentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error) {
	return s.walk.parentMessages(ctx, block)
}

// ParentReceipts implements Source.
func (s *CARSource) ParentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error) {
	return s.walk.parentReceipts(ctx, block)
}

// Message implements Source.
func (s *CARSource) Message(ctx context.Context, c cid.Cid) (*Message, error) {
	return s.walk.message(ctx, c)
}

// SearchMessage implements Source. It examines tipsets one by one and
// needs no state, so a CAR without old state roots still answers; running
// out of the CAR's chain before the limit is an error wrapping ErrNotFound.
func (s *CARSource) SearchMessage(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error) {
	return s.walk.searchMessage(ctx, from, msg, limit, allowReplaced)
}

// NetworkVersion implements Source: the override, else mainnet's schedule.
func (s *CARSource) NetworkVersion(_ context.Context, h abi.ChainEpoch) (network.Version, error) {
	if h < 0 {
		return 0, fmt.Errorf("network version at %d: negative height", h)
	}
	return s.cfg.netVersion(h), nil
}

// CirculatingSupply implements Source: the override, else ErrUnavailable.
func (s *CARSource) CirculatingSupply(_ context.Context, _ TipSetKey) (abi.TokenAmount, error) {
	if s.cfg.circSupply == nil {
		return abi.TokenAmount{}, fmt.Errorf("circulating supply: a chain CAR does not record it; give it explicitly: %w", ErrUnavailable)
	}
	return s.cfg.circSupply.Copy(), nil
}

// ChainRandomness implements Source from the CAR's tickets.
func (s *CARSource) ChainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.chainRandomness(ctx, key, dst, epoch, entropy)
}

// BeaconRandomness implements Source from the CAR's beacon entries; from
// network version 14 it needs the epoch's drand round (WithBeaconRound,
// default mainnet's).
func (s *CARSource) BeaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.beaconRandomness(ctx, key, dst, epoch, entropy, s.cfg.beaconRound)
}
