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
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"

	"github.com/tvx-project/tvx/vm/netver"
)

func newTree(t *testing.T, v netver.StateTreeVersion) (*Tree, ipldcbor.IpldStore) {
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
	for _, v := range []netver.StateTreeVersion{0, 1} {
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
