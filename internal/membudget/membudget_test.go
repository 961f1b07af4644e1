package membudget

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// canceled is a context that has ended: a call given it succeeds only if
// it need not wait.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestAcquireWaitsUntilItFits(t *testing.T) {
	b := New(10)
	h1, err := b.Acquire(canceled(), 6)
	if err != nil {
		t.Fatalf("first hold must not wait: %v", err)
	}
	if _, err := b.Acquire(canceled(), 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("6+5 > 10 must wait; got %v", err)
	}
	h2, err := b.Acquire(canceled(), 4)
	if err != nil {
		t.Fatalf("6+4 fits: %v", err)
	}
	// A waiter is let through by a release.
	got := make(chan error)
	go func() {
		h, err := b.Acquire(context.Background(), 5)
		if err == nil {
			defer h.Release()
		}
		got <- err
	}()
	h1.Release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	h2.Release()
	h1.Release() // twice: no-op
	if b.Used() != 0 || b.Peak() != 10 {
		t.Fatalf("used %d peak %d, want 0 and 10", b.Used(), b.Peak())
	}
}

func TestOversizeInputRunsAlone(t *testing.T) {
	b := New(10)
	big, err := b.Acquire(canceled(), 50)
	if err != nil {
		t.Fatalf("an input larger than the budget must run when nothing else does: %v", err)
	}
	if _, err := b.Acquire(canceled(), 1); err == nil {
		t.Fatal("nothing fits beside an oversize hold")
	}
	big.Release()
}

// The oldest hold grows without waiting (the others may wait on it); a
// younger one waits for room.
func TestOnlyTheOldestHoldGrowsPastTheLimit(t *testing.T) {
	b := New(10)
	old, _ := b.Acquire(canceled(), 4)
	young, _ := b.Acquire(canceled(), 4)
	if err := young.Grow(canceled(), 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("young hold grew past the limit: %v", err)
	}
	if err := young.Grow(canceled(), 2); err != nil {
		t.Fatalf("young hold within the limit: %v", err)
	}
	if err := old.Grow(canceled(), 20); err != nil {
		t.Fatalf("oldest hold must not wait: %v", err)
	}
	if old.Size() != 24 || young.Size() != 6 || b.Used() != 30 {
		t.Fatalf("sizes %d %d used %d", old.Size(), young.Size(), b.Used())
	}
	// Once the oldest is gone, the young one is oldest.
	old.Release()
	if err := young.Grow(canceled(), 100); err != nil {
		t.Fatalf("now oldest: %v", err)
	}
	young.Release()
}

// Many workers taking, growing and releasing holds at random all finish
// (no deadlock), and the total held never exceeds the limit plus the
// largest single hold.
func TestBoundUnderContention(t *testing.T) {
	const limit, workers, rounds = 100, 16, 200
	b := New(limit)
	var mu sync.Mutex
	largest := int64(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				h, err := b.Acquire(context.Background(), 1+r.Int64N(40))
				if err != nil {
					t.Error(err)
					return
				}
				for range r.IntN(4) {
					if err := h.Grow(context.Background(), 1+r.Int64N(60)); err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				largest = max(largest, h.Size())
				mu.Unlock()
				h.Release()
			}
		}()
	}
	wg.Wait()
	if b.Used() != 0 {
		t.Fatalf("%d bytes still held", b.Used())
	}
	if p := b.Peak(); p > limit+largest {
		t.Fatalf("peak %d exceeds the limit %d plus the largest hold %d", p, limit, largest)
	}
	if b.Peak() <= limit/2 {
		t.Fatalf("peak %d: the workers hardly overlapped, the test shows nothing", b.Peak())
	}
}

func TestContextCarriesHold(t *testing.T) {
	b := New(10)
	h, _ := b.Acquire(context.Background(), 1)
	if FromContext(context.Background()) != nil || FromContext(WithHold(context.Background(), h)) != h {
		t.Fatal("WithHold/FromContext do not round-trip")
	}
}
