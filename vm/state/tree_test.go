package state

import (
	"context"
	"errors"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	states2 "github.com/filecoin-project/specs-actors/v2/actors/states"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	states3 "github.com/filecoin-project/specs-actors/v3/actors/states"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	states4 "github.com/filecoin-project/specs-actors/v4/actors/states"
	adt4 "github.com/filecoin-project/specs-actors/v4/actors/util/adt"
	states5 "github.com/filecoin-project/specs-actors/v5/actors/states"
	adt5 "github.com/filecoin-project/specs-actors/v5/actors/util/adt"

	"github.com/tvx-project/tvx/protocol"
)

func newTree(t *testing.T, v protocol.StateTreeVersion) (*Tree, ipldcbor.IpldStore) {
	t.Helper()
	ctx := context.Background()
	store := ipldcbor.NewCborStore(blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore())))
	tr, err := New(ctx, store, v)
	if err != nil {
		t.Fatal(err)
	}
	// An init actor (v0 state; the tree version only shapes the root).
	emptyMap, err := adt0.MakeEmptyMap(adt0.WrapStore(ctx, store)).Root()
	if err != nil {
		t.Fatal(err)
	}
	head, err := store.Put(ctx, init0.ConstructState(emptyMap, "test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetActor(builtin0.InitActorAddr, &Actor{Code: builtin0.InitActorCodeID, Head: head, Balance: big.Zero()}); err != nil {
		t.Fatal(err)
	}
	return tr, store
}

func id(n uint64) address.Address {
	a, _ := address.NewIDAddress(n)
	return a
}

func TestSnapshotRevertAndClear(t *testing.T) {
	tr, _ := newTree(t, 0)
	code := builtin0.AccountActorCodeID
	set := func(a address.Address, bal int64) {
		if err := tr.SetActor(a, &Actor{Code: code, Head: code, Balance: abi.NewTokenAmount(bal)}); err != nil {
			t.Fatal(err)
		}
	}
	bal := func(a address.Address) int64 {
		act, err := tr.GetActor(a)
		if err != nil {
			t.Fatal(err)
		}
		return act.Balance.Int64()
	}
	set(id(100), 1)
	tr.Snapshot()
	set(id(100), 2)
	tr.Snapshot()
	set(id(100), 3)
	tr.Revert()
	if got := bal(id(100)); got != 2 {
		t.Fatalf("after revert: %d, want 2", got)
	}
	if err := tr.ClearSnapshot(); err != nil {
		t.Fatal(err)
	}
	if err := tr.ClearSnapshot(); err != nil {
		t.Fatal(err)
	}
	if got := bal(id(100)); got != 2 {
		t.Fatalf("after clearing: %d, want 2", got)
	}
	if err := tr.ClearSnapshot(); err == nil {
		t.Fatal("clearing with no snapshot open must fail")
	}
	tr.Snapshot()
	if _, err := tr.Flush(context.Background()); err == nil {
		t.Fatal("flush with an open snapshot must fail")
	}
	if err := tr.DeleteActor(id(100)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.GetActor(id(100)); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("deleted actor: %v", err)
	}
	tr.Revert()
	if got := bal(id(100)); got != 2 {
		t.Fatalf("delete not reverted: %d", got)
	}
}

func TestAddressRegistryAndFlushRoundTrip(t *testing.T) {
	for v := protocol.StateTreeVersion(0); v <= MaxVersion; v++ {
		tr, store := newTree(t, v)
		key, _ := address.NewSecp256k1Address(append([]byte{4}, make([]byte, 64)...))
		if _, err := tr.LookupID(key); !errors.Is(err, ErrActorNotFound) {
			t.Fatalf("unregistered key resolved: %v", err)
		}
		got, err := tr.RegisterNewAddress(key)
		if err != nil {
			t.Fatal(err)
		}
		if got != id(uint64(init0.ConstructState(cid.Undef, "").NextID)) {
			t.Fatalf("first ID %s", got)
		}
		if err := tr.SetActor(key, &Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, Balance: abi.NewTokenAmount(5)}); err != nil {
			t.Fatal(err)
		}
		r0, err := tr.Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// Version 0 roots are the bare HAMT; later ones a versioned tuple.
		var r root
		isVersioned := store.Get(context.Background(), r0, &r) == nil
		if isVersioned != (v > 0) || (isVersioned && r.Version != v) {
			t.Fatalf("version %d: versioned root %v (%+v)", v, isVersioned, r)
		}
		again, err := Load(context.Background(), store, r0)
		if err != nil {
			t.Fatal(err)
		}
		if again.Version() != v {
			t.Fatalf("reloaded version %d, want %d", again.Version(), v)
		}
		act, err := again.GetActor(key)
		if err != nil || act.Balance.Int64() != 5 {
			t.Fatalf("reloaded actor: %v %v", act, err)
		}
		root2, err := again.Flush(context.Background())
		if err != nil || root2 != r0 {
			t.Fatalf("unchanged tree flushed to %s, want %s (%v)", root2, r0, err)
		}
	}
}

// specsTree is the actors HAMT as the specs-actors release that introduced
// a state-tree version reads and writes it.
type specsTree struct {
	get   func(address.Address) (*Actor, bool, error)
	set   func(address.Address, *Actor) error
	flush func() (cid.Cid, error)
}

