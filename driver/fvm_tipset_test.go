package driver

import (
	"context"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/fvm/fvmtest"
	"github.com/tvx-project/tvx/schema"
)

// fvmTipsetVector is fvmtest's miner tipsets on a built nv17 state, its
// postconditions from fvm.ApplyTipset run directly.
func fvmTipsetVector(t *testing.T) *schema.Vector {
	t.Helper()
	ctx := context.Background()
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := w.MinerTipsets()
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.TipsetVector("fvm-built-tipsets", 0, ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Expect(ctx, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFVMTipsetVectorThroughDriver runs a tipset vector on a built nv17
// state through the default driver, which must pick the FVM's tipset
// execution, and checks that a changed receipt or root fails it.
func TestFVMTipsetVectorThroughDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a state with actor code")
	}
	v := fvmTipsetVector(t)
	// null-round cron at 2 is among the receipts: tipset 0 has its message,
	// reward and cron; tipset 1 a cron at 2, then message, two rewards, cron.
	if len(v.Post.Receipts) != 3+5 {
		t.Fatalf("%d receipts recorded", len(v.Post.Receipts))
	}
	ctx := context.Background()
	if o := New().Run(ctx, v, v.Pre.Variants[0]); o.Status != Pass {
		t.Fatalf("%s: %s\n%s", o.Status, o.Reason, o.Detail)
	}

	v.Post.Receipts[4].GasUsed++
	o := New().Run(ctx, v, v.Pre.Variants[0])
	if o.Status != Fail || !strings.Contains(o.Reason, "tipset 1 receipt 4 (message") || !strings.Contains(o.Reason, "gas used") {
		t.Errorf("raised gas: %s: %s", o.Status, o.Reason)
	}
	v.Post.Receipts[4].GasUsed--

	v.Post.StateTree.RootCID = v.Pre.StateTree.RootCID
	if o := New().Run(ctx, v, v.Pre.Variants[0]); o.Status != Fail || !strings.Contains(o.Reason, "post state root") {
		t.Errorf("wrong root: %s: %s", o.Status, o.Reason)
	}
}
