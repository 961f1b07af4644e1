package statediff

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	gscbor "github.com/filecoin-project/go-state-types/cbor"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	"github.com/ipfs/go-cid"
	cbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// collection is a HAMT or AMT built with one of the specs-actors adt
// versions, so the raw walker is checked against every encoding in use.
type collection interface {
	set(k uint64, v int64)
	del(k uint64)
	root() cid.Cid
}

type flavor struct {
	name string
	hamt bool
	make func(t *testing.T, s *memStore) collection
}

type adtMap struct {
	t   *testing.T
	put func(abi.Keyer, gscbor.Marshaler) error
	rm  func(abi.Keyer) error
	rt  func() (cid.Cid, error)
}

func (m adtMap) set(k uint64, v int64) {
	x := cbg.CborInt(v)
	if err := m.put(abi.UIntKey(k), &x); err != nil {
		m.t.Fatal(err)
	}
}
func (m adtMap) del(k uint64) {
	if err := m.rm(abi.UIntKey(k)); err != nil {
		m.t.Fatal(err)
	}
}
func (m adtMap) root() cid.Cid {
	c, err := m.rt()
	if err != nil {
		m.t.Fatal(err)
	}
	return c
}

type adtArray struct {
	t   *testing.T
	put func(uint64, gscbor.Marshaler) error
	rm  func(uint64) error
	rt  func() (cid.Cid, error)
}

func (a adtArray) set(k uint64, v int64) {
	x := cbg.CborInt(v)
	if err := a.put(k, &x); err != nil {
		a.t.Fatal(err)
	}
}
func (a adtArray) del(k uint64) {
	if err := a.rm(k); err != nil {
		a.t.Fatal(err)
	}
}
func (a adtArray) root() cid.Cid {
	c, err := a.rt()
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

func flavors() []flavor {
	ctx := context.Background()
	return []flavor{
		{"hamt-v1 (actors v0.9)", true, func(t *testing.T, s *memStore) collection {
			m := adt0.MakeEmptyMap(adt0.WrapStore(ctx, cbor.NewCborStore(s)))
			return adtMap{t, m.Put, m.Delete, m.Root}
		}},
		{"hamt-v2 (actors v2)", true, func(t *testing.T, s *memStore) collection {
			m := adt2.MakeEmptyMap(adt2.WrapStore(ctx, cbor.NewCborStore(s)))
			return adtMap{t, m.Put, m.Delete, m.Root}
		}},
		{"hamt-v3 (actors v3+)", true, func(t *testing.T, s *memStore) collection {
			m, err := adt3.MakeEmptyMap(adt3.WrapStore(ctx, cbor.NewCborStore(s)), 5)
			if err != nil {
				t.Fatal(err)
			}
			return adtMap{t, m.Put, m.Delete, m.Root}
		}},
		{"amt-v2 (actors v0.9/v2)", false, func(t *testing.T, s *memStore) collection {
			a := adt0.MakeEmptyArray(adt0.WrapStore(ctx, cbor.NewCborStore(s)))
			return adtArray{t, a.Set, a.Delete, a.Root}
		}},
		{"amt-v3 (actors v3+)", false, func(t *testing.T, s *memStore) collection {
			a, err := adt3.MakeEmptyArray(adt3.WrapStore(ctx, cbor.NewCborStore(s)), 5)
			if err != nil {
				t.Fatal(err)
			}
			return adtArray{t, a.Set, a.Delete, a.Root}
		}},
	}
}

type kv struct {
	a, b *int64
}

func decodeEntries(t *testing.T, hamt bool, es []entry) map[uint64]kv {
	t.Helper()
	out := map[uint64]kv{}
	val := func(raw []byte) *int64 {
		if raw == nil {
			return nil
		}
		var x cbg.CborInt
		if err := x.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
			t.Fatalf("decode value: %v", err)
		}
		v := int64(x)
		return &v
	}
	for _, e := range es {
		k := e.index
		if hamt {
			var n int
			k, n = binary.Uvarint(e.key)
			if n != len(e.key) {
				t.Fatalf("bad key %x", e.key)
			}
		}
		if _, dup := out[k]; dup {
			t.Fatalf("key %d reported twice", k)
		}
		out[k] = kv{val(e.a), val(e.b)}
	}
	return out
}

