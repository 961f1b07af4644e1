package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// BlockGetter is raw block access: any blockstore that reports a missing
// block with go-ipld-format's not-found error.
type BlockGetter interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// BlockSource is a Source over any block store holding chain data, with
// the CAR source's semantics (mainnet schedule and beacon rounds unless
// overridden, no circulating supply unless given). It serves chains that
// are still being built in memory, such as the chain `tvx chain build`
// makes, whose randomness must be drawn from tipsets not yet written out.
type BlockSource struct {
	bs   BlockGetter
	cfg  config
	head func() *TipSet
	walk *walker
}

var _ Source = (*BlockSource)(nil)

// NewBlockSource serves the chain in bs whose head head() returns (it may
// change between calls as a chain grows; nil means no head yet).
func NewBlockSource(bs BlockGetter, head func() *TipSet, opts ...Option) *BlockSource {
	s := &BlockSource{bs: bs, cfg: newConfig(opts), head: head}
	if s.cfg.netVersion == nil {
		s.cfg.netVersion = MainnetNetworkVersion
	}
	if s.cfg.beaconRound == nil {
		s.cfg.beaconRound = MainnetBeaconRound
	}
	s.walk = newWalker(s, s.cfg.netVersion, s.Head)
	return s
}

// Close does nothing: the store belongs to the caller.
func (s *BlockSource) Close() error { return nil }

// Get implements Source, checking the block's bytes against its CID.
func (s *BlockSource) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	blk, err := s.bs.Get(ctx, c)
	if err != nil {
		if ipld.IsNotFound(err) || errors.Is(err, ErrNotFound) {
			return nil, notFoundBlock(c)
		}
		return nil, fmt.Errorf("read block %s: %w", c, err)
	}
	if err := checkBlock(c, blk.RawData()); err != nil {
		return nil, err
	}
	return blk, nil
}

// Has implements Source.
func (s *BlockSource) Has(ctx context.Context, c cid.Cid) (bool, error) {
	_, err := s.Get(ctx, c)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Head implements Source.
func (s *BlockSource) Head(context.Context) (*TipSet, error) {
	h := s.head()
	if h == nil {
		return nil, errors.New("chain has no head yet")
	}
	return h, nil
}

// TipSet implements Source.
func (s *BlockSource) TipSet(ctx context.Context, key TipSetKey) (*TipSet, error) {
	return s.walk.tipSet(ctx, key)
}

// TipSetByHeight implements Source.
func (s *BlockSource) TipSetByHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, bool, error) {
	return s.walk.byHeight(ctx, h, from, true)
}

// TipSetAfterHeight implements Source.
func (s *BlockSource) TipSetAfterHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error) {
	ts, _, err := s.walk.byHeight(ctx, h, from, false)
	return ts, err
}

// BlockHeader implements Source.
func (s *BlockSource) BlockHeader(ctx context.Context, c cid.Cid) (*BlockHeader, error) {
	return s.walk.blockHeader(ctx, c)
}

// BlockMessages implements Source.
func (s *BlockSource) BlockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error) {
	return s.walk.blockMessages(ctx, block)
}

// ParentMessages implements Source.
func (s *BlockSource) ParentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error) {
	return s.walk.parentMessages(ctx, block)
}

// ParentReceipts implements Source.
func (s *BlockSource) ParentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error) {
	return s.walk.parentReceipts(ctx, block)
}

// Message implements Source.
func (s *BlockSource) Message(ctx context.Context, c cid.Cid) (*Message, error) {
	return s.walk.message(ctx, c)
}

// SearchMessage implements Source.
func (s *BlockSource) SearchMessage(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error) {
	return s.walk.searchMessage(ctx, from, msg, limit, allowReplaced)
}

// NetworkVersion implements Source: the override, else mainnet's schedule.
func (s *BlockSource) NetworkVersion(_ context.Context, h abi.ChainEpoch) (network.Version, error) {
	if h < 0 {
		return 0, fmt.Errorf("network version at %d: negative height", h)
	}
	return s.cfg.netVersion(h), nil
}

// CirculatingSupply implements Source: the override, else ErrUnavailable.
func (s *BlockSource) CirculatingSupply(context.Context, TipSetKey) (abi.TokenAmount, error) {
	if s.cfg.circSupply == nil {
		return abi.TokenAmount{}, fmt.Errorf("circulating supply: not recorded with the blocks; give it explicitly: %w", ErrUnavailable)
	}
	return s.cfg.circSupply.Copy(), nil
}

// ChainRandomness implements Source from the chain's tickets.
func (s *BlockSource) ChainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.chainRandomness(ctx, key, dst, epoch, entropy)
}

// BeaconRandomness implements Source from the chain's beacon entries.
func (s *BlockSource) BeaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.beaconRandomness(ctx, key, dst, epoch, entropy, s.cfg.beaconRound)
}
