package corpus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"

	"github.com/tvx-project/tvx/schema"
)

// BlockGetter is where a Fallback fetches blocks: a chain source (a Lotus
// node or a chain CAR, package chain). A block it does not hold is an
// error satisfying go-ipld-format's IsNotFound.
type BlockGetter interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// Fallback serves blocks a vector's CAR lacks from a chain source, as
// Lotus's `tvx exec --fallback-blockstore` does with a node: for vectors
// transplanted from elsewhere, or extracted with too narrow a retention.
// Fetched blocks are counted so a report can say how much a run relied on
// the chain. It is safe for concurrent use.
type Fallback struct {
	src     BlockGetter
	fetched atomic.Int64

	mu    sync.Mutex
	cache map[cid.Cid]blocks.Block
}

// NewFallback serves missing blocks from src.
func NewFallback(src BlockGetter) *Fallback {
	return &Fallback{src: src, cache: map[cid.Cid]blocks.Block{}}
}

// Fetched is the number of distinct blocks fetched from the chain source.
func (f *Fallback) Fetched() int64 { return f.fetched.Load() }

// Wrap returns a Source that opens vectors with base and falls back
// to the chain source for blocks their CARs lack, including the pre-state
// root itself.
func (f *Fallback) Wrap(base Source) Source {
	return fallbackSource{f: f, base: base}
}

type fallbackSource struct {
	f    *Fallback
	base Source
}

func (s fallbackSource) Open(ctx context.Context, v *schema.Vector) (Blockstore, func(), error) {
	bs, release, err := s.base.Open(ctx, v)
	var se *schema.Error
	if err != nil && errors.As(err, &se) && se.Field == "preconditions.state_tree.root_cid" {
		// The base refuses a CAR without the pre-state root; the chain
		// may still have it.
		raw, cerr := v.CARv1(0)
		if cerr != nil {
			return nil, nil, cerr
		}
		ro, oerr := OpenCAR(raw)
		if oerr != nil {
			return nil, nil, &schema.Error{File: v.Path, Field: "car", Err: oerr}
		}
		bs, release, err = ro, func() { ro.Close() }, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &fallbackStore{Blockstore: bs, f: s.f}, release, nil
}

// fallbackStore is a vector's blockstore with the chain behind it.
type fallbackStore struct {
	Blockstore
	f *Fallback
}

func (s *fallbackStore) fetch(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	s.f.mu.Lock()
	b, ok := s.f.cache[c]
	s.f.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := s.f.src.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("fallback blockstore: %w", err)
	}
	s.f.mu.Lock()
	if _, ok := s.f.cache[c]; !ok {
		s.f.cache[c] = b
		s.f.fetched.Add(1)
	}
	s.f.mu.Unlock()
	return b, nil
}

// Get implements the blockstore, fetching what the CAR lacks.
func (s *fallbackStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := s.Blockstore.Get(ctx, c)
	if err == nil || !ipld.IsNotFound(err) {
		return b, err
	}
	return s.fetch(ctx, c)
}

// Has implements the blockstore: a block the chain source holds counts.
func (s *fallbackStore) Has(ctx context.Context, c cid.Cid) (bool, error) {
	ok, err := s.Blockstore.Has(ctx, c)
	if err != nil || ok {
		return ok, err
	}
	if _, err := s.fetch(ctx, c); err != nil {
		if ipld.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// GetSize implements the blockstore.
func (s *fallbackStore) GetSize(ctx context.Context, c cid.Cid) (int, error) {
	n, err := s.Blockstore.GetSize(ctx, c)
	if err == nil || !ipld.IsNotFound(err) {
		return n, err
	}
	b, err := s.fetch(ctx, c)
	if err != nil {
		return 0, err
	}
	return len(b.RawData()), nil
}
