// Package membudget bounds the memory that concurrent workers hold at once.
// Each worker takes a Hold sized by what it is about to load and grows it as
// it learns more (a gzip stream that decompresses past its stated size);
// the total of all holds stays within the budget's limit, except that the
// oldest hold may always grow, so one input larger than the whole budget
// still runs (alone over the limit) and workers that all wait for memory
// never deadlock. The total is thus at most the limit plus what one worker
// holds.
package membudget

import (
	"context"
	"sync"
)

// Budget is a limit on the bytes its holds total. A Budget is safe for
// concurrent use.
type Budget struct {
	limit int64

	mu      sync.Mutex
	used    int64
	peak    int64
	holds   []*Hold       // held, oldest first
	changed chan struct{} // closed (and replaced) whenever memory is freed
}

// New returns a budget of limit bytes.
func New(limit int64) *Budget {
	return &Budget{limit: limit, changed: make(chan struct{})}
}

// Limit returns the budget's limit in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// Used returns the bytes held now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak returns the most bytes held at once so far.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// Hold is one worker's share of a budget. Its methods are for the one
// worker that took it.
type Hold struct {
	b        *Budget
	n        int64
	released bool
}

// Acquire waits until n bytes fit in the budget, or no hold is taken (an
// input bigger than the budget then runs by itself), and returns a hold of
// n bytes. It fails only when ctx ends first.
func (b *Budget) Acquire(ctx context.Context, n int64) (*Hold, error) {
	h := &Hold{b: b}
	err := b.wait(ctx, func() bool { return len(b.holds) == 0 || b.used+n <= b.limit }, func() {
		b.used += n
		h.n = n
		b.holds = append(b.holds, h)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Grow adds n bytes to the hold, waiting until they fit unless the hold is
// the oldest (which never waits: the others may all be waiting on it). It
// fails only when ctx ends first.
func (h *Hold) Grow(ctx context.Context, n int64) error {
	b := h.b
	return b.wait(ctx, func() bool { return len(b.holds) > 0 && b.holds[0] == h || b.used+n <= b.limit }, func() {
		b.used += n
		h.n += n
	})
}

// Size returns the bytes the hold holds.
func (h *Hold) Size() int64 {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	return h.n
}

// Release returns the hold's bytes to the budget. Releasing twice is a
// no-op.
func (h *Hold) Release() {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	b.used -= h.n
	h.n = 0
	for i, o := range b.holds {
		if o == h {
			b.holds = append(b.holds[:i:i], b.holds[i+1:]...)
			break
		}
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// wait runs take under the lock once ok holds, rechecking whenever memory
// is freed.
func (b *Budget) wait(ctx context.Context, ok func() bool, take func()) error {
	for {
		b.mu.Lock()
		if ok() {
			take()
			b.peak = max(b.peak, b.used)
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type holdKey struct{}

// WithHold returns ctx carrying h, for the code deep in a worker's call
// (decompressing a CAR) that learns it needs more memory.
func WithHold(ctx context.Context, h *Hold) context.Context {
	return context.WithValue(ctx, holdKey{}, h)
}

// FromContext returns the hold ctx carries, or nil.
func FromContext(ctx context.Context) *Hold {
	h, _ := ctx.Value(holdKey{}).(*Hold)
	return h
}
