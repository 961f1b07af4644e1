package driver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/driver/fvmexec"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// TestDisputeVectorHingesOnProofCheck shows that the nv18
// DisputeWindowedPoSt vector is decided by the SNARK check of the disputed
// window PoSt: the chain found the proof invalid, so the dispute
// succeeded (exit 0); accepted by tvx's default policy, the miner actor
// refuses to dispute a valid proof (exit 16). Rejected, every receipt
// (the verification's gas included) and the post-state match.
func TestDisputeVectorHingesOnProofCheck(t *testing.T) {
	f := filepath.Join(testcorpus.FVMSet(t, "nv18-hygge"), "fil_10_storageminer/DisputeWindowedPoSt/Ok/ext-0002-fil_10_storageminer-DisputeWindowedPoSt-Ok-1.json")
	v, err := schema.LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Post.Receipts[0].ExitCode; got != 0 {
		t.Fatalf("expected receipt exit 0, vector says %d", got)
	}
	x := fvmexec.New()
	rej := fvmexec.New(fvmexec.WithProofVerifier(func() syscalls.ProofVerifier {
		return rejectingPoSt{syscalls.NewDefaultVerifier()}
	}))
	for _, variant := range v.Pre.Variants {
		out := New(WithExecutor(x)).Run(context.Background(), v, variant)
		if out.Status != Fail || !strings.Contains(out.Detail, "exit code: expected 0, got 16") {
			t.Errorf("%s with policy verifier: want exit 16 (dispute of a valid proof), got %s: %s", variant.ID, out.Status, out.Reason)
		}
		if out.AssumedProofs == 0 {
			t.Errorf("%s: policy acceptance not counted", variant.ID)
		}
		if got := New(WithExecutor(rej)).Run(context.Background(), v, variant); got.Status != Pass {
			t.Errorf("%s with PoSt rejected: want pass, got %s: %s\n%s", variant.ID, got.Status, got.Reason, got.Detail)
		}
	}
}
