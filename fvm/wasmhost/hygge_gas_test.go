package wasmhost

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// applyTraced runs the vector's first message on the FVM with its gas
// traced and returns the result and the vector's receipt gas.
func applyTraced(t *testing.T, file string, nv uint, actors int, era string) (*vm.ApplyResult, int64) {
	t.Helper()
	v, err := schema.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := New(ctx, era, Options{NoDiskCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close(ctx) })
	bs, release, err := corpus.Memory{}.Open(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	m, err := fvm.New(ctx, corpus.NewBuffered(bs), v.Pre.StateTree.RootCID, fvm.Config{
		NetworkVersion: nv, ActorsVersion: actors, PriceEra: era, Epoch: abi.ChainEpoch(v.Pre.Variants[0].Epoch),
		BaseFee: big.NewFromGo(v.Pre.BaseFee), CircSupply: big.NewFromGo(v.Pre.CircSupply),
		Engine: eng, TraceGas: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := vm.DecodeMessage(v.ApplyMessages[0].Bytes)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := msg.ChainLength()
	res, err := m.ApplyMessage(ctx, msg, n)
	if err != nil {
		t.Fatal(err)
	}
	return res, v.Post.Receipts[0].GasUsed
}

// TestHyggeMemoryChargesInTrace runs a mainnet nv18 ChangePeerID (one
// invocation of the miner actor, whose module starts with 18 pages) and
// checks that the engine's memory charges reach the message's gas trace
// under the FVM's names — one wasm_memory_init of 18 pages at 0.4 gas a
// byte, the growth apart as wasm_memory_grow — and that the gas used is the
// chain's. At nv17 the same machinery makes no memory charges.
func TestHyggeMemoryChargesInTrace(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("-short or -race: compiles actor modules")
	}
	f := filepath.Join(testcorpus.FVMSet(t, "nv18-hygge"), "fil_10_storageminer", "ChangePeerID", "Ok", "ext-0002-fil_10_storageminer-ChangePeerID-Ok-1.json")
	res, want := applyTraced(t, f, 18, 10, "hygge")
	if res.GasUsed != want {
		t.Errorf("gas used %d, the chain's %d", res.GasUsed, want)
	}
	byName := map[string]int{}
	var initGas, total int64
	for _, c := range res.GasTrace {
		byName[c.Name]++
		total += c.Compute + c.Storage
		if c.Name == gas.ChargeWasmMemoryInit {
			initGas += c.Compute + c.Storage
		}
	}
	// The trace is in whole gas, each charge rounded against the running
	// total, so the 471859.2 gas of 18 pages shows as 471859 or 471860.
	if byName[gas.ChargeWasmMemoryInit] != 1 || initGas < 471859 || initGas > 471860 {
		t.Errorf("wasm_memory_init: %d charges, %d gas; want one of 18 pages (471859.2 gas)", byName[gas.ChargeWasmMemoryInit], initGas)
	}
	if byName[gas.ChargeWasmMemoryGrow] == 0 || byName[gas.ChargeWasmExec] == 0 {
		t.Errorf("no memory growth or execution in the trace: %v", byName)
	}
	// Compute and storage are each floored against their running totals
	// while the gas used rounds the milligas total up, so the whole-gas
	// trace may fall short of it by up to 2.
	if total > res.GasUsed || res.GasUsed-total > 2 {
		t.Errorf("trace sums to %d, gas used %d", total, res.GasUsed)
	}

	f = filepath.Join(testcorpus.FVMSet(t, "nv17-shark"), "fil_9_init", "Exec", "Ok", "ext-0001-fil_9_init-Exec-Ok-1.json")
	res, want = applyTraced(t, f, 17, 9, "skyr")
	if res.GasUsed != want {
		t.Errorf("nv17: gas used %d, the chain's %d", res.GasUsed, want)
	}
	for _, c := range res.GasTrace {
		if c.Name == gas.ChargeWasmMemoryInit || c.Name == gas.ChargeWasmMemoryGrow || c.Name == gas.ChargeWasmTableInit {
			t.Errorf("nv17 trace has a memory charge: %+v", c)
		}
	}
}
