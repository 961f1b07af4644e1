package driver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// tipsetVectors loads every tipset-class vector of the shared corpus, sorted
// by path.
func tipsetVectors(t *testing.T) []*schema.Vector {
	t.Helper()
	root := testcorpus.Shared(t)
	paths, err := schema.Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []*schema.Vector
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Cheap filter before the full decode (CAR included).
		if !strings.Contains(string(raw), `"tipset"`) {
			continue
		}
		v, err := schema.LoadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if v.Class == schema.ClassTipset {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// loadTipsetVector loads one vector of the shared corpus by its path
// relative to the corpus root.
func loadTipsetVector(t *testing.T, rel string) *schema.Vector {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	rewardVector    = "reward/reward--ok-miners-awarded-no-premiums--actorsv2.json"
	penaltiesVector = "reward/penalties--penalize-bad-nonce-multiple-miners--genesis.json"
	dedupVector     = "msg_application/duplicates--messages-deduplicated--genesis.json"
)

// TestTipsetCorpus runs every variant of every tipset-class vector of the
// shared corpus. Every one must pass: those hinted incorrect too, when run
// with WithIncludeIncorrect (their hint concerns a later VM's need for
// null-round timestamps, which a pre-FVM VM does not have).
func TestTipsetCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus run skipped in -short mode")
	}
	vectors := tipsetVectors(t)
	if len(vectors) == 0 {
		t.Fatal("no tipset-class vectors found in the shared corpus")
	}
	d := New(WithIncludeIncorrect(true))
	type result struct {
		name      string
		incorrect bool
		out       Outcome
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 2)
	)
	for _, v := range vectors {
		for _, variant := range v.Pre.Variants {
			wg.Add(1)
			sem <- struct{}{}
			go func(v *schema.Vector, variant schema.Variant) {
				defer wg.Done()
				defer func() { <-sem }()
				out := d.Run(context.Background(), v, variant)
				mu.Lock()
				results = append(results, result{name: v.Path + " " + variant.ID, incorrect: v.HasHint(schema.HintIncorrect), out: out})
				mu.Unlock()
			}(v, variant)
		}
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })
	var correct, incorrect int
	for _, r := range results {
		if r.out.Status != Pass {
			t.Errorf("%s: %s: %s\n%s", r.name, r.out.Status, r.out.Reason, r.out.Detail)
			continue
		}
		if r.incorrect {
			incorrect++
		} else {
			correct++
		}
	}
	t.Logf("tipset-class variants passing: %d not hinted incorrect, %d hinted incorrect (of %d)", correct, incorrect, len(results))

	// Without WithIncludeIncorrect the hinted vectors are skipped, not run.
	for _, v := range vectors {
		if !v.HasHint(schema.HintIncorrect) {
			continue
		}
		out := New().Run(context.Background(), v, v.Pre.Variants[0])
		if out.Status != Skip {
			t.Errorf("%s without WithIncludeIncorrect: got %s, want skip", v.Path, out.Status)
		}
		break
	}
}

// recorder is a callback that keeps every event it sees.
type recorder struct {
	mu     sync.Mutex
	events []*TipsetEvent
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) TipsetApplied(_ context.Context, ev *TipsetEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := *ev
	cp.Blocks = nil // valid only during the call
	r.events = append(r.events, &cp)
	return nil
}

// TestTipsetNullRounds checks the null rounds of the reward vector: its first
// tipset comes eleven epochs after the variant epoch, so ten null rounds run
// cron before it; the second follows directly.
func TestTipsetNullRounds(t *testing.T) {
	v := loadTipsetVector(t, rewardVector)
	variant := v.Pre.Variants[0]
	rec := &recorder{}
	out := New(WithIncludeIncorrect(true), WithCallbacks(rec)).Run(context.Background(), v, variant)
	if out.Status != Pass {
		t.Fatalf("%s: %s", out.Status, out.Reason)
	}
	if len(rec.events) != 2 {
		t.Fatalf("callback saw %d tipsets, want 2", len(rec.events))
	}
	base := abi.ChainEpoch(variant.Epoch)
	first, second := rec.events[0], rec.events[1]
	if first.ParentEpoch != base || first.Epoch != base+11 || second.ParentEpoch != base+11 || second.Epoch != base+12 {
		t.Fatalf("epochs: first %d→%d, second %d→%d", first.ParentEpoch, first.Epoch, second.ParentEpoch, second.Epoch)
	}
	var nullCrons []abi.ChainEpoch
	for _, r := range first.Receipts {
		if r.Kind == executor.Cron && r.Epoch != first.Epoch {
			nullCrons = append(nullCrons, r.Epoch)
		}
	}
	if len(nullCrons) != 10 {
		t.Fatalf("null-round crons at %v, want 10", nullCrons)
	}
	for i, e := range nullCrons {
		if e != base+1+abi.ChainEpoch(i) {
			t.Fatalf("null-round cron %d at epoch %d, want %d", i, e, base+1+abi.ChainEpoch(i))
		}
	}
	// Per tipset: three blocks carry one identical message, applied once,
	// then a reward per block and the cron.
	for _, ev := range rec.events {
		if ev.Messages != 1 {
			t.Errorf("tipset %d applied %d messages, want 1 (deduplicated)", ev.Index, ev.Messages)
		}
		if ev.PreStateRoot == ev.PostStateRoot {
			t.Errorf("tipset %d left the state unchanged", ev.Index)
		}
	}
	if second.PreStateRoot != first.PostStateRoot {
		t.Errorf("second tipset started on %s, not on the first's post-state %s", second.PreStateRoot, first.PostStateRoot)
	}

	// One null round fewer: one cron receipt fewer than the vector records.
	short := cloneVector(t, v)
	short.ApplyTipsets[0].EpochOffset = 10
	out = New(WithIncludeIncorrect(true)).Run(context.Background(), short, variant)
	if out.Status != Fail {
		t.Fatalf("with one null round fewer: %s (%s), want fail", out.Status, out.Reason)
	}
}

