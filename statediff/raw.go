package statediff

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/big"
	"sort"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// This file reads HAMT and AMT nodes directly from their CBOR encoding rather
// than through the go-hamt-ipld / go-amt-ipld libraries. One reader then
// covers every version used by actors v0.9..v7 (HAMT pointers were a
// one-entry map {"0": link} / {"1": bucket} before hamt v3 and a kinded union
// after; AMT roots gained a bit-width field in amt v3), and, more
// importantly, a missing child block becomes a reported gap in the diff
// instead of aborting the whole walk.

// side says which of the two trees a value or a problem belongs to.
type side int

const (
	sideA side = iota
	sideB
)

func (s side) String() string {
	if s == sideA {
		return "A"
	}
	return "B"
}

// entry is one key whose value differs between the two collections. A nil
// value means the key is absent on that side.
type entry struct {
	key   []byte // HAMT key bytes (nil for AMTs)
	index uint64 // AMT index (zero for HAMTs)
	a, b  []byte // raw CBOR values
}

// problemFunc receives a block that could not be read or decoded on one
// side. The walk skips that subtree and goes on.
type problemFunc func(s side, err error)

// walker compares two collections of the same kind, skipping every pair of
// subtrees whose root CIDs are equal.
type walker struct {
	ctx     context.Context
	store   Store
	problem problemFunc
}

// soft routes data problems to the problem callback and returns nil for
// them, so callers only propagate errors that must end the diff.
func (w *walker) soft(s side, err error) error {
	if err == nil {
		return nil
	}
	if isSoft(err) {
		w.problem(s, err)
		return nil
	}
	return err
}

// load fetches c and decodes it as a what; a block that does not decode is
// errUndecodable, which the walk treats as a soft problem.
func load[T any](w *walker, c cid.Cid, what string, decode func([]byte) (T, error)) (T, error) {
	var zero T
	raw, err := fetch(w.ctx, w.store, c)
	if err != nil {
		return zero, err
	}
	v, err := decode(raw)
	if err != nil {
		return zero, &errUndecodable{c: c, what: what, err: err}
	}
	return v, nil
}

// loadRoots loads the two sides' roots, leaving an undefined one nil (an
// empty collection). When a root cannot be loaded ok is false and err is
// what the walk makes of it (nil for a soft problem, already reported):
// the comparison of this pair ends there.
func loadRoots[T any](w *walker, a, b cid.Cid, load func(cid.Cid) (T, error)) (ra, rb T, ok bool, err error) {
	if a.Defined() {
		if ra, err = load(a); err != nil {
			return ra, rb, false, w.soft(sideA, err)
		}
	}
	if b.Defined() {
		if rb, err = load(b); err != nil {
			return ra, rb, false, w.soft(sideB, err)
		}
	}
	return ra, rb, true, nil
}

// set records v as side s's value.
func (e *entry) set(s side, v []byte) {
	if s == sideA {
		e.a = v
	} else {
		e.b = v
	}
}

// changed lists the entries of acc whose two sides differ, sorted by less.
func changed[K comparable](acc map[K]*entry, less func(x, y *entry) bool) []entry {
	out := make([]entry, 0, len(acc))
	for _, e := range acc {
		if e.a != nil && e.b != nil && bytes.Equal(e.a, e.b) {
			continue
		}
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return less(&out[i], &out[j]) })
	return out
}

// ---- HAMT ----

type hamtKV struct {
	key []byte
	val []byte
}

type hamtPointer struct {
	link cid.Cid
	kvs  []hamtKV
}

type hamtNode struct {
	bits *big.Int
	ptrs []hamtPointer
}

// slot returns the pointer stored at bit position i, or nil. Pointers are
// stored densely, in order of their bit positions.
func (n *hamtNode) slot(i int) *hamtPointer {
	if n == nil || n.bits.Bit(i) == 0 {
		return nil
	}
	pos := 0
	for j := 0; j < i; j++ {
		if n.bits.Bit(j) == 1 {
			pos++
		}
	}
	if pos >= len(n.ptrs) {
		return nil
	}
	return &n.ptrs[pos]
}

