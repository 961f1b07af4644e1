package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	carv2 "github.com/ipld/go-car/v2"
	mh "github.com/multiformats/go-multihash"
)

// MemBlocks is an in-memory block store for chains built before they are
// written out (`tvx chain build`, test fixtures); BlockSource serves it.
// It is safe for concurrent use and satisfies BlockGetter and
// go-ipld-cbor's IpldBlockstore. A missing block is go-ipld-format's
// ErrNotFound.
type MemBlocks struct {
	// dropIdentity makes Put ignore identity-hashed blocks (actor code
	// CIDs), whose CID is their data and which a vector CAR does not carry.
	dropIdentity bool

	mu sync.RWMutex
	m  map[cid.Cid]blocks.Block
}

// NewMemBlocks returns an empty store that keeps every block put in it.
func NewMemBlocks() *MemBlocks { return &MemBlocks{m: make(map[cid.Cid]blocks.Block)} }

// NewMemBlocksWithoutIdentity returns an empty store whose Put (and so
// ImportCAR) ignores identity-hashed blocks, so that All lists only blocks
// a CAR should carry.
func NewMemBlocksWithoutIdentity() *MemBlocks {
	s := NewMemBlocks()
	s.dropIdentity = true
	return s
}

// Get returns a block or an error wrapping go-ipld-format's ErrNotFound.
func (s *MemBlocks) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[c]
	if !ok {
		return nil, ipld.ErrNotFound{Cid: c}
	}
	return b, nil
}

// Put stores a block.
func (s *MemBlocks) Put(_ context.Context, b blocks.Block) error {
	if s.dropIdentity && b.Cid().Prefix().MhType == mh.IDENTITY {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[b.Cid()] = b
	return nil
}

// Delete drops a block, to make a chain with holes (a CAR that keeps only
// recent data).
func (s *MemBlocks) Delete(c cid.Cid) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, c)
}

// All returns every block, sorted by CID bytes (the order WriteCAR wants
// for deterministic output).
func (s *MemBlocks) All() []blocks.Block {
	s.mu.RLock()
	out := make([]blocks.Block, 0, len(s.m))
	for _, b := range s.m {
		out = append(out, b)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Cid().Bytes(), out[j].Cid().Bytes()) < 0 })
	return out
}

// ImportCAR puts every block of a CAR (v1 or v2; a vector's decompressed
// CAR, say) and returns its roots.
func (s *MemBlocks) ImportCAR(r io.Reader) ([]cid.Cid, error) {
	br, err := carv2.NewBlockReader(r)
	if err != nil {
		return nil, fmt.Errorf("import CAR: %w", err)
	}
	for {
		b, err := br.Next()
		if errors.Is(err, io.EOF) {
			return br.Roots, nil
		}
		if err != nil {
			return nil, fmt.Errorf("import CAR: %w", err)
		}
		if err := s.Put(context.Background(), b); err != nil {
			return nil, err
		}
	}
}
