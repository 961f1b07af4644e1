package fvm

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TestMainnetTransfers replays every nv17 and nv18 mainnet vector whose
// message needs no actor code (plain transfers and messages failing before
// any actor runs) and checks receipt and post-state root exactly: Skyr's
// and Hygge's inclusion, transfer and state-access charges, fee settlement
// and the v4 and v5 state trees.
func TestMainnetTransfers(t *testing.T) {
	for _, set := range []struct {
		name          string
		actorsVersion int
		era           string
		min           int
	}{{"nv17-shark", 9, "skyr", 9}, {"nv18-hygge", 10, "hygge", 1}} {
		t.Run(set.name, func(t *testing.T) { replayTransfers(t, set.name, set.actorsVersion, set.era, set.min) })
	}
}

func replayTransfers(t *testing.T, setName string, actorsVersion int, era string, minRuns int) {
	dir := testcorpus.FVMSet(t, setName)
	files, err := schema.Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bundles := testBundles
	ran := 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.ApplyMessages) != 1 {
			continue
		}
		msg, err := vm.DecodeMessage(v.ApplyMessages[0].Bytes)
		if err != nil {
			t.Fatal(err)
		}
		want := v.Post.Receipts[0]
		// Plain transfers, and failures before any actor code runs
		// (sender invalid, sender state invalid, insufficient funds).
		if msg.Method != 0 && want.ExitCode != 1 && want.ExitCode != 2 && want.ExitCode != 6 {
			continue
		}
		bs, release, err := corpus.Memory{}.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		blocks := corpus.NewBuffered(bs)
		variant := v.Pre.Variants[0]
		m, err := New(ctx, blocks, v.Pre.StateTree.RootCID, Config{
			NetworkVersion: variant.NetworkVersion,
			ActorsVersion:  actorsVersion,
			PriceEra:       era,
			Epoch:          0,
			BaseFee:        big.NewFromGo(v.Pre.BaseFee),
			CircSupply:     big.NewFromGo(v.Pre.CircSupply),
			Bundles:        bundles,
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := msg.ChainLength()
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.ApplyMessage(ctx, msg, n)
		name := filepath.Base(f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			release()
			continue
		}
		if int64(res.ExitCode) != int64(want.ExitCode) || res.GasUsed != want.GasUsed {
			t.Errorf("%s: exit %d gas %d, want exit %d gas %d", name, res.ExitCode, res.GasUsed, want.ExitCode, want.GasUsed)
		}
		root, err := m.Flush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if root != v.Post.StateTree.RootCID {
			t.Errorf("%s: post root %s, want %s", name, root, v.Post.StateTree.RootCID)
		}
		release()
		ran++
	}
	if ran < minRuns {
		t.Fatalf("only %d transfer vectors found, want %d", ran, minRuns)
	}
	t.Logf("%d vectors replayed", ran)
}
