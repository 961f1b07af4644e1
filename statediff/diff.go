package statediff

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-bitfield"
	sbig "github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Op classifies a line of a diff.
type Op byte

const (
	OpAdded   Op = '+' // present only in B
	OpRemoved Op = '-' // present only in A
	OpChanged Op = '~' // present in both, different
	OpProblem Op = '!' // a block could not be read or decoded; that part was not compared
)

// Change is one line of a diff: a value at Path that differs between A and
// B. A and B are the printed values (empty when absent on that side); Note
// adds a derived detail such as a FIL delta, or the problem text for
// OpProblem.
type Change struct {
	Op   Op
	Path string
	A, B string
	Note string
}

// ActorDiff is everything that differs about one actor.
type ActorDiff struct {
	Addr address.Address
	// Delegated is the actor's f4 address (state-tree v5), address.Undef
	// when it has none; a change of it is also listed as a Change.
	Delegated address.Address
	Op        Op     // OpAdded, OpRemoved or OpChanged
	Code      string // actor type and version, e.g. "storageminer v2"; "A → B" if it changed
	Changes   []Change
}

// Problem is a block that was missing from the store or could not be
// decoded. The subtree under it was not compared; the rest of the diff was.
type Problem struct {
	Side  string  // "A" or "B"
	Cid   cid.Cid // the block, when known
	Where string  // path of the structure being read, e.g. "f01000 State.Sectors"
	Err   string
}

// Result is the diff of two state roots.
type Result struct {
	A, B cid.Cid
	// TreeA and TreeB describe each root, e.g. "state-tree v1"; empty when
	// the root block could not be read.
	TreeA, TreeB string
	// Root lists differences in the root tuple itself (version, info) and
	// problems reading the actors HAMT.
	Root []Change
	// Actors are sorted by address (ID addresses numerically).
	Actors   []ActorDiff
	Problems []Problem
}

// Equal reports whether no difference and no problem was found.
func (r *Result) Equal() bool {
	return len(r.Root) == 0 && len(r.Actors) == 0 && len(r.Problems) == 0
}

// Diff compares the state trees rooted at a and b.
//
// The walk only loads what differs: a HAMT or AMT subtree, an actor head, a
// linked object whose CID is equal on both sides is never fetched, because
// equal CIDs mean equal content. Diffing two large states that differ in a
// few actors therefore reads a few paths from root to leaf, not the trees.
//
// Blocks missing from s (a failing vector's CAR rarely holds the actual
// post-state's siblings, and may lack the expected post-state entirely) are
// reported as Problems and as OpProblem lines at the place they were needed;
// the rest of the diff goes on. Only a cancelled context or a failure to
// produce any output is returned as an error.
func Diff(ctx context.Context, s Store, a, b cid.Cid) (*Result, error) {
	codes, err := codeTable()
	if err != nil {
		return nil, err
	}
	d := &differ{ctx: ctx, store: &boundedStore{Store: s, left: maxWalkLoads}, codes: codes, shapes: map[int]map[actorKind]*shape{}}
	res := &Result{A: a, B: b}
	d.res = res
	if a.Defined() && b.Defined() && a.Equals(b) {
		return res, nil
	}
	w := d.walker("state root", &res.Root)
	ta, err := w.loadTreeRoot(a)
	if err := w.soft(sideA, err); err != nil {
		return nil, err
	}
	tb, err := w.loadTreeRoot(b)
	if err := w.soft(sideB, err); err != nil {
		return nil, err
	}
	if ta != nil {
		res.TreeA = fmt.Sprintf("state-tree v%d", ta.version)
	}
	if tb != nil {
		res.TreeB = fmt.Sprintf("state-tree v%d", tb.version)
	}
	if ta == nil || tb == nil {
		return res, nil
	}
	if ta.version != tb.version {
		res.Root = append(res.Root, Change{Op: OpChanged, Path: "Version", A: fmt.Sprint(ta.version), B: fmt.Sprint(tb.version)})
	}
	if !ta.info.Equals(tb.info) {
		res.Root = append(res.Root, Change{Op: OpChanged, Path: "Info", A: formatCid(ta.info), B: formatCid(tb.info)})
	}
	if ta.actors.Equals(tb.actors) {
		return res, nil
	}
	entries, err := d.walker("actors", &res.Root).diffHAMT(ta.actors, tb.actors)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(entries, func(i, j int) bool { return addrKeyLess(entries[i].key, entries[j].key) })
	for _, e := range entries {
		ad, err := d.diffActor(e)
		if err != nil {
			return nil, err
		}
		res.Actors = append(res.Actors, ad)
	}
	return res, nil
}

