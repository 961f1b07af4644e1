package statediff

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	market0 "github.com/filecoin-project/specs-actors/actors/builtin/market"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	paych0 "github.com/filecoin-project/specs-actors/actors/builtin/paych"
	verifreg0 "github.com/filecoin-project/specs-actors/actors/builtin/verifreg"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	market2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/market"
	multisig2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/multisig"
	paych2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/paych"
	verifreg2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/verifreg"
	states2 "github.com/filecoin-project/specs-actors/v2/actors/states"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	"github.com/ipfs/go-cid"
	cbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// treeEditor rewrites actor heads in a real state tree, writing new blocks
// to a memStore layered over the vector's CAR.
type treeEditor struct {
	t       *testing.T
	ctx     context.Context
	cst     cbor.IpldStore
	version uint64
	info    cid.Cid
	get     func(address.Address) cid.Cid
	set     func(address.Address, cid.Cid)
	flush   func() cid.Cid
}

func openTree(t *testing.T, s *memStore, root cid.Cid) *treeEditor {
	t.Helper()
	ctx := context.Background()
	w := &walker{ctx: ctx, store: s, problem: func(side, error) {}}
	tr, err := w.loadTreeRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	cst := cbor.NewCborStore(s)
	e := &treeEditor{t: t, ctx: ctx, cst: cst, version: tr.version, info: tr.info}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	switch tr.version {
	case 0:
		tree, err := states0.LoadTree(adt0.WrapStore(ctx, cst), tr.actors)
		must(err)
		e.get = func(a address.Address) cid.Cid {
			act, found, err := tree.GetActor(a)
			must(err)
			if !found {
				t.Fatalf("no actor %s", a)
			}
			return act.Head
		}
		e.set = func(a address.Address, h cid.Cid) {
			act, _, err := tree.GetActor(a)
			must(err)
			act.Head = h
			must(tree.SetActor(a, act))
		}
		e.flush = func() cid.Cid { c, err := tree.Flush(); must(err); return c }
	case 1:
		tree, err := states2.LoadTree(adt2.WrapStore(ctx, cst), tr.actors)
		must(err)
		e.get = func(a address.Address) cid.Cid {
			act, found, err := tree.GetActor(a)
			must(err)
			if !found {
				t.Fatalf("no actor %s", a)
			}
			return act.Head
		}
		e.set = func(a address.Address, h cid.Cid) {
			act, _, err := tree.GetActor(a)
			must(err)
			act.Head = h
			must(tree.SetActor(a, act))
		}
		e.flush = func() cid.Cid {
			actors, err := tree.Flush()
			must(err)
			// Wrap in the {Version, Actors, Info} root tuple.
			var buf bytes.Buffer
			must(cbg.WriteMajorTypeHeader(&buf, cbg.MajArray, 3))
			must(cbg.WriteMajorTypeHeader(&buf, cbg.MajUnsignedInt, tr.version))
			must(cbg.WriteCid(&buf, actors))
			must(cbg.WriteCid(&buf, tr.info))
			c, err := cst.Put(ctx, &cbg.Deferred{Raw: buf.Bytes()})
			must(err)
			return c
		}
	default:
		t.Fatalf("state-tree v%d", tr.version)
	}
	return e
}

// edit loads actor a's state into st, lets fn change it, and stores it back.
func (e *treeEditor) edit(a address.Address, st interface {
	cbg.CBORMarshaler
	cbg.CBORUnmarshaler
}, fn func()) {
	e.t.Helper()
	if err := e.cst.Get(e.ctx, e.get(a), st); err != nil {
		e.t.Fatal(err)
	}
	fn()
	h, err := e.cst.Put(e.ctx, st)
	if err != nil {
		e.t.Fatal(err)
	}
	e.set(a, h)
}

func idAddr(id uint64) address.Address {
	a, _ := address.NewIDAddress(id)
	return a
}

