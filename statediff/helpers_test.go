package statediff

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// memStore is a goroutine-safe in-memory block store with an optional base
// to read through to (a vector's CAR), so tests can build modified states on
// top of real ones without touching the original.
type memStore struct {
	mu     sync.Mutex
	blocks map[cid.Cid]blocks.Block
	base   Store
}

func newMemStore(base Store) *memStore {
	return &memStore{blocks: map[cid.Cid]blocks.Block{}, base: base}
}

func (m *memStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	m.mu.Lock()
	b, ok := m.blocks[c]
	m.mu.Unlock()
	if ok {
		return b, nil
	}
	if m.base != nil {
		return m.base.Get(ctx, c)
	}
	return nil, ipld.ErrNotFound{Cid: c}
}

func (m *memStore) Put(_ context.Context, b blocks.Block) error {
	m.mu.Lock()
	m.blocks[b.Cid()] = b
	m.mu.Unlock()
	return nil
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.blocks)
}

// countingStore counts the blocks read through it.
type countingStore struct {
	Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, k cid.Cid) (blocks.Block, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, k)
}

// hidingStore pretends some blocks are not there.
type hidingStore struct {
	Store
	hidden map[cid.Cid]bool
}

func (h *hidingStore) Get(ctx context.Context, k cid.Cid) (blocks.Block, error) {
	if h.hidden[k] {
		return nil, ipld.ErrNotFound{Cid: k}
	}
	return h.Store.Get(ctx, k)
}

type blocksBlock = blocks.Block

var errReadOnly = errors.New("read-only store")
