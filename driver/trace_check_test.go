package driver

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/driver/trace"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TestGasTracesMatchRecorded checks the VM's per-frame gas trace against
// the Lotus traces the vectors carry: for every message whose gas used
// matches, the billable charges must match one for one, so a gas mismatch
// can be localised by the first differing charge.
func TestGasTracesMatchRecorded(t *testing.T) {
	corpusRoot := sharedCorpus(t)
	if testing.Short() {
		t.Skip("corpus run skipped in -short mode")
	}
	paths, err := schema.Walk(corpusRoot)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	compared, diverged := 0, 0
	for _, p := range paths {
		v, err := schema.LoadFile(p)
		if err != nil || v.Class != schema.ClassMessage || v.Diagnostics == nil {
			continue
		}
		rel, _ := filepath.Rel(corpusRoot, p)
		variant := v.Pre.Variants[0]
		bs, release, err := corpus.Memory{}.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		r := &run{vector: v, variant: variant, blocks: corpus.NewBuffered(bs), log: nopLogger{}}
		params, err := runParams(r)
		if err != nil {
			t.Fatal(err)
		}
		traces := expectedTraces(r)
		baseFee := vm.DefaultBaseFee
		if v.Pre.BaseFee != nil {
			baseFee = big.NewFromGo(v.Pre.BaseFee)
		}
		root := v.Pre.StateTree.RootCID
		for i, am := range v.ApplyMessages {
			epoch := abi.ChainEpoch(variant.Epoch)
			if am.EpochOffset != nil {
				epoch += abi.ChainEpoch(*am.EpochOffset)
			}
			res, err := legacy.New().ApplyMessage(ctx, &executor.Message{
				Params: params, Root: root, Epoch: epoch, BaseFee: baseFee, Bytes: am.Bytes, TraceGas: true,
			})
			if err != nil {
				break
			}
			root = res.PostRoot
			if i >= len(traces) || res.GasUsed != v.Post.Receipts[i].GasUsed {
				continue
			}
			want := trace.Billable(trace.Flatten(traces[i]))
			got := trace.Billable(trace.Flatten(res.Trace))
			compared++
			if _, msg, d := trace.FirstDivergence(want, got); d {
				diverged++
				if diverged <= 10 {
					t.Errorf("%s message %d: %s", rel, i, msg)
				}
			}
		}
		release()
	}
	t.Logf("compared %d message traces, %d diverged", compared, diverged)
	if compared == 0 {
		t.Fatal("no traces compared")
	}
}
