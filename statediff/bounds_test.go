package statediff

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/internal/fuzzwatch"
)

// forgedCID is a CID no block hashes to, for blocks a hostile CAR claims.
func forgedCID(name string) cid.Cid {
	h, _ := multihash.Sum([]byte(name), multihash.SHA2_256, -1)
	return cid.NewCidV1(cid.DagCBOR, h)
}

// hamtNodeLinking is a HAMT node whose first n slots all link to child.
func hamtNodeLinking(child cid.Cid, n int) []byte {
	bits := uint64(1)<<n - 1
	var bf []byte
	for b := bits; b > 0; b >>= 8 {
		bf = append([]byte{byte(b)}, bf...)
	}
	out := []byte{0x82, 0x40 | byte(len(bf))}
	out = append(out, bf...)
	if n < 24 {
		out = append(out, 0x80|byte(n))
	} else {
		out = append(out, 0x98, byte(n))
	}
	link := append([]byte{0}, child.Bytes()...)
	for i := 0; i < n; i++ {
		out = append(out, 0xd8, 0x2a, 0x58, byte(len(link)))
		out = append(out, link...)
	}
	return out
}

// leafNode is a HAMT node holding one key-value pair in a bucket.
func leafNode(key, val string) []byte {
	out := []byte{0x82, 0x41, 0x01, 0x81, 0x81, 0x82, 0x40 | byte(len(key))}
	out = append(out, key...)
	out = append(out, 0x40|byte(len(val)))
	return append(out, val...)
}

func diffWithin(t *testing.T, s Store, a, b cid.Cid) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Diff(context.Background(), s, a, b)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("diff still running after 20s")
		return nil
	}
}

// A HAMT node that links to itself ends the walk with a named error instead
// of recursing forever.
func TestDiffLinkCycle(t *testing.T) {
	s := newMemStore(nil)
	a, b := forgedCID("cycle a"), forgedCID("cycle b")
	for _, c := range []cid.Cid{a, b} {
		blk, _ := blocks.NewBlockWithCid(hamtNodeLinking(c, 1), c)
		s.Put(context.Background(), blk)
	}
	err := diffWithin(t, s, a, b)
	if !errors.Is(err, ErrWalkBound) {
		t.Fatalf("want ErrWalkBound, got %v", err)
	}
}

// A DAG that shares each node 32 ways, 40 levels deep, is walked once per
// distinct node, not 32^40 times; one deeper than a HAMT can be is refused.
func TestDiffSharedDAG(t *testing.T) {
	s := newMemStore(nil)
	build := func(side string, depth int) cid.Cid {
		c := forgedCID(side + " leaf")
		blk, _ := blocks.NewBlockWithCid(leafNode("k"+side, "v"+side), c)
		s.Put(context.Background(), blk)
		for i := 1; i <= depth; i++ {
			next := forgedCID(fmt.Sprintf("%s %d", side, i))
			blk, _ := blocks.NewBlockWithCid(hamtNodeLinking(c, 32), next)
			s.Put(context.Background(), blk)
			c = next
		}
		return c
	}
	a, b := build("a", 40), build("b", 40)
	if err := diffWithin(t, s, a, b); err != nil {
		t.Fatalf("shared DAG: %v", err)
	}
	a, b = build("c", maxHAMTDepth+1), build("d", maxHAMTDepth+1)
	if err := diffWithin(t, s, a, b); !errors.Is(err, ErrWalkBound) {
		t.Fatalf("HAMT deeper than %d: want ErrWalkBound, got %v", maxHAMTDepth, err)
	}
}

// FuzzDiffWalk diffs two state roots whose blocks are the fuzz input (two
// blocks, under CIDs the blocks may link to, so cycles and sharing are in
// reach): the diff ends — with a result or an error — within the watchdog's
// second, and never panics.
func FuzzDiffWalk(f *testing.F) {
	a, b := forgedCID("fuzz a"), forgedCID("fuzz b")
	f.Add(hamtNodeLinking(a, 1), hamtNodeLinking(b, 1))
	f.Add(hamtNodeLinking(b, 3), leafNode("k", "v"))
	f.Add(leafNode("k", "v"), leafNode("k", "w"))
	f.Add([]byte{0x83, 0x01, 0xd8, 0x2a}, []byte{0x82, 0x40, 0x80})
	f.Fuzz(func(t *testing.T, da, db []byte) {
		defer fuzzwatch.Start("statediff.Diff")()
		s := newMemStore(nil)
		for c, d := range map[cid.Cid][]byte{a: da, b: db} {
			blk, _ := blocks.NewBlockWithCid(d, c)
			s.Put(context.Background(), blk)
		}
		Diff(context.Background(), s, a, b)
	})
}