// cloneVector deep-copies a vector through JSON so tests can mutate it.
func cloneVector(t *testing.T, v *schema.Vector) *schema.Vector {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := schema.Decode(v.Path, b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTipsetReceiptsRootMismatch checks that a wrong receipts root fails the
// run naming the tipset, and names the differing receipt when there is one.
func TestTipsetReceiptsRootMismatch(t *testing.T) {
	v := loadTipsetVector(t, penaltiesVector)
	variant := v.Pre.Variants[0]
	want := v.Post.ReceiptsRoots[0]

	bad := cloneVector(t, v)
	bad.Post.ReceiptsRoots[0] = v.Pre.StateTree.RootCID // any other CID
	out := New().Run(context.Background(), bad, variant)
	if out.Status != Fail {
		t.Fatalf("wrong root: %s (%s), want fail", out.Status, out.Reason)
	}
	for _, s := range []string{"tipset 0", "receipts root", "expected " + v.Pre.StateTree.RootCID.String(), "got " + want.String()} {
		if !strings.Contains(out.Reason, s) {
			t.Errorf("reason %q lacks %q", out.Reason, s)
		}
	}

	// A receipt that differs as well: both are reported, and the root
	// mismatch points at the receipt.
	bad = cloneVector(t, v)
	bad.Post.ReceiptsRoots[0] = v.Pre.StateTree.RootCID
	bad.Post.Receipts[1].GasUsed++
	out = New().Run(context.Background(), bad, variant)
	if out.Status != Fail {
		t.Fatalf("wrong receipt: %s (%s), want fail", out.Status, out.Reason)
	}
	if !strings.Contains(out.Reason, "tipset 0 receipt 1 (") || !strings.Contains(out.Reason, "gas used: expected") {
		t.Errorf("reason %q does not name tipset 0 receipt 1's gas", out.Reason)
	}
	if !strings.Contains(out.Detail, "receipts root") || !strings.Contains(out.Detail, "receipt 1 differs") {
		t.Errorf("detail does not tie the receipts root to receipt 1:\n%s", out.Detail)
	}
}

// TestTipsetCallbackError checks that a failing callback stops the run with
// an Error naming it, after the first tipset.
func TestTipsetCallbackError(t *testing.T) {
	v := loadTipsetVector(t, rewardVector)
	calls := 0
	boom := errors.New("disk full")
	cb := CallbackFunc("save-balances", func(context.Context, *TipsetEvent) error {
		calls++
		return boom
	})
	out := New(WithIncludeIncorrect(true), WithCallbacks(cb)).Run(context.Background(), v, v.Pre.Variants[0])
	if out.Status != Error || out.Reason != "callback save-balances: disk full" {
		t.Fatalf("got %s %q, want error %q", out.Status, out.Reason, "callback save-balances: disk full")
	}
	if calls != 1 {
		t.Fatalf("callback called %d times, want 1 (the run stops at the first error)", calls)
	}
}

// TestTipsetCallbackReadOnly checks that callbacks see the post-state but
// cannot write blocks.
func TestTipsetCallbackReadOnly(t *testing.T) {
	v := loadTipsetVector(t, dedupVector)
	cb := CallbackFunc("writer", func(ctx context.Context, ev *TipsetEvent) error {
		tree, err := ev.PostState(ctx)
		if err != nil {
			return err
		}
		one := cbg.CborInt(1)
		if _, err := tree.Store().Put(ctx, &one); err == nil {
			return errors.New("write through the callback's store succeeded")
		}
		return nil
	})
	out := New(WithCallbacks(cb)).Run(context.Background(), v, v.Pre.Variants[0])
	if out.Status != Pass {
		t.Fatalf("%s: %s", out.Status, out.Reason)
	}
}