func ptr(v int64) *int64 { return &v }

func TestCollectionDiffAllEncodings(t *testing.T) {
	const n = 600
	for _, fl := range flavors() {
		t.Run(fl.name, func(t *testing.T) {
			s := newMemStore(nil)
			a := fl.make(t, s)
			b := fl.make(t, s)
			for i := uint64(0); i < n; i++ {
				a.set(i, int64(i))
				b.set(i, int64(i))
			}
			// B differs from A by two deletions, two changes and two
			// additions, one far enough out to make an AMT taller.
			b.del(3)
			b.del(250)
			b.set(7, 70007)
			b.set(400, -1)
			b.set(n+5, 5)
			b.set(100000, 42)
			want := map[uint64]kv{
				3:      {ptr(3), nil},
				250:    {ptr(250), nil},
				7:      {ptr(7), ptr(70007)},
				400:    {ptr(400), ptr(-1)},
				n + 5:  {nil, ptr(5)},
				100000: {nil, ptr(42)},
			}
			w := &walker{ctx: context.Background(), store: s, problem: func(sd side, err error) { t.Fatalf("problem on %s: %v", sd, err) }}
			run := func(x, y cid.Cid) map[uint64]kv {
				var es []entry
				var err error
				if fl.hamt {
					es, err = w.diffHAMT(x, y)
				} else {
					es, err = w.diffAMT(x, y)
				}
				if err != nil {
					t.Fatal(err)
				}
				return decodeEntries(t, fl.hamt, es)
			}
			check := func(got, want map[uint64]kv) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("got %d differing keys, want %d: %v", len(got), len(want), got)
				}
				for k, w := range want {
					g, ok := got[k]
					if !ok {
						t.Fatalf("key %d not reported", k)
					}
					same := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
					if !same(g.a, w.a) || !same(g.b, w.b) {
						t.Fatalf("key %d: got %v/%v", k, g.a, g.b)
					}
				}
			}
			ra, rb := a.root(), b.root()
			check(run(ra, rb), want)
			// Reversed, every addition becomes a removal and vice versa.
			rev := map[uint64]kv{}
			for k, v := range want {
				rev[k] = kv{v.b, v.a}
			}
			check(run(rb, ra), rev)
			// Against nothing, everything is new.
			all := run(cid.Undef, rb)
			if len(all) != n-2+2 {
				t.Fatalf("diff against empty: %d keys, want %d", len(all), n)
			}
			if got := run(ra, ra); len(got) != 0 {
				t.Fatalf("diff of a root with itself: %v", got)
			}
		})
	}
}

// TestCollectionDiffSkipsEqualSubtrees checks the property the whole design
// rests on: changing one entry of a large collection costs a walk down one
// path, not a read of the collection.
func TestCollectionDiffSkipsEqualSubtrees(t *testing.T) {
	const n = 5000
	for _, fl := range flavors() {
		t.Run(fl.name, func(t *testing.T) {
			s := newMemStore(nil)
			a := fl.make(t, s)
			for i := uint64(0); i < n; i++ {
				a.set(i, int64(i))
			}
			ra := a.root()
			before := s.len()
			a.set(1234, -1234)
			rb := a.root()
			cs := &countingStore{Store: s}
			w := &walker{ctx: context.Background(), store: cs, problem: func(sd side, err error) { t.Fatal(err) }}
			var es []entry
			var err error
			if fl.hamt {
				es, err = w.diffHAMT(ra, rb)
			} else {
				es, err = w.diffAMT(ra, rb)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 {
				t.Fatalf("got %d entries, want 1", len(es))
			}
			// Two root-to-leaf paths at most, against a tree of many blocks.
			if got := cs.gets.Load(); got > 12 || int(got)*10 > before {
				t.Fatalf("read %d blocks of a %d-block collection for a one-entry change", got, before)
			}
			t.Logf("%s: %d blocks read of %d", fl.name, cs.gets.Load(), before)
		})
	}
}
