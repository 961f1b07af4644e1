package fvmtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/statediff"
)

// TestStatediffOnBuiltChains diffs the genesis state of a chain built and
// executed on the FVM at nv16, nv17 and nv18 against its head state: every
// actor is named by kind and the actors version of the network version
// (v8, v9, v10; nv16's v8 states appear in no public vector), new actors
// are shown decoded, changed states field by field, and the power actor
// counts the miner the chain created.
func TestStatediffOnBuiltChains(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes a chain with actor code")
	}
	for _, nv := range testVersions() {
		ctx := context.Background()
		w, err := New(ctx, Options{NetworkVersion: nv})
		if err != nil {
			t.Fatal(err)
		}
		genesis := w.Root
		c, err := BuildChain(ctx, w)
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		res, err := statediff.Diff(ctx, c.Blocks, genesis, c.Head.ParentState())
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		if len(res.Problems) > 0 {
			t.Errorf("nv%d: problems %+v", nv, res.Problems)
		}
		version := fmt.Sprintf(" v%d", w.ActorsVersion)
		var miner, power bool
		for _, ad := range res.Actors {
			if !strings.HasSuffix(ad.Code, version) {
				t.Errorf("nv%d: %s: code %q, want actors%s", nv, ad.Addr, ad.Code, version)
			}
			for _, ch := range ad.Changes {
				switch {
				case ch.Path == "State" && ad.Op == statediff.OpChanged:
					t.Errorf("nv%d: %s: state shown whole: %s → %s", nv, ad.Addr, ch.A, ch.B)
				case ch.Path == "State" && !strings.HasPrefix(ch.A+ch.B, "{"):
					t.Errorf("nv%d: %s: state not decoded: %s", nv, ad.Addr, ch.A+ch.B)
				case strings.Contains(ch.Note, "cannot decode"):
					t.Errorf("nv%d: %s %s: %s", nv, ad.Addr, ch.Path, ch.Note)
				case ch.Path == "State.MinerCount" && ch.A == "0" && ch.B == "1":
					power = true
				}
			}
			if ad.Addr == c.Miner && ad.Op == statediff.OpAdded && strings.HasPrefix(ad.Code, "storageminer") {
				miner = true
			}
		}
		if !miner || !power {
			t.Errorf("nv%d: miner %s added: %v; power MinerCount 0 → 1: %v", nv, c.Miner, miner, power)
		}
	}
}
