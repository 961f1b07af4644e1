package wasmhost

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TestInitExecRunsActorCode runs a mainnet nv17 init-actor Exec (the init
// actor, then a multisig constructor, both Wasm) and checks the exit code
// and the returned addresses exactly.
func TestInitExecRunsActorCode(t *testing.T) {
	f := filepath.Join(testcorpus.FVMSet(t, "nv17-shark"), "fil_9_init", "Exec", "Ok", "ext-0001-fil_9_init-Exec-Ok-1.json")
	v, err := schema.LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := New(ctx, "skyr", Options{NoDiskCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(ctx)
	bs, release, err := corpus.Memory{}.Open(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	m, err := fvm.New(ctx, corpus.NewBuffered(bs), v.Pre.StateTree.RootCID, fvm.Config{
		NetworkVersion: 17, ActorsVersion: 9, PriceEra: "skyr", Epoch: 2679392,
		BaseFee: big.NewFromGo(v.Pre.BaseFee), CircSupply: big.NewFromGo(v.Pre.CircSupply),
		Engine: eng,
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
	want := v.Post.Receipts[0]
	if int64(res.ExitCode) != int64(want.ExitCode) || !bytes.Equal(res.Return, want.ReturnValue) {
		t.Fatalf("exit %d return %x, want exit %d return %x (%s)", res.ExitCode, res.Return, want.ExitCode, want.ReturnValue, res.Error)
	}
	if res.GasUsed == 0 {
		t.Error("no gas used")
	}
	t.Logf("gas used %d, recorded %d", res.GasUsed, want.GasUsed)
}
