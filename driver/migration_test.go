package driver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/migration/migrationtest"
	"github.com/tvx-project/tvx/schema"
)

// zeroRand answers every draw with zeros, as the driver does for a vector
// that records no randomness.
type zeroRand struct{}

func (zeroRand) ChainRandomness(context.Context, crypto.DomainSeparationTag, abi.ChainEpoch, []byte) ([]byte, error) {
	return make([]byte, 32), nil
}

func (zeroRand) BeaconRandomness(context.Context, crypto.DomainSeparationTag, abi.ChainEpoch, []byte) ([]byte, error) {
	return make([]byte, 32), nil
}

// A tipset vector of the table's own network whose tipsets cross upgrades
// follows the chain's schedule: the legacy executor migrates the state at
// the end of each upgrade height, after its cron (null rounds included),
// exactly once, and the driver replays the vector so. Run on the real
// mainnet genesis state through every pre-FVM network version and six migrations (EarlyTable), with a
// transfer in every tipset.
func TestTipsetVectorCrossesEveryMigration(t *testing.T) {
	ctx := context.Background()
	table := migrationtest.EarlyTable(t)
	v := migrationtest.TipsetVector(t)
	bs, root := migrationtest.Genesis(t)
	total := migrationtest.Total(t, bs, root)
	x := legacy.New()

	// Run the tipsets as the chain would, recording the postconditions and
	// each tipset's actors version.
	parent := abi.ChainEpoch(0)
	migrations := 0
	for i, st := range v.ApplyTipsets {
		epoch := abi.ChainEpoch(st.EpochOffset)
		nv := table.AtEpoch(epoch).Version
		req := &executor.Tipset{
			Params: executor.Params{Store: bs, NetworkVersion: nv, Protocol: table, OnChain: true,
				CircSupply: big.Zero(), Rand: zeroRand{}},
			ParentRoot: root, ParentEpoch: parent, Epoch: epoch, BaseFee: big.NewFromGo(&st.BaseFee),
		}
		for _, b := range st.Blocks {
			msgs := make([][]byte, len(b.Messages))
			for k, m := range b.Messages {
				msgs[k] = m
			}
			req.Blocks = append(req.Blocks, executor.Block{Miner: b.MinerAddr, WinCount: b.WinCount, Messages: msgs})
		}
		res, err := x.ApplyTipset(ctx, req)
		if err != nil {
			t.Fatalf("tipset %d (epoch %d): %v", i, epoch, err)
		}
		for _, a := range res.Applied {
			if a.ExitCode != 0 {
				t.Fatalf("tipset %d: %s exit %d: %s", i, a.Kind, a.ExitCode, a.Error)
			}
			v.Post.Receipts = append(v.Post.Receipts, &schema.Receipt{ExitCode: int64(a.ExitCode), ReturnValue: a.Return, GasUsed: a.GasUsed})
		}
		v.Post.ReceiptsRoots = append(v.Post.ReceiptsRoots, res.ReceiptsRoot)

		// The state the tipset leaves runs the actors of its epoch's row:
		// the migration at an upgrade height ran after that epoch's cron,
		// before the next tipset's messages.
		want := table.AtEpoch(epoch).ActorsVersion
		if got := migrationtest.ActorsVersion(t, bs, res.PostRoot); got != want {
			t.Errorf("tipset %d (epoch %d, parent %d): actors v%d, want v%d", i, epoch, parent, got, want)
		}
		for h := parent; h < epoch; h++ {
			if _, ok := table.MigrationAt(h); ok {
				migrations++
			}
		}
		if got := migrationtest.Total(t, bs, res.PostRoot); !got.Equals(total) {
			t.Errorf("tipset %d: balances sum to %s, genesis %s", i, got, total)
		}
		root, parent = res.PostRoot, epoch
	}
	if want := len(table.Migrations()); migrations != want {
		t.Fatalf("the tipsets crossed %d migrating heights, want all %d", migrations, want)
	}
	v.Post.StateTree.RootCID = root
	// After a dozen epochs of cron, actors v7's own invariant checks find
	// nothing but the genesis multisigs that lock their balance forever.
	locked := migrationtest.LockedForever(t, bs, v.Pre.StateTree.RootCID)
	var want []string
	for _, a := range locked {
		want = append(want, a.String()+" multisig: non-zero locked balance")
	}
	got := migrationtest.Invariants(t, bs, root, total, parent)
	ok := len(got) == len(want) && len(want) > 0
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("actors v7 invariants after the last tipset: %q, want only %q", got, want)
	}

	// The driver replays the vector under the table it comes from...
	d := driver.New(driver.WithProtocol(table))
	if out := d.Run(ctx, v, v.Pre.Variants[0]); out.Status != driver.Pass {
		t.Fatalf("under its own table: %s: %s\n%s", out.Status, out.Reason, out.Detail)
	}
	// ...and not under mainnet's, where its network version is 0 throughout
	// and nothing migrates.
	if out := driver.New().Run(ctx, v, v.Pre.Variants[0]); out.Status != driver.Fail {
		t.Fatalf("under mainnet's table, where no tipset migrates: %s: %s", out.Status, out.Reason)
	} else {
		t.Logf("under mainnet's table: %s", out.Reason)
	}
}
