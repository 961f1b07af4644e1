package fvmtest

import (
	"bytes"
	"context"
	"testing"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/schema"
)

// TestChainBuildAtFVMVersions builds the chain of a tipset vector on a
// built state at nv16 and nv17 — its tipsets replayed through the default
// executor, which picks the FVM — and extracts it back from the chain CAR:
// the chain reproduces the vector, and the squashed extraction ends at the
// vector's root and passes.
func TestChainBuildAtFVMVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes chains with actor code")
	}
	for _, nv := range testVersions() {
		ctx := context.Background()
		w, err := New(ctx, Options{NetworkVersion: nv})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := w.MinerTipsets()
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.TipsetVector("fvm-chain-build", 0, ts)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Expect(ctx, v); err != nil {
			t.Fatal(err)
		}
		built, err := chainbuild.Build(ctx, v, v.Pre.Variants[0])
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		if len(built.Mismatches) != 0 {
			t.Fatalf("nv%d: the chain does not reproduce the vector: %v", nv, built.Mismatches)
		}
		var car bytes.Buffer
		if err := built.WriteCAR(&car); err != nil {
			t.Fatal(err)
		}
		src, err := chain.NewCARSource(bytes.NewReader(car.Bytes()), chain.WithNetworkVersion(built.NetworkVersion))
		if err != nil {
			t.Fatal(err)
		}
		e := extract.New(src, extract.WithTempDir(t.TempDir()))
		out, err := e.Tipsets(ctx, extract.TipsetRequest{Tipsets: built.Tipsets, Squash: true})
		if err != nil {
			t.Fatalf("nv%d: extract: %v", nv, err)
		}
		sv := out[0].Vector
		if sv.Post.StateTree.RootCID != v.Post.StateTree.RootCID {
			t.Errorf("nv%d: extraction ends at %s, the vector at %s", nv, sv.Post.StateTree.RootCID, v.Post.StateTree.RootCID)
		}
		b, err := schema.Marshal(sv)
		if err != nil {
			t.Fatal(err)
		}
		rv, err := schema.Decode("extracted", b)
		if err != nil {
			t.Fatal(err)
		}
		if o := driver.New().Run(ctx, rv, rv.Pre.Variants[0]); o.Status != driver.Pass {
			t.Errorf("nv%d: extracted vector: %s: %s", nv, o.Status, o.Reason)
		}
	}
}