func fil(whole, tenths int64) big.Int {
	return big.Mul(big.NewInt(whole*10+tenths), big.NewInt(1e17))
}

// findActor returns an actor of the given type (and version) in the
// state tree rooted at root, if there is one.
func findActor(t *testing.T, s Store, root cid.Cid, kind actorKind, version int) (address.Address, bool) {
	t.Helper()
	codes, err := codeTable()
	if err != nil {
		t.Fatal(err)
	}
	var found []address.Address
	for a, act := range independentActors(t, s, root) {
		if ci, ok := codes[act.Code]; ok && ci.kind == kind && ci.version == version {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		return address.Undef, false
	}
	best := found[0]
	for _, a := range found[1:] {
		if addrKeyLess(a.Bytes(), best.Bytes()) {
			best = a
		}
	}
	return best, true
}

func requireLines(t *testing.T, res *Result, want ...string) {
	t.Helper()
	text := strings.Join(res.Lines(), "\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in diff:\n%s", w, text)
		}
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %+v", res.Problems)
	}
}

// TestHandBuiltCollections edits multisig pending transactions, payment
// channel lanes, market tables and proposals, and verified-registry tables
// in real actors v0.9 and v2 states, then checks the diff lists exactly
// those entries, decoded.
func TestHandBuiltCollections(t *testing.T) {
	for _, tc := range []struct {
		name, vector, ver string
		version           int
	}{
		{"v0.9/paych", "actor_creation/addresses--sequential-10--genesis.json", "v0.9", 0},
		{"v2/paych", "actor_creation/addresses--sequential-10--actorsv2.json", "v2", 2},
		{"v0.9/multisig", "multisig/basic--ok-add-signer--genesis.json", "v0.9", 0},
		{"v2/multisig", "multisig/basic--ok-add-signer--actorsv2.json", "v2", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			v := loadVector(t, tc.vector)
			paych, hasPaych := findActor(t, v.store, v.post, kindPaych, tc.version)
			ms, hasMS := findActor(t, v.store, v.post, kindMultisig, tc.version)
			s := newMemStore(v.store)
			market, verifreg := idAddr(5), idAddr(6)
			pieceCid := v.pre // any CID will do as a piece CID

			// Step 1: add entries.
			e := openTree(t, s, v.post)
			// Step 2 (applied to step 1's result): change some of them.
			var s1, s2 cid.Cid
			if tc.ver == "v0.9" {
				var mst multisig0.State
				var pst paych0.State
				if hasMS {
					e.edit(ms, &mst, func() {
						m, err := adt0.AsMap(adt0.WrapStore(ctx, e.cst), mst.PendingTxns)
						must(t, err)
						must(t, m.Put(multisig0.TxnID(5), &multisig0.Transaction{To: idAddr(101), Value: fil(1, 5), Method: 2, Params: []byte{1, 2}, Approved: []address.Address{idAddr(100)}}))
						mst.PendingTxns, err = m.Root()
						must(t, err)
					})
				}
				if hasPaych {
					e.edit(paych, &pst, func() {
						a, err := adt0.AsArray(adt0.WrapStore(ctx, e.cst), pst.LaneStates)
						must(t, err)
						must(t, a.Set(3, &paych0.LaneState{Redeemed: fil(2, 0), Nonce: 7}))
						pst.LaneStates, err = a.Root()
						must(t, err)
					})
				}
				var mkt market0.State
				e.edit(market, &mkt, func() {
					st := adt0.WrapStore(ctx, e.cst)
					bt, err := adt0.AsBalanceTable(st, mkt.EscrowTable)
					must(t, err)
					must(t, bt.Add(idAddr(999), fil(3, 0)))
					mkt.EscrowTable, err = bt.Root()
					must(t, err)
					props, err := adt0.AsArray(st, mkt.Proposals)
					must(t, err)
					must(t, props.Set(0, &market0.DealProposal{PieceCID: pieceCid, PieceSize: 2048, Client: idAddr(100), Provider: idAddr(101),
						StartEpoch: 10, EndEpoch: 20, StoragePricePerEpoch: big.Zero(), ProviderCollateral: big.Zero(), ClientCollateral: big.Zero()}))
					mkt.Proposals, err = props.Root()
					must(t, err)
				})
				var vr verifreg0.State
				e.edit(verifreg, &vr, func() {
					m, err := adt0.AsMap(adt0.WrapStore(ctx, e.cst), vr.Verifiers)
					must(t, err)
					dc := big.NewInt(1024)
					must(t, m.Put(abi.AddrKey(idAddr(999)), &dc))
					vr.Verifiers, err = m.Root()
					must(t, err)
				})
				s1 = e.flush()
				e = openTree(t, s, s1)
				if hasMS {
					e.edit(ms, &mst, func() {
						m, err := adt0.AsMap(adt0.WrapStore(ctx, e.cst), mst.PendingTxns)
						must(t, err)
						must(t, m.Put(multisig0.TxnID(5), &multisig0.Transaction{To: idAddr(101), Value: fil(1, 5), Method: 2, Params: []byte{1, 2}, Approved: []address.Address{idAddr(100), idAddr(102)}}))
						mst.PendingTxns, err = m.Root()
						must(t, err)
					})
				}
				if hasPaych {
					e.edit(paych, &pst, func() {
						a, err := adt0.AsArray(adt0.WrapStore(ctx, e.cst), pst.LaneStates)
						must(t, err)
						must(t, a.Set(3, &paych0.LaneState{Redeemed: fil(2, 0), Nonce: 8}))
						pst.LaneStates, err = a.Root()
						must(t, err)
					})
				}
				e.edit(market, &mkt, func() {
					bt, err := adt0.AsBalanceTable(adt0.WrapStore(ctx, e.cst), mkt.EscrowTable)
					must(t, err)
					must(t, bt.Add(idAddr(999), fil(1, 0)))
					mkt.EscrowTable, err = bt.Root()
					must(t, err)
				})
				s2 = e.flush()
			} else {
				var mst multisig2.State
				var pst paych2.State
				if hasMS {
					e.edit(ms, &mst, func() {
						m, err := adt2.AsMap(adt2.WrapStore(ctx, e.cst), mst.PendingTxns)
						must(t, err)
						must(t, m.Put(multisig2.TxnID(5), &multisig2.Transaction{To: idAddr(101), Value: fil(1, 5), Method: 2, Params: []byte{1, 2}, Approved: []address.Address{idAddr(100)}}))
						mst.PendingTxns, err = m.Root()
						must(t, err)
					})
				}
				if hasPaych {
					e.edit(paych, &pst, func() {
						a, err := adt2.AsArray(adt2.WrapStore(ctx, e.cst), pst.LaneStates)
						must(t, err)
						must(t, a.Set(3, &paych2.LaneState{Redeemed: fil(2, 0), Nonce: 7}))
						pst.LaneStates, err = a.Root()
						must(t, err)
					})
				}
				var mkt market2.State
				e.edit(market, &mkt, func() {
					st := adt2.WrapStore(ctx, e.cst)
					bt, err := adt2.AsBalanceTable(st, mkt.EscrowTable)
					must(t, err)
					must(t, bt.Add(idAddr(999), fil(3, 0)))
					mkt.EscrowTable, err = bt.Root()
					must(t, err)
					props, err := adt2.AsArray(st, mkt.Proposals)
					must(t, err)
					must(t, props.Set(0, &market2.DealProposal{PieceCID: pieceCid, PieceSize: 2048, Client: idAddr(100), Provider: idAddr(101),
						StartEpoch: 10, EndEpoch: 20, StoragePricePerEpoch: big.Zero(), ProviderCollateral: big.Zero(), ClientCollateral: big.Zero()}))
					mkt.Proposals, err = props.Root()
					must(t, err)
				})
				var vr verifreg2.State
				e.edit(verifreg, &vr, func() {
					m, err := adt2.AsMap(adt2.WrapStore(ctx, e.cst), vr.Verifiers)
					must(t, err)
					dc := big.NewInt(1024)
					must(t, m.Put(abi.AddrKey(idAddr(999)), &dc))
					vr.Verifiers, err = m.Root()
					must(t, err)
				})
				s1 = e.flush()
				e = openTree(t, s, s1)
				if hasMS {
					e.edit(ms, &mst, func() {
						m, err := adt2.AsMap(adt2.WrapStore(ctx, e.cst), mst.PendingTxns)
						must(t, err)
						must(t, m.Put(multisig2.TxnID(5), &multisig2.Transaction{To: idAddr(101), Value: fil(1, 5), Method: 2, Params: []byte{1, 2}, Approved: []address.Address{idAddr(100), idAddr(102)}}))
						mst.PendingTxns, err = m.Root()
						must(t, err)
					})
				}
				if hasPaych {
					e.edit(paych, &pst, func() {
						a, err := adt2.AsArray(adt2.WrapStore(ctx, e.cst), pst.LaneStates)
						must(t, err)
						must(t, a.Set(3, &paych2.LaneState{Redeemed: fil(2, 0), Nonce: 8}))
						pst.LaneStates, err = a.Root()
						must(t, err)
					})
				}
				e.edit(market, &mkt, func() {
					bt, err := adt2.AsBalanceTable(adt2.WrapStore(ctx, e.cst), mkt.EscrowTable)
					must(t, err)
					must(t, bt.Add(idAddr(999), fil(1, 0)))
					mkt.EscrowTable, err = bt.Root()
					must(t, err)
				})
				s2 = e.flush()
			}

			count := func(n int, on bool) int {
				if on {
					return n + 1
				}
				return n
			}
			added, err := Diff(ctx, s, v.post, s1)
			must(t, err)
			if n, want := len(added.Actors), count(count(2, hasMS), hasPaych); n != want {
				t.Errorf("step 1 changed %d actors, want %d", n, want)
			}
			want := []string{
				"+ State.EscrowTable[f0999]: 3 FIL (3000000000000000000 attoFIL)",
				"+ State.Proposals[0]: {PieceCID: " + pieceCid.String() + ", PieceSize: 2048, VerifiedDeal: false, Client: f0100, Provider: f0101,",
				"+ State.Verifiers[f0999]: 1024",
			}
			if hasMS {
				want = append(want, "+ State.PendingTxns[5]: {To: f0101, Value: 1.5 FIL (1500000000000000000 attoFIL), Method: 2, Params: 0x0102, Approved: [f0100]}")
			}
			if hasPaych {
				want = append(want, "+ State.LaneStates[3]: {Redeemed: 2 FIL (2000000000000000000 attoFIL), Nonce: 7}")
			}
			requireLines(t, added, want...)

			changed, err := Diff(ctx, s, s1, s2)
			must(t, err)
			want = []string{"~ State.EscrowTable[f0999]: 3 FIL (3000000000000000000 attoFIL) → 4 FIL (4000000000000000000 attoFIL) [+1 FIL]"}
			if hasMS {
				want = append(want, "+ State.PendingTxns[5].Approved[1]: f0102")
			}
			if hasPaych {
				want = append(want, "~ State.LaneStates[3].Nonce: 7 → 8")
			}
			requireLines(t, changed, want...)
			if n, want := len(changed.Actors), count(count(1, hasMS), hasPaych); n != want {
				t.Errorf("step 2 changed %d actors, want %d", n, want)
			}
			// Removing is the same diff read backwards.
			removed, err := Diff(ctx, s, s1, v.post)
			must(t, err)
			requireLines(t, removed, "- State.Verifiers[f0999]: 1024", "- State.EscrowTable[f0999]: 3 FIL")
			if !hasMS && !hasPaych {
				t.Fatalf("vector has neither a multisig nor a payment channel")
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