func decodeHAMTNode(raw []byte) (*hamtNode, error) {
	r := bytes.NewReader(raw)
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n != 2 {
		return nil, fmt.Errorf("node: want 2-element array, got major %d length %d", maj, n)
	}
	bf, err := cbg.ReadByteArray(r, 1024)
	if err != nil {
		return nil, fmt.Errorf("node bitfield: %w", err)
	}
	maj, n, err = cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n > 1<<16 {
		return nil, fmt.Errorf("node pointers: want array, got major %d length %d", maj, n)
	}
	nd := &hamtNode{bits: new(big.Int).SetBytes(bf), ptrs: make([]hamtPointer, 0, n)}
	for i := uint64(0); i < n; i++ {
		var d cbg.Deferred
		if err := d.UnmarshalCBOR(r); err != nil {
			return nil, fmt.Errorf("pointer %d: %w", i, err)
		}
		p, err := decodeHAMTPointer(d.Raw)
		if err != nil {
			return nil, fmt.Errorf("pointer %d: %w", i, err)
		}
		nd.ptrs = append(nd.ptrs, p)
	}
	if nd.bits.BitLen() > 256 {
		return nil, fmt.Errorf("node bitfield too wide (%d bits)", nd.bits.BitLen())
	}
	return nd, nil
}

func decodeHAMTPointer(raw []byte) (hamtPointer, error) {
	if len(raw) == 0 {
		return hamtPointer{}, fmt.Errorf("empty pointer")
	}
	r := bytes.NewReader(raw)
	switch raw[0] >> 5 {
	case cbg.MajTag:
		c, err := cbg.ReadCid(r)
		return hamtPointer{link: c}, err
	case cbg.MajArray:
		kvs, err := decodeBucket(r)
		return hamtPointer{kvs: kvs}, err
	case cbg.MajMap:
		// Older encoding: a single-entry map keyed "0" (link) or "1" (bucket).
		if _, n, err := cbg.CborReadHeader(r); err != nil || n != 1 {
			return hamtPointer{}, fmt.Errorf("old-style pointer: want one-entry map")
		}
		k, err := cbg.ReadString(r)
		if err != nil {
			return hamtPointer{}, err
		}
		switch k {
		case "0":
			c, err := cbg.ReadCid(r)
			return hamtPointer{link: c}, err
		case "1":
			kvs, err := decodeBucket(r)
			return hamtPointer{kvs: kvs}, err
		}
		return hamtPointer{}, fmt.Errorf("old-style pointer: unknown key %q", k)
	}
	return hamtPointer{}, fmt.Errorf("pointer: unexpected CBOR major type %d", raw[0]>>5)
}

func decodeBucket(r io.Reader) ([]hamtKV, error) {
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n > 64 {
		return nil, fmt.Errorf("bucket: want short array, got major %d length %d", maj, n)
	}
	kvs := make([]hamtKV, 0, n)
	for i := uint64(0); i < n; i++ {
		maj, m, err := cbg.CborReadHeader(r)
		if err != nil {
			return nil, err
		}
		if maj != cbg.MajArray || m != 2 {
			return nil, fmt.Errorf("bucket entry %d: want 2-element array", i)
		}
		k, err := cbg.ReadByteArray(r, 1<<16)
		if err != nil {
			return nil, fmt.Errorf("bucket entry %d key: %w", i, err)
		}
		var v cbg.Deferred
		if err := v.UnmarshalCBOR(r); err != nil {
			return nil, fmt.Errorf("bucket entry %d value: %w", i, err)
		}
		kvs = append(kvs, hamtKV{key: k, val: v.Raw})
	}
	return kvs, nil
}

func (w *walker) loadHAMT(c cid.Cid) (*hamtNode, error) {
	return load(w, c, "HAMT node", decodeHAMTNode)
}

