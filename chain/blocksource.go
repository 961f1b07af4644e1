package chain

import (
	"context"
	"errors"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
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
	blockWalkSource
	bs   BlockGetter
	head func() *TipSet
}

var _ Source = (*BlockSource)(nil)

// NewBlockSource serves the chain in bs whose head head() returns (it may
// change between calls as a chain grows; nil means no head yet).
func NewBlockSource(bs BlockGetter, head func() *TipSet, opts ...Option) *BlockSource {
	s := &BlockSource{bs: bs, head: head}
	s.blockWalkSource = newBlockWalkSource(s, s.Head, opts, "not recorded with the blocks")
	return s
}

// Close does nothing: the store belongs to the caller.
func (s *BlockSource) Close() error { return nil }

// Get implements Source, checking the block's bytes against its CID.
func (s *BlockSource) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return getChecked(ctx, s.bs, c)
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