type differ struct {
	ctx    context.Context
	store  Store
	codes  map[cid.Cid]codeInfo
	shapes map[int]map[actorKind]*shape
	res    *Result
}

// walker returns a collection walker whose data problems are recorded
// against where and listed in out.
func (d *differ) walker(where string, out *[]Change) *walker {
	return &walker{ctx: d.ctx, store: d.store, problem: func(s side, err error) {
		d.problem(s, where, err, out)
	}}
}

func (d *differ) problem(s side, where string, err error, out *[]Change) {
	p := Problem{Side: s.String(), Where: where, Err: err.Error()}
	var m *errMissing
	var u *errUndecodable
	var note string
	switch {
	case errors.As(err, &m):
		p.Cid = m.c
		note = fmt.Sprintf("missing block %s (%s): %v", formatCid(m.c), s, m.err)
	case errors.As(err, &u):
		p.Cid = u.c
		note = fmt.Sprintf("undecodable block %s (%s): not a valid %s: %v", formatCid(u.c), s, u.what, u.err)
	default:
		note = fmt.Sprintf("%s: %v", s, err)
	}
	d.res.Problems = append(d.res.Problems, p)
	*out = append(*out, Change{Op: OpProblem, Path: where, Note: note})
}

// shapeFor returns how to read the state of an actor with the given code,
// or nil for a code outside the builtin actors (e.g. the chaos actor).
func (d *differ) shapeFor(code cid.Cid) (*shape, codeInfo, bool) {
	ci, ok := d.codes[code]
	if !ok {
		return nil, codeInfo{}, false
	}
	m, ok := d.shapes[ci.version]
	if !ok {
		t, known := typesFor(ci.version)
		if !known {
			return nil, ci, false
		}
		m = stateShapes(t)
		d.shapes[ci.version] = m
	}
	return m[ci.kind], ci, true
}

func (d *differ) describeCode(code cid.Cid) string {
	if _, ci, ok := d.shapeFor(code); ok {
		return ci.String()
	}
	// Test-only actors (chaos) use identity-hash code CIDs whose digest is
	// their name; show it.
	if code.Defined() {
		if dm, err := multihash.Decode(code.Hash()); err == nil && dm.Code == multihash.IDENTITY {
			return fmt.Sprintf("unknown code %s (%q)", formatCid(code), dm.Digest)
		}
	}
	return "unknown code " + formatCid(code)
}

func (d *differ) diffActor(e entry) (ActorDiff, error) {
	ea, errA := decodeActor(e.key, e.a)
	eb, errB := decodeActor(e.key, e.b)
	ad := ActorDiff{}
	if errA != nil || errB != nil {
		if a, err := address.NewFromBytes(e.key); err == nil {
			ad.Addr = a
		}
		ad.Op = OpProblem
		for _, err := range []error{errA, errB} {
			if err != nil {
				ad.Changes = append(ad.Changes, Change{Op: OpProblem, Path: "actor", Note: err.Error()})
			}
		}
		d.res.Problems = append(d.res.Problems, Problem{Where: "actors " + formatBytes(e.key), Err: fmt.Sprint(errors.Join(errA, errB))})
		return ad, nil
	}
	ad.Addr = ea.addr
	where := formatAddress(ad.Addr)
	switch {
	case e.a == nil || e.b == nil:
		act, s, op := eb.act, sideB, OpAdded
		if e.b == nil {
			act, s, op = ea.act, sideA, OpRemoved
		}
		ad.Op = op
		ad.Code = d.describeCode(act.Code)
		one := func(path, v string) {
			c := Change{Op: op, Path: path}
			if op == OpAdded {
				c.B = v
			} else {
				c.A = v
			}
			ad.Changes = append(ad.Changes, c)
		}
		one("Code", formatCid(act.Code))
		one("Head", formatCid(act.Head))
		one("Nonce", fmt.Sprint(act.CallSeqNum))
		one("Balance", formatFIL(bigOf(act.Balance)))
		if act.Delegated != address.Undef {
			ad.Delegated = act.Delegated
			one("DelegatedAddress", formatAddress(act.Delegated))
		}
		sh, _, _ := d.shapeFor(act.Code)
		raw, err := fetch(d.ctx, d.store, act.Head)
		if err != nil {
			if !isSoft(err) {
				return ad, err
			}
			d.problem(s, where+" State", err, &ad.Changes)
			return ad, nil
		}
		one("State", d.renderRaw(sh, raw))
		return ad, nil
	}

	ad.Op = OpChanged
	a, b := ea.act, eb.act
	if a.Code.Equals(b.Code) {
		ad.Code = d.describeCode(a.Code)
	} else {
		ad.Code = d.describeCode(a.Code) + " → " + d.describeCode(b.Code)
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "Code", A: formatCid(a.Code), B: formatCid(b.Code)})
	}
	if !a.Head.Equals(b.Head) {
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "Head", A: formatCid(a.Head), B: formatCid(b.Head)})
	}
	if a.CallSeqNum != b.CallSeqNum {
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "Nonce", A: fmt.Sprint(a.CallSeqNum), B: fmt.Sprint(b.CallSeqNum)})
	}
	if bigOf(a.Balance).Cmp(bigOf(b.Balance)) != 0 {
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "Balance",
			A: formatFIL(bigOf(a.Balance)), B: formatFIL(bigOf(b.Balance)), Note: filDelta(bigOf(a.Balance), bigOf(b.Balance))})
	}
	ad.Delegated = b.Delegated
	if ad.Delegated == address.Undef {
		ad.Delegated = a.Delegated
	}
	if a.Delegated != b.Delegated {
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "DelegatedAddress", A: formatDelegated(a.Delegated), B: formatDelegated(b.Delegated)})
	}
	if a.Head.Equals(b.Head) {
		return ad, nil
	}
	sa, _, _ := d.shapeFor(a.Code)
	sb, _, _ := d.shapeFor(b.Code)
	sc := &scope{d: d, actor: where, out: &ad.Changes}
	if sa != nil && sb != nil && sa.decode != nil && sb.decode != nil &&
		reflect.TypeOf(sa.decode()) == reflect.TypeOf(sb.decode()) {
		return ad, sc.diffLink("State", object(sa), a.Head, b.Head)
	}
	// Different state types (an actors upgrade migrated this actor) or an
	// unknown code: show both states whole.
	ra, errA := fetch(d.ctx, d.store, a.Head)
	rb, errB := fetch(d.ctx, d.store, b.Head)
	for i, err := range []error{errA, errB} {
		if err != nil {
			if !isSoft(err) {
				return ad, err
			}
			d.problem(side(i), where+" State", err, &ad.Changes)
		}
	}
	if errA == nil && errB == nil {
		ad.Changes = append(ad.Changes, Change{Op: OpChanged, Path: "State", A: d.renderRaw(sa, ra), B: d.renderRaw(sb, rb)})
	}
	return ad, nil
}

