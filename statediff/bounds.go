package statediff

import (
	"context"
	"errors"
	"fmt"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// ErrWalkBound is wrapped by the error that ends a diff over links no
// honest state contains: a cycle, a HAMT deeper than its hash allows, or
// more blocks than maxWalkLoads.
var ErrWalkBound = errors.New("walk bound exceeded")

const (
	// maxHAMTDepth bounds HAMT nesting: 256 hash bits at the narrowest
	// bit width Filecoin uses (5) give at most 52 levels.
	maxHAMTDepth = 64
	// maxWalkLoads bounds the blocks one Diff loads, so a DAG that shares
	// nodes many ways (legal in an AMT) cannot multiply the walk without
	// end. The largest vector state trees load a few thousand.
	maxWalkLoads = 1 << 24
)

// boundedStore fails every Get after the first left with ErrWalkBound.
type boundedStore struct {
	Store
	left int
}

func (b *boundedStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if b.left <= 0 {
		return nil, fmt.Errorf("state diff: loaded %d blocks, more than any state tree holds: %w", maxWalkLoads, ErrWalkBound)
	}
	b.left--
	return b.Store.Get(ctx, c)
}

// hamtVisit is a pair of HAMT nodes compared (or one node collected, the
// other side undefined).
type hamtVisit struct{ a, b cid.Cid }

// hamtWalk is the state of one HAMT comparison: the pairs already walked,
// which a DAG sharing nodes would otherwise walk once per path to them
// (walking one again adds the same entries), and the pairs on the current
// path, where meeting one again is a cycle.
type hamtWalk struct {
	done, path map[hamtVisit]bool
}

func newHAMTWalk() *hamtWalk {
	return &hamtWalk{done: map[hamtVisit]bool{}, path: map[hamtVisit]bool{}}
}

// enter starts walking a pair at depth: done when it was walked already,
// an ErrWalkBound error for a cycle or a node deeper than any HAMT.
func (hw *hamtWalk) enter(a, b cid.Cid, depth int) (done bool, err error) {
	c := a
	if !c.Defined() {
		c = b
	}
	k := hamtVisit{a, b}
	switch {
	case hw.path[k]:
		return false, fmt.Errorf("HAMT node %s links to itself through %d levels: %w", c, depth, ErrWalkBound)
	case depth > maxHAMTDepth:
		return false, fmt.Errorf("HAMT node %s is %d levels deep, more than a HAMT can be: %w", c, depth, ErrWalkBound)
	case hw.done[k]:
		return true, nil
	}
	hw.path[k] = true
	return false, nil
}

// leave ends walking a pair.
func (hw *hamtWalk) leave(a, b cid.Cid) {
	k := hamtVisit{a, b}
	delete(hw.path, k)
	hw.done[k] = true
}
