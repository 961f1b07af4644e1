package state

import (
	"context"
	"errors"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"

	"github.com/tvx-project/tvx/protocol"
)

// balances maps every actor ForEach visits to its balance.
func balances(t *testing.T, tr *Tree) map[address.Address]int64 {
	t.Helper()
	out := map[address.Address]int64{}
	err := tr.ForEach(func(a address.Address, act *Actor) error {
		if _, dup := out[a]; dup {
			t.Errorf("%s visited twice", a)
		}
		out[a] = act.Balance.Int64()
		act.Balance = big.NewInt(-1) // a copy: must not reach the tree
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestForEach walks flushed actors and pending changes of every layer:
// new, changed and deleted actors, in the base layer and in a snapshot.
func TestForEach(t *testing.T) {
	for _, v := range []protocol.StateTreeVersion{0, 1} {
		ctx := context.Background()
		tr, store := newTree(t, v)
		for n := uint64(100); n < 105; n++ {
			if err := tr.SetActor(id(n), &Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, Balance: big.NewInt(int64(n))}); err != nil {
				t.Fatal(err)
			}
		}
		root, err := tr.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tr, err = Load(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		want := map[address.Address]int64{builtin0.InitActorAddr: 0, id(100): 100, id(101): 101, id(102): 102, id(103): 103, id(104): 104}
		if got := balances(t, tr); !equal(got, want) {
			t.Fatalf("v%d flushed: %v, want %v", v, got, want)
		}

		// Pending: 101 changed, 102 deleted, 200 new; then in a snapshot,
		// 103 changed and 201 new.
		if err := tr.MutateActor(id(101), func(a *Actor) error { a.Balance = big.NewInt(1); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := tr.DeleteActor(id(102)); err != nil {
			t.Fatal(err)
		}
		if err := tr.SetActor(id(200), &Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, Balance: big.NewInt(200)}); err != nil {
			t.Fatal(err)
		}
		tr.Snapshot()
		if err := tr.MutateActor(id(103), func(a *Actor) error { a.Balance = big.NewInt(3); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := tr.SetActor(id(201), &Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, Balance: big.NewInt(201)}); err != nil {
			t.Fatal(err)
		}
		want = map[address.Address]int64{builtin0.InitActorAddr: 0, id(100): 100, id(101): 1, id(103): 3, id(104): 104, id(200): 200, id(201): 201}
		if got := balances(t, tr); !equal(got, want) {
			t.Fatalf("v%d pending: %v, want %v", v, got, want)
		}
		// ForEach handed out copies.
		if a, err := tr.GetActor(id(100)); err != nil || a.Balance.Int64() != 100 {
			t.Fatalf("actor 100 after ForEach: %v %v", a, err)
		}
		tr.Revert()
		delete(want, id(201))
		want[id(103)] = 103
		if got := balances(t, tr); !equal(got, want) {
			t.Fatalf("v%d reverted: %v, want %v", v, got, want)
		}

		stop := errors.New("stop")
		calls := 0
		err = tr.ForEach(func(address.Address, *Actor) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("callback error: %v after %d calls", err, calls)
		}
	}
}

func equal(a, b map[address.Address]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
