package chainbuild

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

func corpusVector(t *testing.T, name string) *schema.Vector {
	t.Helper()
	files, err := schema.Walk(testcorpus.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) == name {
			v, err := schema.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("%s not in the corpus", name)
	return nil
}

// countingExecutor passes every call on and counts the tipsets it ran;
// gasDelta, when set, is added to every receipt's gas, as a differing
// implementation would report it.
type countingExecutor struct {
	executor.Executor
	tipsets  atomic.Int64
	gasDelta int64
}

func (c *countingExecutor) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	c.tipsets.Add(1)
	res, err := c.Executor.ApplyTipset(ctx, req)
	if err == nil && c.gasDelta != 0 {
		for i := range res.Applied {
			res.Applied[i].GasUsed += c.gasDelta
		}
	}
	return res, err
}

// A built chain reproduces its vector and reads back as a chain: the CAR's
// head is the chain's, and walking back from it meets every built tipset,
// each committing (through its child) to the state the vector expects.
func TestBuildReadsBack(t *testing.T) {
	v := corpusVector(t, "penalties--penalize-bad-nonce-multiple-miners--breeze.json")
	ctx := context.Background()
	x := &countingExecutor{Executor: driver.DefaultExecutor()}
	built, err := Build(ctx, v, v.Pre.Variants[0], WithExecutor(x))
	if err != nil {
		t.Fatal(err)
	}
	if len(built.Mismatches) > 0 {
		t.Fatalf("built chain differs from the vector: %v", built.Mismatches)
	}
	if got, want := x.tipsets.Load(), int64(len(v.ApplyTipsets)); got != want {
		t.Fatalf("the executor ran %d tipsets, the vector has %d", got, want)
	}
	var buf bytes.Buffer
	if err := built.WriteCAR(&buf); err != nil {
		t.Fatal(err)
	}
	src, err := chain.NewCARSource(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	head, err := src.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Key() != built.Head.Key() {
		t.Fatalf("CAR head %s, built head %s", head.Key(), built.Head.Key())
	}
	if head.ParentState() != v.Post.StateTree.RootCID {
		t.Fatalf("head commits to state %s, the vector expects %s", head.ParentState(), v.Post.StateTree.RootCID)
	}
	cur := head
	for i := len(built.Tipsets) - 1; i >= 0; i-- {
		if cur, err = src.TipSet(ctx, cur.Parents()); err != nil {
			t.Fatal(err)
		}
		if cur.Key() != built.Tipsets[i].Key() {
			t.Fatalf("walking back: tipset %d is %s, built %s", i, cur.Key(), built.Tipsets[i].Key())
		}
		if want := v.Pre.Variants[0].Epoch + v.ApplyTipsets[i].EpochOffset; int64(cur.Height()) != want {
			t.Fatalf("tipset %d at %d, want %d", i, cur.Height(), want)
		}
	}

	// The same build is the same chain, byte for byte.
	again, err := Build(ctx, v, v.Pre.Variants[0])
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := again.WriteCAR(&buf2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatal("two builds of one vector differ")
	}
}

// The chain records the executor's results: one that reports other gas
// makes the chain differ from the vector, receipt by receipt.
func TestBuildRecordsTheExecutorsResults(t *testing.T) {
	v := corpusVector(t, "penalties--penalize-bad-nonce-multiple-miners--genesis.json")
	if len(v.Post.Receipts) == 0 {
		t.Fatal("the vector records no receipts")
	}
	x := &countingExecutor{Executor: driver.DefaultExecutor(), gasDelta: 1}
	built, err := Build(context.Background(), v, v.Pre.Variants[0], WithExecutor(x))
	if err != nil {
		t.Fatal(err)
	}
	var receipts int
	for _, m := range built.Mismatches {
		if strings.Contains(m, ": receipt ") {
			receipts++
		}
	}
	if receipts != len(v.Post.Receipts) {
		t.Fatalf("%d receipt mismatches for %d receipts: %v", receipts, len(v.Post.Receipts), built.Mismatches)
	}
}

func TestBuildRejectsMessageVectors(t *testing.T) {
	v := corpusVector(t, "caller_validation--fails-incorrect-caller-type--genesis.json")
	_, err := Build(context.Background(), v, v.Pre.Variants[0])
	if err == nil || !strings.Contains(err.Error(), "only tipset vectors describe a chain") {
		t.Fatalf("want a class error, got %v", err)
	}
}