// scope is the actor whose state is being compared and the list its
// changes go to.
type scope struct {
	d     *differ
	actor string
	out   *[]Change
}

func (sc *scope) add(c Change) { *sc.out = append(*sc.out, c) }

func (sc *scope) walker(path string) *walker {
	return sc.d.walker(sc.actor+" "+path, sc.out)
}

func (sc *scope) diffLink(path string, l *link, a, b cid.Cid) error {
	if a.Defined() && b.Defined() && a.Equals(b) {
		return nil
	}
	switch l.kind {
	case linkHAMT, linkAMT:
		return sc.diffCollection(path, l, a, b)
	}
	w := sc.walker(path)
	var ra, rb []byte
	var err error
	if a.Defined() {
		if ra, err = fetch(sc.d.ctx, sc.d.store, a); err != nil {
			return w.soft(sideA, err)
		}
	}
	if b.Defined() {
		if rb, err = fetch(sc.d.ctx, sc.d.store, b); err != nil {
			return w.soft(sideB, err)
		}
	}
	return sc.diffValue(path, l.elem, ra, rb)
}

func (sc *scope) diffCollection(path string, l *link, a, b cid.Cid) error {
	w := sc.walker(path)
	var es []entry
	var err error
	if l.kind == linkHAMT {
		es, err = w.diffHAMT(a, b)
	} else {
		es, err = w.diffAMT(a, b)
	}
	if err != nil {
		return err
	}
	sort.SliceStable(es, func(i, j int) bool { return keyLess(l.key, es[i], es[j]) })
	for _, e := range es {
		if err := sc.diffValue(path+"["+formatKey(l.key, e)+"]", l.elem, e.a, e.b); err != nil {
			return err
		}
	}
	return nil
}

