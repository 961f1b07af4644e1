package extract

import (
	"bytes"
	"context"
	"testing"

	"github.com/filecoin-project/go-state-types/big"
	blocks "github.com/ipfs/go-block-format"
	carv2 "github.com/ipld/go-car/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/schema"
)

// A vector whose CAR lost blocks (the pre-state root included) fails on
// its own and passes with the chain as fallback blockstore, which counts
// what it served.
func TestFallbackBlockstore(t *testing.T) {
	built, car := genChain(t, 3)
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	ctx := context.Background()
	res, err := New(src, WithTempDir(t.TempDir())).Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: true})
	if err != nil {
		t.Fatal(err)
	}
	v := res[0].Vector
	raw, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	br, err := carv2.NewBlockReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var kept []blocks.Block
	dropped := 0
	for i := 0; ; i++ {
		b, err := br.Next()
		if err != nil {
			break
		}
		if i%2 == 0 || b.Cid() == v.Pre.StateTree.RootCID {
			dropped++
			continue
		}
		kept = append(kept, b)
	}
	thin := *v
	if thin.CAR, err = vectorCAR(ctx, t.TempDir(), br.Roots, kept); err != nil {
		t.Fatal(err)
	}
	b, _ := schema.Marshal(&thin)
	tv, err := schema.Decode("thin", b)
	if err != nil {
		t.Fatal(err)
	}

	alone := driver.New().Run(ctx, tv, tv.Pre.Variants[0])
	if alone.Status == driver.Pass {
		t.Fatalf("a vector missing %d blocks passed without a fallback", dropped)
	}
	fb := corpus.NewFallback(src)
	out := driver.New(driver.WithSource(fb.Wrap(corpus.Memory{}))).Run(ctx, tv, tv.Pre.Variants[0])
	if out.Status != driver.Pass {
		t.Fatalf("with the fallback: %s: %s", out.Status, out.Reason)
	}
	if fb.Fetched() == 0 || fb.Fetched() > int64(dropped) {
		t.Fatalf("fallback fetched %d blocks; %d were dropped", fb.Fetched(), dropped)
	}
	t.Logf("dropped %d blocks; alone: %s; with fallback: pass, %d blocks fetched from the chain source", dropped, alone.Status, fb.Fetched())
}
