package vmtest

import (
	"bytes"
	"context"
	"github.com/tvx-project/tvx/builtin"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/network"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/state"
)

// Every network version gets a genesis of its own actors and state-tree
// version: the singletons with that version's code, constructed (so their
// heads are real states), the verified registry rooted at the root-key
// account, all funds with the reward actor, and the same root every time.
func TestGenesisEveryNetworkVersion(t *testing.T) {
	ctx := context.Background()
	for nv := network.Version0; nv <= network.Version15; nv++ {
		w, err := New(ctx, nv, Options{})
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		tree, err := w.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Version() != w.Rules.StateTreeVersion {
			t.Errorf("nv%d: state tree v%d", nv, tree.Version())
		}
		want := map[address.Address]string{
			SystemAddr: builtin.KindSystem, InitAddr: builtin.KindInit, RewardAddr: builtin.KindReward,
			CronAddr: builtin.KindCron, PowerAddr: builtin.KindPower, MarketAddr: builtin.KindMarket,
			VerifRegAddr: builtin.KindVerifiedRegs, BurntFundsAddr: builtin.KindAccount,
			mustID(100): builtin.KindAccount,
		}
		n := 0
		err = tree.ForEach(func(id address.Address, a *state.Actor) error {
			n++
			kind, ok := want[id]
			code, _ := w.Code(kind)
			if !ok || a.Code != code {
				t.Errorf("nv%d: actor %s has code %s", nv, id, a.Code)
			}
			if a.Head == vm.EmptyObjectCID() && id != SystemAddr {
				t.Errorf("nv%d: actor %s was never constructed", nv, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(want) {
			t.Errorf("nv%d: %d actors, want %d", nv, n, len(want))
		}
		if id, err := tree.LookupID(VerifRegRootKey()); err != nil || id != mustID(100) {
			t.Errorf("nv%d: root key resolves to %s (%v)", nv, id, err)
		}
		// The root key is the first field of every version's registry state.
		if rk, err := rootKeyOf(ctx, w); err != nil || rk != mustID(100) {
			t.Errorf("nv%d: verified registry root key %s (%v)", nv, rk, err)
		}
		total, err := w.TotalBalance(ctx)
		if err != nil || !total.Equals(RewardFunds()) {
			t.Errorf("nv%d: total balance %s (%v)", nv, total, err)
		}
		again, err := New(ctx, nv, Options{})
		if err != nil || again.Root != w.Root {
			t.Errorf("nv%d: genesis is not deterministic (%v)", nv, err)
		}
	}
	if _, err := New(ctx, network.Version16, Options{}); err == nil {
		t.Error("network version 16 accepted")
	}
}

// rootKeyOf reads the verified registry's root key: the first field of its
// state tuple in every actors version (later versions append fields).
func rootKeyOf(ctx context.Context, w *World) (address.Address, error) {
	act, err := w.Actor(ctx, VerifRegAddr)
	if err != nil {
		return address.Undef, err
	}
	blk, err := w.Blocks.Get(ctx, act.Head)
	if err != nil {
		return address.Undef, err
	}
	r := cbg.GetPeeker(bytes.NewReader(blk.RawData()))
	if _, _, err := cbg.CborReadHeader(r); err != nil {
		return address.Undef, err
	}
	var a address.Address
	err = a.UnmarshalCBOR(r)
	return a, err
}