// diffValue compares two raw CBOR values read the same way. A nil side is
// absent: the other side is listed whole.
func (sc *scope) diffValue(path string, sh *shape, ra, rb []byte) error {
	switch {
	case ra == nil && rb == nil:
		return nil
	case ra == nil:
		sc.add(Change{Op: OpAdded, Path: path, B: sc.d.renderRaw(sh, rb)})
		return sc.descendOneSided(path, sh, rb, sideB)
	case rb == nil:
		sc.add(Change{Op: OpRemoved, Path: path, A: sc.d.renderRaw(sh, ra)})
		return sc.descendOneSided(path, sh, ra, sideA)
	case bytes.Equal(ra, rb), sh.unit == unitMember:
		return nil
	}
	if sh.via != nil {
		ca, errA := cbg.ReadCid(bytes.NewReader(ra))
		cb, errB := cbg.ReadCid(bytes.NewReader(rb))
		if errA != nil || errB != nil {
			sc.add(Change{Op: OpChanged, Path: path, A: formatBytes(ra), B: formatBytes(rb)})
			return nil
		}
		sc.add(Change{Op: OpChanged, Path: path, A: formatCid(ca), B: formatCid(cb), Note: sh.via.kind.String()})
		return sc.diffLink(path, sh.via, ca, cb)
	}
	if sh.decode == nil {
		sc.add(Change{Op: OpChanged, Path: path, A: formatBytes(ra), B: formatBytes(rb)})
		return nil
	}
	va, errA := decodeWith(sh.decode, ra)
	vb, errB := decodeWith(sh.decode, rb)
	if errA != nil || errB != nil {
		note := fmt.Sprintf("cannot decode as %T: %v", sh.decode(), errors.Join(errA, errB))
		sc.add(Change{Op: OpChanged, Path: path, A: formatBytes(ra), B: formatBytes(rb), Note: note})
		return nil
	}
	leaves, err := compareValues(va, vb)
	if err != nil {
		sc.add(Change{Op: OpChanged, Path: path, A: formatBytes(ra), B: formatBytes(rb), Note: err.Error()})
		return nil
	}
	for _, lf := range leaves {
		p := path + lf.rel
		if l := sh.links[lf.fields]; l != nil {
			ca, okA := cidOf(lf.x)
			cb, okB := cidOf(lf.y)
			if okA && okB {
				sc.add(Change{Op: OpChanged, Path: p, A: formatCid(ca), B: formatCid(cb), Note: l.kind.String()})
				if err := sc.diffLink(p, l, ca, cb); err != nil {
					return err
				}
				continue
			}
		}
		sc.add(leafChange(p, lf, sh.unit))
	}
	return nil
}

// descendOneSided lists the members of a multimap value (a CID naming a
// nested AMT or set) that exists on one side only, so that a new cron
// epoch or deal-ops epoch shows its contents and not just a CID.
func (sc *scope) descendOneSided(path string, sh *shape, raw []byte, s side) error {
	if sh.via == nil {
		return nil
	}
	c, err := cbg.ReadCid(bytes.NewReader(raw))
	if err != nil {
		return nil // already shown raw by renderRaw
	}
	if s == sideA {
		return sc.diffLink(path, sh.via, c, cid.Undef)
	}
	return sc.diffLink(path, sh.via, cid.Undef, c)
}

func leafChange(path string, lf leafDiff, u unit) Change {
	if !lf.x.IsValid() {
		return Change{Op: OpAdded, Path: path, B: render(lf.y, lf.last, u)}
	}
	if !lf.y.IsValid() {
		return Change{Op: OpRemoved, Path: path, A: render(lf.x, lf.last, u)}
	}
	c := Change{Op: OpChanged, Path: path, A: render(lf.x, lf.last, u), B: render(lf.y, lf.last, u)}
	if c.A == c.B && lf.x.Kind() == reflect.Slice && lf.x.Type().Elem().Kind() == reflect.Uint8 {
		// Long byte strings are shortened for display; when that hides the
		// difference, print them whole.
		c.A, c.B = "0x"+hex.EncodeToString(lf.x.Bytes()), "0x"+hex.EncodeToString(lf.y.Bytes())
	}
	switch lf.x.Type() {
	case typBigInt:
		if u == unitToken || (u == unitNone && isTokenField(lf.last)) {
			c.Note = filDelta(bigOf(lf.x.Interface().(sbig.Int)), bigOf(lf.y.Interface().(sbig.Int)))
		}
	case typBitField:
		c.Note = bitFieldDelta(lf.x.Interface().(bitfield.BitField), lf.y.Interface().(bitfield.BitField))
	}
	return c
}

func decodeWith(d decoder, raw []byte) (any, error) {
	v := d()
	if err := v.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return v, nil
}

// renderRaw prints a whole value (for entries present on one side only).
func (d *differ) renderRaw(sh *shape, raw []byte) string {
	if sh == nil || sh.decode == nil {
		if sh != nil && sh.unit == unitMember {
			return "present"
		}
		if sh != nil && sh.via != nil {
			if c, err := cbg.ReadCid(bytes.NewReader(raw)); err == nil {
				return formatCid(c) + " (" + sh.via.kind.String() + ")"
			}
		}
		return formatBytes(raw)
	}
	v, err := decodeWith(sh.decode, raw)
	if err != nil {
		return fmt.Sprintf("%s (cannot decode as %T: %v)", formatBytes(raw), sh.decode(), err)
	}
	return render(reflect.ValueOf(v), "", sh.unit)
}
