package extract_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/migration/migrationtest"
	"github.com/tvx-project/tvx/schema"
)

// A chain built from the real mainnet genesis state under a schedule with
// every pre-FVM network version and six migrations in its first dozen epochs (null rounds at two of the
// upgrade heights) extracts into vectors that pass: one per tipset, each
// checked against the state root and receipts the chain committed to (the
// first tipset after each upgrade migrates its parent state on replay), and
// one squashed vector across every upgrade, the same through a node as
// from the chain CAR.
func TestBuiltChainAcrossUpgradesExtracts(t *testing.T) {
	ctx := context.Background()
	table := migrationtest.EarlyTable(t)
	v := migrationtest.TipsetVector(t)
	built, err := chainbuild.Build(ctx, v, v.Pre.Variants[0], chainbuild.WithProtocol(table))
	if err != nil {
		t.Fatal(err)
	}
	last := built.Tipsets[len(built.Tipsets)-1]
	blocks := chain.NewMemBlocks()
	for _, b := range built.Blocks() {
		if err := blocks.Put(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if got := migrationtest.ActorsVersion(t, blocks, built.Head.ParentState()); got != 7 {
		t.Fatalf("the chain's last state (after epoch %d) runs actors v%d, want v7", last.Height(), got)
	}

	src := built.Source(chain.WithNetworkSchedule(func(h abi.ChainEpoch) network.Version { return table.AtEpoch(h).Version }),
		chain.WithCirculatingSupply(big.Zero()))
	ex := extract.New(src, extract.WithProtocol(table), extract.WithSelfCheck(true), extract.WithLogger(t))
	d := driver.New(driver.WithProtocol(table))
	run := func(res []*extract.TipsetResult) {
		t.Helper()
		for _, r := range res {
			if len(r.Mismatches) > 0 {
				t.Fatalf("%s: %v", r.Vector.ID(), r.Mismatches)
			}
			b, err := schema.Marshal(r.Vector)
			if err != nil {
				t.Fatal(err)
			}
			rv, err := schema.Decode(r.Vector.ID(), b)
			if err != nil {
				t.Fatal(err)
			}
			for _, vr := range rv.Pre.Variants {
				if out := d.Run(ctx, rv, vr); out.Status != driver.Pass {
					t.Errorf("%s %s: %s: %s\n%s", rv.ID(), vr.ID, out.Status, out.Reason, out.Detail)
				}
			}
		}
	}
	one, err := ex.Tipsets(ctx, extract.TipsetRequest{Tipsets: built.Tipsets})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != len(migrationtest.Offsets) {
		t.Fatalf("%d vectors from %d tipsets", len(one), len(migrationtest.Offsets))
	}
	run(one)
	squashed, err := ex.Tipsets(ctx, extract.TipsetRequest{Tipsets: built.Tipsets, Squash: true})
	if err != nil {
		t.Fatal(err)
	}
	run(squashed)

	// Through a node (the Lotus-API test server over the same chain) the
	// extraction replays the same migrations and writes the same bytes.
	srv := chaintest.NewServer(src, "a.test.token")
	defer srv.Close()
	node, err := chain.Dial(ctx, srv.APIInfo())
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	fromNode, err := extract.New(node, extract.WithProtocol(table), extract.WithSelfCheck(true)).Tipsets(ctx, extract.TipsetRequest{Tipsets: built.Tipsets, Squash: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := schema.Marshal(squashed[0].Vector)
	if err != nil {
		t.Fatal(err)
	}
	b, err := schema.Marshal(fromNode[0].Vector)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the node's extraction differs from the chain CAR's")
	}
	if srv.Calls() == 0 {
		t.Error("the node was never asked")
	}
}