func openSpecsTree(t *testing.T, ctx context.Context, store ipldcbor.IpldStore, v protocol.StateTreeVersion, actorsRoot cid.Cid) specsTree {
	t.Helper()
	var (
		st  specsTree
		err error
	)
	// Every release's Actor has the same fields; convert through them.
	from := func(c cid.Cid, h cid.Cid, n uint64, b abi.TokenAmount) *Actor {
		return &Actor{Code: c, Head: h, CallSeqNum: n, Balance: b}
	}
	switch v {
	case 0:
		var tr *states0.Tree
		tr, err = states0.LoadTree(adt0.WrapStore(ctx, store), actorsRoot)
		st = specsTree{get: tr.GetActor, set: tr.SetActor, flush: tr.Flush}
	case 1:
		var tr *states2.Tree
		tr, err = states2.LoadTree(adt2.WrapStore(ctx, store), actorsRoot)
		st = specsTree{
			get: func(a address.Address) (*Actor, bool, error) {
				x, ok, err := tr.GetActor(a)
				if !ok || err != nil {
					return nil, ok, err
				}
				return from(x.Code, x.Head, x.CallSeqNum, x.Balance), true, nil
			},
			set: func(a address.Address, x *Actor) error {
				return tr.SetActor(a, &states2.Actor{Code: x.Code, Head: x.Head, CallSeqNum: x.CallSeqNum, Balance: x.Balance})
			},
			flush: tr.Flush,
		}
	case 2:
		var tr *states3.Tree
		tr, err = states3.LoadTree(adt3.WrapStore(ctx, store), actorsRoot)
		st = specsTree{
			get: func(a address.Address) (*Actor, bool, error) {
				x, ok, err := tr.GetActor(a)
				if !ok || err != nil {
					return nil, ok, err
				}
				return from(x.Code, x.Head, x.CallSeqNum, x.Balance), true, nil
			},
			set: func(a address.Address, x *Actor) error {
				return tr.SetActor(a, &states3.Actor{Code: x.Code, Head: x.Head, CallSeqNum: x.CallSeqNum, Balance: x.Balance})
			},
			flush: tr.Flush,
		}
	case 3:
		var tr *states4.Tree
		tr, err = states4.LoadTree(adt4.WrapStore(ctx, store), actorsRoot)
		st = specsTree{
			get: func(a address.Address) (*Actor, bool, error) {
				x, ok, err := tr.GetActor(a)
				if !ok || err != nil {
					return nil, ok, err
				}
				return from(x.Code, x.Head, x.CallSeqNum, x.Balance), true, nil
			},
			set: func(a address.Address, x *Actor) error {
				return tr.SetActor(a, &states4.Actor{Code: x.Code, Head: x.Head, CallSeqNum: x.CallSeqNum, Balance: x.Balance})
			},
			flush: tr.Flush,
		}
	case 4:
		var tr *states5.Tree
		tr, err = states5.LoadTree(adt5.WrapStore(ctx, store), actorsRoot)
		st = specsTree{
			get: func(a address.Address) (*Actor, bool, error) {
				x, ok, err := tr.GetActor(a)
				if !ok || err != nil {
					return nil, ok, err
				}
				return from(x.Code, x.Head, x.CallSeqNum, x.Balance), true, nil
			},
			set: func(a address.Address, x *Actor) error {
				return tr.SetActor(a, &states5.Actor{Code: x.Code, Head: x.Head, CallSeqNum: x.CallSeqNum, Balance: x.Balance})
			},
			flush: tr.Flush,
		}
	default:
		t.Fatalf("no specs-actors tree for version %d", v)
	}
	if err != nil {
		t.Fatalf("specs-actors load of version %d tree: %v", v, err)
	}
	return st
}

// Each state-tree version's actors HAMT is exactly the one of the
// specs-actors release that introduced it: that release reads what this
// package writes, and the same edits made by either side flush to the same
// root. Enough actors are stored to split HAMT buckets into child nodes.
func TestActorsHAMTMatchesSpecsActors(t *testing.T) {
	ctx := context.Background()
	for v := protocol.StateTreeVersion(0); v <= MaxVersion; v++ {
		tr, store := newTree(t, v)
		for i := uint64(100); i < 400; i++ {
			a := &Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, CallSeqNum: i, Balance: abi.NewTokenAmount(int64(i))}
			if err := tr.SetActor(id(i), a); err != nil {
				t.Fatal(err)
			}
		}
		r, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		actorsRoot := r
		if v > 0 {
			var vr root
			if err := store.Get(ctx, r, &vr); err != nil {
				t.Fatalf("version %d: %v", v, err)
			}
			actorsRoot = vr.Actors
		}
		spec := openSpecsTree(t, ctx, store, v, actorsRoot)
		for _, i := range []uint64{100, 250, 399} {
			got, ok, err := spec.get(id(i))
			if err != nil || !ok || got.CallSeqNum != i || got.Balance.Int64() != int64(i) {
				t.Fatalf("version %d: specs-actors reads actor %d as %+v (found %v, %v)", v, i, got, ok, err)
			}
		}
		if _, ok, _ := spec.get(id(400)); ok {
			t.Fatalf("version %d: specs-actors finds an actor never stored", v)
		}

		// The same edit on both sides.
		edit := &Actor{Code: builtin0.MultisigActorCodeID, Head: builtin0.MultisigActorCodeID, Balance: abi.NewTokenAmount(7)}
		if err := spec.set(id(1000), edit); err != nil {
			t.Fatal(err)
		}
		want, err := spec.flush()
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.SetActor(id(1000), edit); err != nil {
			t.Fatal(err)
		}
		r2, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := r2
		if v > 0 {
			var vr root
			if err := store.Get(ctx, r2, &vr); err != nil {
				t.Fatal(err)
			}
			got = vr.Actors
		}
		if got != want {
			t.Errorf("version %d: actors root %s, specs-actors %s", v, got, want)
		}
	}
	if _, err := New(ctx, ipldcbor.NewCborStore(blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))), MaxVersion+1); err == nil {
		t.Error("state tree version 5 accepted")
	}
}
