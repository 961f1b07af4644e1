package extract

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/chain"
)

// store is the blockstore a replay runs on: reads fall through to the chain
// source (and are kept), writes stay in memory, and while a trace is open
// every block the VM reads or writes is noted, wherever it was served from.
// The trace is what a vector's CAR holds under accessed-cids retention.
// It satisfies vm.Blockstore and is safe for concurrent use.
type store struct {
	src chain.Source

	mu      sync.Mutex
	fetched map[cid.Cid]blocks.Block
	written map[cid.Cid]blocks.Block
	trace   map[cid.Cid]struct{} // nil when no trace is open
}

func newStore(src chain.Source) *store {
	return &store{src: src, fetched: map[cid.Cid]blocks.Block{}, written: map[cid.Cid]blocks.Block{}}
}

func isIdentity(c cid.Cid) bool { return c.Prefix().MhType == mh.IDENTITY }

// namesNoBlock reports whether a link is a leaf no store holds: an
// identity CID carries its data inline (actor code), and a sector's sealed
// or unsealed commitment (codecs fil-commitment-sealed and -unsealed) is a
// commitment written as a CID, not the address of a block; from nv16 an
// actor's code is the raw-codec CID of its Wasm module, which the
// executor's builtin-actors bundle supplies and no vector carries. A walk
// over state links must neither fetch nor follow them.
func namesNoBlock(c cid.Cid) bool {
	if isIdentity(c) {
		return true
	}
	switch c.Prefix().Codec {
	case cid.FilCommitmentSealed, cid.FilCommitmentUnsealed, cid.Raw:
		return true
	}
	return false
}

// local returns a block already in memory.
func (s *store) local(c cid.Cid) (blocks.Block, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.written[c]; ok {
		return b, true
	}
	b, ok := s.fetched[c]
	return b, ok
}

func (s *store) note(c cid.Cid) {
	s.mu.Lock()
	if s.trace != nil {
		s.trace[c] = struct{}{}
	}
	s.mu.Unlock()
}

// Get implements vm.Blockstore. A block the source lacks is reported with
// go-ipld-format's not-found error, which IPLD collections expect.
func (s *store) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if isIdentity(c) {
		d, err := mh.Decode(c.Hash())
		if err != nil {
			return nil, fmt.Errorf("identity block %s: %w", c, err)
		}
		return blocks.NewBlockWithCid(d.Digest, c)
	}
	if b, ok := s.local(c); ok {
		s.note(c)
		return b, nil
	}
	b, err := s.src.Get(ctx, c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.fetched[c] = b
	if s.trace != nil {
		s.trace[c] = struct{}{}
	}
	s.mu.Unlock()
	return b, nil
}

// Put implements vm.Blockstore.
func (s *store) Put(_ context.Context, b blocks.Block) error {
	if isIdentity(b.Cid()) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.written[b.Cid()]; !ok {
		s.written[b.Cid()] = b
	}
	if s.trace != nil {
		s.trace[b.Cid()] = struct{}{}
	}
	return nil
}

// startTrace opens a fresh trace.
func (s *store) startTrace() {
	s.mu.Lock()
	s.trace = map[cid.Cid]struct{}{}
	s.mu.Unlock()
}

// stopTrace closes the trace and returns its blocks sorted by CID bytes.
func (s *store) stopTrace() []blocks.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]blocks.Block, 0, len(s.trace))
	for c := range s.trace {
		b, ok := s.written[c]
		if !ok {
			b = s.fetched[c]
		}
		out = append(out, b)
	}
	s.trace = nil
	sortBlocks(out)
	return out
}

func sortBlocks(bs []blocks.Block) {
	sort.Slice(bs, func(i, j int) bool { return bytes.Compare(bs[i].Cid().Bytes(), bs[j].Cid().Bytes()) < 0 })
}
