package driver

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// TestFVMTransfersThroughDriver runs mainnet nv17 vectors that run no actor
// code through the default driver, which must pick the FVM for them.
func TestFVMTransfersThroughDriver(t *testing.T) {
	dir := testcorpus.FVMSet(t, "nv17-shark")
	for _, rel := range []string{
		"fil_9_account/Send/Ok/ext-0001-fil_9_account-Send-Ok-1.json",
		"fil_9_multisig/Send/Ok/ext-0001-fil_9_multisig-Send-Ok-5.json",
		"fil_9_storageminer/PreCommitSector/SysErrInsufficientFunds/ext-0001-fil_9_storageminer-PreCommitSector-SysErrInsufficientFunds-1.json",
	} {
		v, err := schema.LoadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, variant := range v.Pre.Variants {
			out := New().Run(context.Background(), v, variant)
			if out.Status != Pass {
				t.Errorf("%s %s: %s: %s", rel, variant.ID, out.Status, out.Reason)
			}
		}
	}
}
