package extract

import (
	"context"
	"errors"
	"testing"

	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/chain"
)

// A generated range with null rounds and changing base fees extracts
// faithfully: the squashed vector keeps each tipset's base fee and real
// height differences, passes, and ends where the chain says; unsquashed,
// each tipset passes alone.
func TestRangeWithNullRounds(t *testing.T) {
	built, car := genChain(t, 12)
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	ctx := context.Background()
	e := New(src, WithTempDir(t.TempDir()))

	tss, err := e.Range(ctx, RangeEnd{Height: built.Tipsets[0].Height(), ByHeight: true}, RangeEnd{Key: built.Tipsets[len(built.Tipsets)-1].Key()})
	if err != nil {
		t.Fatal(err)
	}
	if len(tss) != len(built.Tipsets) {
		t.Fatalf("range resolved to %d tipsets, want %d", len(tss), len(built.Tipsets))
	}
	res, err := e.Tipsets(ctx, TipsetRequest{Tipsets: tss, Squash: true})
	if err != nil {
		t.Fatal(err)
	}
	v := res[0].Vector
	mustPass(t, v)
	parent, err := src.TipSet(ctx, tss[0].Parents())
	if err != nil {
		t.Fatal(err)
	}
	nulls := 0
	for i, ts := range tss {
		at := v.ApplyTipsets[i]
		if got, want := at.EpochOffset, int64(ts.Height()-parent.Height()); got != want {
			t.Errorf("tipset %d: epoch offset %d, want %d", i, got, want)
		}
		if !big.NewFromGo(&at.BaseFee).Equals(ts.ParentBaseFee()) {
			t.Errorf("tipset %d: base fee %s, chain %s", i, &at.BaseFee, ts.ParentBaseFee())
		}
		if i > 0 && ts.Height() > tss[i-1].Height()+1 {
			nulls++
		}
	}
	if nulls == 0 {
		t.Fatal("the generated range has no null round")
	}
	if got, want := v.Post.StateTree.RootCID, built.Head.ParentState(); got != want {
		t.Fatalf("squashed vector ends at %s, the chain at %s", got, want)
	}

	each, err := e.Tipsets(ctx, TipsetRequest{Tipsets: tss})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range each {
		mustPass(t, r.Vector)
	}
	t.Logf("%d tipsets, %d null-round gaps, %d receipts in the squashed vector", len(tss), nulls, len(v.Post.Receipts))
}

// A replay that disagrees with the chain is refused unless told otherwise.
func TestSanityCheck(t *testing.T) {
	built, car := genChain(t, 2)
	ctx := context.Background()
	// The chain was built with a zero circulating supply; claiming another
	// does not change these messages' receipts, so change the network
	// version instead: version 0 chains price differently from version 3.
	_ = built
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()), chain.WithNetworkVersion(3))
	e := New(src, WithTempDir(t.TempDir()))
	_, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: true})
	if !errors.Is(err, ErrSanity) {
		t.Fatalf("replay under the wrong network version: err = %v, want ErrSanity", err)
	}
	res, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: true, IgnoreSanityChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Mismatches) == 0 {
		t.Fatal("ignored mismatch not reported")
	}
}
