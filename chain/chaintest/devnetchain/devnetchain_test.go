package devnetchain

import (
	"context"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	power7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/power"
	adt7 "github.com/filecoin-project/specs-actors/v7/actors/util/adt"

	"github.com/tvx-project/tvx/vm/state"
	"github.com/tvx-project/tvx/vm/vmtest"
)

// The chain is the same every time it is built, and its messages did what
// they say: after the Window PoSt the miner's claim holds its one 2 KiB
// sector's power (counted from the first PoSt), which is also the
// devnet's consensus minimum.
func TestBuildIsDeterministicAndProvesTheSector(t *testing.T) {
	ctx := context.Background()
	a, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Head.Key().String() != b.Head.Key().String() || len(a.Blocks.All()) != len(b.Blocks.All()) {
		t.Fatalf("two builds differ: heads %s and %s", a.Head.Key(), b.Head.Key())
	}
	for _, m := range []string{"CreateMiner", "PreCommitSector", "ProveCommitSector", "SubmitWindowedPoSt"} {
		if !a.Messages[m].Defined() {
			t.Errorf("no %s message", m)
		}
	}
	store := ipldcbor.NewCborStore(a.Blocks)
	tree, err := state.Load(ctx, store, a.Head.ParentState())
	if err != nil {
		t.Fatal(err)
	}
	act, err := tree.GetActor(vmtest.PowerAddr)
	if err != nil {
		t.Fatal(err)
	}
	var st power7.State
	if err := store.Get(ctx, act.Head, &st); err != nil {
		t.Fatal(err)
	}
	claims, err := adt7.AsMap(adt7.WrapStore(ctx, store), st.Claims, 5)
	if err != nil {
		t.Fatal(err)
	}
	var c power7.Claim
	if found, err := claims.Get(abi.AddrKey(a.Miner), &c); err != nil || !found {
		t.Fatalf("claim of %s: %v %v", a.Miner, found, err)
	}
	if c.RawBytePower.Int64() != 2048 {
		t.Errorf("miner's raw power %s after its first PoSt, want 2048", c.RawBytePower)
	}
	if a.Head.Height() >= maxHeight {
		t.Errorf("chain of %d epochs", a.Head.Height())
	}
}
