package actorpolicy_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/schema"
)

// A devnet whose miners may only seal 2 KiB and 8 MiB sectors.
var devnet = networks.Policy{
	SupportedSealProofs:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1, abi.RegisteredSealProof_StackedDrg8MiBV1},
	ConsensusMinerMinPower:  2048,
	MinVerifiedDealSize:     256,
	PreCommitChallengeDelay: 10,
}

// Drivers of two networks replay mainnet's PreCommitSector vectors (32 GiB
// sectors) at the same time: under mainnet's policy every one passes, as
// on chain; under the devnet's the miner refuses the proof type, so the
// recorded receipts do not match. Run under -race, this checks the gate
// keeps the two policies apart.
func TestTwoNetworksConcurrently(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Shared(t), "extracted", "0001-initial-extraction", "fil_1_storageminer", "PreCommitSector", "Ok", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no PreCommitSector vectors: %v", err)
	}
	var vs []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	mainnet := driver.New()
	dev := driver.New(driver.WithActorPolicy(devnet))
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for _, v := range vs {
			for _, d := range []struct {
				name string
				drv  *driver.Driver
				want driver.Status
			}{{"mainnet", mainnet, driver.Pass}, {"devnet", dev, driver.Fail}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out := d.drv.Run(context.Background(), v, v.Pre.Variants[0])
					if d.want == driver.Fail && !strings.Contains(out.Reason, "16") {
						t.Errorf("%s under %s policy: %s, want the miner's illegal-argument exit (16)", filepath.Base(v.Path), d.name, out.Reason)
					}
					if out.Status != d.want {
						t.Errorf("%s under %s policy: %s (%s), want %s", filepath.Base(v.Path), d.name, out.Status, out.Reason, d.want)
					}
				}()
			}
		}
	}
	wg.Wait()
}
