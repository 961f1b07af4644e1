package corpus

import (
	"context"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// Buffered layers an in-memory write buffer over a read-only blockstore:
// reads look in the buffer first, then in the base; writes only ever reach
// the buffer. It is safe for concurrent use.
type Buffered struct {
	base Blockstore

	mu     sync.RWMutex
	writes map[cid.Cid]blocks.Block
}

// NewBuffered returns a write buffer over base.
func NewBuffered(base Blockstore) *Buffered {
	return &Buffered{base: base, writes: make(map[cid.Cid]blocks.Block)}
}

// Base returns the read-only blockstore under the buffer.
func (b *Buffered) Base() Blockstore { return b.base }

// Written returns the CIDs of the blocks written to the buffer.
func (b *Buffered) Written() []cid.Cid {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]cid.Cid, 0, len(b.writes))
	for c := range b.writes {
		out = append(out, c)
	}
	return out
}

func (b *Buffered) buffered(c cid.Cid) (blocks.Block, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	blk, ok := b.writes[c]
	return blk, ok
}

// Get implements Blockstore.
func (b *Buffered) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if blk, ok := b.buffered(c); ok {
		return blk, nil
	}
	return b.base.Get(ctx, c)
}

// GetSize implements Blockstore.
func (b *Buffered) GetSize(ctx context.Context, c cid.Cid) (int, error) {
	if blk, ok := b.buffered(c); ok {
		return len(blk.RawData()), nil
	}
	return b.base.GetSize(ctx, c)
}

// Has implements Blockstore.
func (b *Buffered) Has(ctx context.Context, c cid.Cid) (bool, error) {
	if _, ok := b.buffered(c); ok {
		return true, nil
	}
	return b.base.Has(ctx, c)
}

// Put implements Blockstore; the block lands in the buffer only.
func (b *Buffered) Put(_ context.Context, blk blocks.Block) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes[blk.Cid()] = blk
	return nil
}

// PutMany implements Blockstore.
func (b *Buffered) PutMany(ctx context.Context, blks []blocks.Block) error {
	for _, blk := range blks {
		if err := b.Put(ctx, blk); err != nil {
			return err
		}
	}
	return nil
}

// DeleteBlock removes a buffered block; blocks of the base cannot be deleted.
func (b *Buffered) DeleteBlock(_ context.Context, c cid.Cid) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.writes[c]; !ok {
		return ipld.ErrNotFound{Cid: c}
	}
	delete(b.writes, c)
	return nil
}

// AllKeysChan lists the buffered keys followed by the base's keys.
func (b *Buffered) AllKeysChan(ctx context.Context) (<-chan cid.Cid, error) {
	baseCh, err := b.base.AllKeysChan(ctx)
	if err != nil {
		return nil, err
	}
	written := b.Written()
	out := make(chan cid.Cid)
	go func() {
		defer close(out)
		for _, c := range written {
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
		for c := range baseCh {
			if _, ok := b.buffered(c); ok {
				continue
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// HashOnRead is passed to the base.
func (b *Buffered) HashOnRead(enabled bool) { b.base.HashOnRead(enabled) }
