package driver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/fvmexec"
	"github.com/tvx-project/tvx/driver/trace"

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

// TestFVMGasBreakdownSumsToGasUsed runs a mainnet nv17 vector whose message
// runs actor code and checks that the per-charge breakdown a gas mismatch
// would report adds up to the gas the receipt records.
func TestFVMGasBreakdownSumsToGasUsed(t *testing.T) {
	f := filepath.Join(testcorpus.FVMSet(t, "nv17-shark"), "fil_9_init/Exec/Ok/ext-0001-fil_9_init-Exec-Ok-1.json")
	v, err := schema.LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{vector: v, variant: v.Pre.Variants[0]}
	bs, release, err := corpus.Memory{}.Open(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	r.blocks = corpus.NewBuffered(bs)
	r.log = nopLogger{}
	p, err := runParams(r)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fvmexec.New().ApplyMessage(context.Background(), &executor.Message{
		Params: p, Root: v.Pre.StateTree.RootCID, Epoch: abi.ChainEpoch(r.variant.Epoch),
		BaseFee: big.NewFromGo(v.Pre.BaseFee), Bytes: v.ApplyMessages[0].Bytes, TraceGas: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, c := range trace.Flatten(res.Trace) {
		sum += c.TotalGas
	}
	if sum > res.GasUsed || res.GasUsed-sum > 1 {
		t.Errorf("charges sum to %d, receipt gas %d", sum, res.GasUsed)
	}
	if b := gasByName(res.Trace); !strings.HasPrefix(b, "OnChainMessage ") && !strings.Contains(b, "wasm_exec") {
		t.Errorf("breakdown %q", b)
	}
	if res.GasUsed != v.Post.Receipts[0].GasUsed {
		t.Errorf("gas used %d, recorded %d", res.GasUsed, v.Post.Receipts[0].GasUsed)
	}
}
