package chain

import (
	"context"
	"errors"
	"fmt"
	"io"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
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
	blockWalkSource
	ro     *carbs.ReadOnly
	closer io.Closer
	head   *TipSet
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
	s := &CARSource{ro: ro, closer: closer}
	s.blockWalkSource = newBlockWalkSource(s, s.Head, opts, "a chain CAR does not record it")
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
	return getChecked(ctx, s.ro, c)
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