// diffHAMT returns the keys whose values differ between the HAMTs rooted at
// a and b, sorted by key bytes. An undefined root stands for an empty map.
//
// Both HAMTs place a key by the same hash bits, so a key can only ever be
// found under the same slot on both sides. The walk therefore compares the
// two trees slot by slot: equal child links are skipped without being
// loaded, differing links are descended in step, and only where the shapes
// diverge (a bucket on one side, a subtree on the other) are both sides
// enumerated and matched by key.
func (w *walker) diffHAMT(a, b cid.Cid) ([]entry, error) {
	acc := map[string]*entry{}
	if err := w.hamtPair(a, b, acc, newHAMTWalk(), 0); err != nil {
		return nil, err
	}
	return changed(acc, func(x, y *entry) bool { return bytes.Compare(x.key, y.key) < 0 }), nil
}

func (w *walker) hamtPair(a, b cid.Cid, acc map[string]*entry, hw *hamtWalk, depth int) error {
	if a.Defined() && b.Defined() && a.Equals(b) {
		return nil
	}
	if done, err := hw.enter(a, b, depth); done || err != nil {
		return err
	}
	defer hw.leave(a, b)
	na, nb, ok, err := loadRoots(w, a, b, w.loadHAMT)
	if !ok {
		return err
	}
	width := 0
	for _, n := range []*hamtNode{na, nb} {
		if n != nil && n.bits.BitLen() > width {
			width = n.bits.BitLen()
		}
	}
	for i := 0; i < width; i++ {
		pa, pb := na.slot(i), nb.slot(i)
		if pa != nil && pb != nil && pa.link.Defined() && pb.link.Defined() {
			if err := w.hamtPair(pa.link, pb.link, acc, hw, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := w.hamtCollect(pa, sideA, acc, hw, depth+1); err != nil {
			return err
		}
		if err := w.hamtCollect(pb, sideB, acc, hw, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// hamtCollect adds every key under p to acc on side s.
func (w *walker) hamtCollect(p *hamtPointer, s side, acc map[string]*entry, hw *hamtWalk, depth int) error {
	if p == nil {
		return nil
	}
	if !p.link.Defined() {
		for _, kv := range p.kvs {
			e := acc[string(kv.key)]
			if e == nil {
				e = &entry{key: kv.key}
				acc[string(kv.key)] = e
			}
			e.set(s, kv.val)
		}
		return nil
	}
	a, b := p.link, cid.Undef
	if s == sideB {
		a, b = b, a
	}
	if done, err := hw.enter(a, b, depth); done || err != nil {
		return err
	}
	defer hw.leave(a, b)
	nd, err := w.loadHAMT(p.link)
	if err != nil {
		return w.soft(s, err)
	}
	for i := range nd.ptrs {
		if err := w.hamtCollect(&nd.ptrs[i], s, acc, hw, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// ---- AMT ----

type amtNode struct {
	bmap   []byte
	links  []cid.Cid
	values [][]byte
}

func (n *amtNode) has(i int) bool {
	return n != nil && i/8 < len(n.bmap) && n.bmap[i/8]&(1<<(uint(i)%8)) != 0
}

// pos is the dense position of slot i among the set slots.
func (n *amtNode) pos(i int) int {
	p := 0
	for j := 0; j < i; j++ {
		if n.has(j) {
			p++
		}
	}
	return p
}

func (n *amtNode) link(i int) (cid.Cid, bool) {
	if !n.has(i) {
		return cid.Undef, false
	}
	p := n.pos(i)
	if p >= len(n.links) {
		return cid.Undef, false
	}
	return n.links[p], true
}

func (n *amtNode) value(i int) []byte {
	if !n.has(i) {
		return nil
	}
	p := n.pos(i)
	if p >= len(n.values) {
		return nil
	}
	return n.values[p]
}

type amtRoot struct {
	bitWidth uint
	height   int
	node     *amtNode
}

func (r *amtRoot) width() int { return 1 << r.bitWidth }

func decodeAMTNode(r io.Reader) (*amtNode, error) {
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n != 3 {
		return nil, fmt.Errorf("node: want 3-element array, got major %d length %d", maj, n)
	}
	bm, err := cbg.ReadByteArray(r, 1024)
	if err != nil {
		return nil, fmt.Errorf("node bitmap: %w", err)
	}
	nd := &amtNode{bmap: bm}
	maj, n, err = cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n > 1<<13 {
		return nil, fmt.Errorf("node links: want array")
	}
	for i := uint64(0); i < n; i++ {
		c, err := cbg.ReadCid(r)
		if err != nil {
			return nil, fmt.Errorf("node link %d: %w", i, err)
		}
		nd.links = append(nd.links, c)
	}
	maj, n, err = cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n > 1<<13 {
		return nil, fmt.Errorf("node values: want array")
	}
	for i := uint64(0); i < n; i++ {
		var d cbg.Deferred
		if err := d.UnmarshalCBOR(r); err != nil {
			return nil, fmt.Errorf("node value %d: %w", i, err)
		}
		nd.values = append(nd.values, d.Raw)
	}
	return nd, nil
}

func decodeAMTRoot(raw []byte) (*amtRoot, error) {
	r := bytes.NewReader(raw)
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || (n != 3 && n != 4) {
		return nil, fmt.Errorf("root: want 3- or 4-element array, got major %d length %d", maj, n)
	}
	root := &amtRoot{bitWidth: 3} // amt v2 had a fixed width of 8
	readUint := func(what string) (uint64, error) {
		maj, v, err := cbg.CborReadHeader(r)
		if err != nil {
			return 0, fmt.Errorf("root %s: %w", what, err)
		}
		if maj != cbg.MajUnsignedInt {
			return 0, fmt.Errorf("root %s: want unsigned int", what)
		}
		return v, nil
	}
	if n == 4 {
		bw, err := readUint("bit width")
		if err != nil {
			return nil, err
		}
		if bw < 1 || bw > 16 {
			return nil, fmt.Errorf("root bit width %d out of range", bw)
		}
		root.bitWidth = uint(bw)
	}
	h, err := readUint("height")
	if err != nil {
		return nil, err
	}
	if h > 64 {
		return nil, fmt.Errorf("root height %d out of range", h)
	}
	root.height = int(h)
	if _, err := readUint("count"); err != nil {
		return nil, err
	}
	if root.node, err = decodeAMTNode(r); err != nil {
		return nil, err
	}
	return root, nil
}

func (w *walker) loadAMTRoot(c cid.Cid) (*amtRoot, error) {
	return load(w, c, "AMT root", decodeAMTRoot)
}

func (w *walker) loadAMTNode(c cid.Cid) (*amtNode, error) {
	return load(w, c, "AMT node", func(raw []byte) (*amtNode, error) { return decodeAMTNode(bytes.NewReader(raw)) })
}

// amtTree carries the geometry shared by every node of one AMT.
type amtTree struct {
	width int
}

// span is how many indices one child of a node at height h covers.
func (t amtTree) span(h int) uint64 {
	s := uint64(1)
	for i := 0; i < h; i++ {
		s *= uint64(t.width)
	}
	return s
}

// diffAMT returns the indices whose values differ between the AMTs rooted
// at a and b, in ascending order. An undefined root stands for an empty
// array. As with HAMTs, equal child links are never loaded. When the two
// trees have different heights, the shorter one lies wholly under the first
// child of the taller one, so the walk descends that child until the
// heights meet and lists the taller tree's other children as one-sided.
func (w *walker) diffAMT(a, b cid.Cid) ([]entry, error) {
	if a.Defined() && b.Defined() && a.Equals(b) {
		return nil, nil
	}
	ra, rb, ok, err := loadRoots(w, a, b, w.loadAMTRoot)
	if !ok {
		return nil, err
	}
	acc := map[uint64]*entry{}
	switch {
	case ra == nil && rb == nil:
	case ra == nil:
		err = w.amtCollect(amtTree{rb.width()}, rb.node, rb.height, 0, sideB, acc)
	case rb == nil:
		err = w.amtCollect(amtTree{ra.width()}, ra.node, ra.height, 0, sideA, acc)
	case ra.bitWidth != rb.bitWidth:
		if err = w.amtCollect(amtTree{ra.width()}, ra.node, ra.height, 0, sideA, acc); err == nil {
			err = w.amtCollect(amtTree{rb.width()}, rb.node, rb.height, 0, sideB, acc)
		}
	default:
		err = w.amtPair(amtTree{ra.width()}, ra.node, ra.height, rb.node, rb.height, 0, acc)
	}
	if err != nil {
		return nil, err
	}
	return changed(acc, func(x, y *entry) bool { return x.index < y.index }), nil
}

func (w *walker) amtPair(t amtTree, na *amtNode, ha int, nb *amtNode, hb int, off uint64, acc map[uint64]*entry) error {
	if ha != hb {
		// Orient so that "tall" is the taller side.
		tall, short, tallSide, shortSide := na, nb, sideA, sideB
		ht, hs := ha, hb
		if hb > ha {
			tall, short, tallSide, shortSide = nb, na, sideB, sideA
			ht, hs = hb, ha
		}
		first, ok := tall.link(0)
		if !ok {
			if err := w.amtCollect(t, short, hs, off, shortSide, acc); err != nil {
				return err
			}
		} else {
			child, err := w.loadAMTNode(first)
			if err != nil {
				if err := w.soft(tallSide, err); err != nil {
					return err
				}
			} else {
				var err error
				if tallSide == sideA {
					err = w.amtPair(t, child, ht-1, short, hs, off, acc)
				} else {
					err = w.amtPair(t, short, hs, child, ht-1, off, acc)
				}
				if err != nil {
					return err
				}
			}
		}
		for i := 1; i < t.width; i++ {
			if c, ok := tall.link(i); ok {
				if err := w.amtCollectLink(t, c, ht-1, off+uint64(i)*t.span(ht), tallSide, acc); err != nil {
					return err
				}
			}
		}
		return nil
	}
	h := ha
	for i := 0; i < t.width; i++ {
		if h == 0 {
			va, vb := na.value(i), nb.value(i)
			if va == nil && vb == nil {
				continue
			}
			acc[off+uint64(i)] = &entry{index: off + uint64(i), a: va, b: vb}
			continue
		}
		childOff := off + uint64(i)*t.span(h)
		la, oka := na.link(i)
		lb, okb := nb.link(i)
		switch {
		case oka && okb:
			if la.Equals(lb) {
				continue
			}
			ca, err := w.loadAMTNode(la)
			if err != nil {
				if err := w.soft(sideA, err); err != nil {
					return err
				}
				continue
			}
			cb, err := w.loadAMTNode(lb)
			if err != nil {
				if err := w.soft(sideB, err); err != nil {
					return err
				}
				continue
			}
			if err := w.amtPair(t, ca, h-1, cb, h-1, childOff, acc); err != nil {
				return err
			}
		case oka:
			if err := w.amtCollectLink(t, la, h-1, childOff, sideA, acc); err != nil {
				return err
			}
		case okb:
			if err := w.amtCollectLink(t, lb, h-1, childOff, sideB, acc); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) amtCollectLink(t amtTree, c cid.Cid, h int, off uint64, s side, acc map[uint64]*entry) error {
	nd, err := w.loadAMTNode(c)
	if err != nil {
		return w.soft(s, err)
	}
	return w.amtCollect(t, nd, h, off, s, acc)
}

// amtCollect adds every value under nd (a node at height h whose first index
// is off) to acc on side s.
func (w *walker) amtCollect(t amtTree, nd *amtNode, h int, off uint64, s side, acc map[uint64]*entry) error {
	for i := 0; i < t.width; i++ {
		if !nd.has(i) {
			continue
		}
		if h > 0 {
			c, ok := nd.link(i)
			if !ok {
				continue
			}
			if err := w.amtCollectLink(t, c, h-1, off+uint64(i)*t.span(h), s, acc); err != nil {
				return err
			}
			continue
		}
		v := nd.value(i)
		if v == nil {
			continue
		}
		idx := off + uint64(i)
		e := acc[idx]
		if e == nil {
			e = &entry{index: idx}
			acc[idx] = e
		}
		e.set(s, v)
	}
	return nil
}
