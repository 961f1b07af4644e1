package driver

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// countingSource counts the opens of the source under it.
type countingSource struct {
	corpus.Source
	opens atomic.Int32
}

func (c *countingSource) Open(ctx context.Context, v *schema.Vector) (corpus.Blockstore, func(), error) {
	c.opens.Add(1)
	return c.Source.Open(ctx, v)
}

// TestRunVariantsOpensOnce: every multi-variant vector of the sample, run
// through RunVariants, opens its blocks once and gets, variant by variant,
// the outcome Run gives on its own (state diffs on, so a failure's diff
// reads the shared blocks too).
func TestRunVariantsOpensOnce(t *testing.T) {
	files, err := schema.Walk(testcorpus.Sample(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tried := 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Pre.Variants) < 2 || v.Class != schema.ClassMessage {
			continue
		}
		tried++
		src := &countingSource{Source: corpus.Memory{}}
		shared := New(WithSource(src), WithStateDiff(true, false))
		got := shared.RunVariants(ctx, v, v.Pre.Variants)
		if n := src.opens.Load(); n != 1 {
			t.Fatalf("%s: %d opens for %d variants, want 1", f, n, len(v.Pre.Variants))
		}
		alone := New(WithStateDiff(true, false))
		for i, vr := range v.Pre.Variants {
			want := alone.Run(ctx, v, vr)
			if diff := cmp.Diff(want, got[i], cmpopts.IgnoreFields(Outcome{}, "Duration"), cmpopts.EquateEmpty(), cmp.Comparer(func(a, b cid.Cid) bool { return a.Equals(b) })); diff != "" {
				t.Fatalf("%s %s: RunVariants differs from Run (-Run +RunVariants):\n%s", f, vr.ID, diff)
			}
		}
	}
	if tried == 0 {
		t.Fatal("the sample has no multi-variant message vector")
	}
}

// TestRunVariantsOpenErrorEveryVariant: a vector whose blocks cannot be
// opened gives every variant the error Run gives.
func TestRunVariantsOpenErrorEveryVariant(t *testing.T) {
	files, err := schema.Walk(testcorpus.Sample(t))
	if err != nil {
		t.Fatal(err)
	}
	v, err := schema.LoadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	v.CAR = []byte("not gzip")
	d := New()
	variants := append(v.Pre.Variants, v.Pre.Variants...)
	outs := d.RunVariants(context.Background(), v, variants)
	want := d.Run(context.Background(), v, variants[0])
	if want.Status != Error {
		t.Fatalf("a broken CAR ran: %+v", want)
	}
	for i, o := range outs {
		if o.Status != Error || o.Reason != want.Reason {
			t.Fatalf("variant %d: %s %q, want error %q", i, o.Status, o.Reason, want.Reason)
		}
	}
}
