package driver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// TestFVMGasMismatchReportsChargesByName runs a real nv17 vector whose
// recorded gas was raised by one: the run fails on gas alone, and its
// outcome carries the executor's gas per charge name, which adds up to the
// gas it charged and names the Wasm execution and the inclusion charge.
func TestFVMGasMismatchReportsChargesByName(t *testing.T) {
	f := filepath.Join(testcorpus.FVMSet(t, "nv17-shark"), "fil_9_init/Exec/Ok/ext-0001-fil_9_init-Exec-Ok-1.json")
	v, err := schema.LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	recorded := v.Post.Receipts[0].GasUsed
	v.Post.Receipts[0].GasUsed++
	o := New().Run(context.Background(), v, v.Pre.Variants[0])
	if o.Status != Fail {
		t.Fatalf("status %s, want fail: %s", o.Status, o.Reason)
	}
	if len(o.Mismatches) != 1 || o.Mismatches[0].What != "gas used" {
		t.Fatalf("mismatches %v, want only gas used", o.Mismatches)
	}
	if len(o.Gas) != 1 || o.Gas[0].Actual != recorded {
		t.Fatalf("gas %+v, want one receipt charged %d", o.Gas, recorded)
	}
	by := o.Gas[0].ByCharge
	if len(by) < 3 {
		t.Fatalf("breakdown %+v: want several charge names", by)
	}
	var sum int64
	names := map[string]bool{}
	for i, c := range by {
		if c.Count <= 0 || c.Gas < 0 {
			t.Errorf("charge %+v", c)
		}
		if i > 0 && by[i-1].Gas < c.Gas {
			t.Errorf("breakdown not largest first at %s", c.Name)
		}
		names[c.Name] = true
		sum += c.Gas
	}
	// Charges are rounded to whole gas one by one; the receipt rounds the
	// milligas total once.
	if d := recorded - sum; d < 0 || d > int64(len(by)) {
		t.Errorf("charges sum to %d, receipt gas %d", sum, recorded)
	}
	for _, n := range []string{"OnChainMessage", "wasm_exec"} {
		if !names[n] {
			t.Errorf("breakdown %+v has no %s", by, n)
		}
	}
	if !strings.Contains(o.Detail, "wasm_exec") {
		t.Errorf("detail does not show the breakdown:\n%s", o.Detail)
	}

	// The unmodified vector passes and reports no breakdown.
	v.Post.Receipts[0].GasUsed = recorded
	if o := New().Run(context.Background(), v, v.Pre.Variants[0]); o.Status != Pass || o.Gas[0].ByCharge != nil {
		t.Errorf("unmodified: %s %s, breakdown %v", o.Status, o.Reason, o.Gas[0].ByCharge)
	}
}
