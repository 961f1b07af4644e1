package actorpolicy_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/chain/chaintest/devnetchain"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/extract"
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

// Two drivers, each replaying its own network's vectors, at the same time:
// mainnet's PreCommitSector vectors (32 GiB sectors) and a devnet's
// PreCommitSector, ProveCommitSector and SubmitWindowedPoSt (2 KiB
// sectors), the devnet's as extracted from its chain, replaying under the
// policy and schedule they record. Every run passes: under -race this
// checks the gate keeps each vector on its own network's policy while the
// other network's runs come and go.
func TestTwoNetworksEachPassConcurrently(t *testing.T) {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(testcorpus.Shared(t), "extracted", "0001-initial-extraction", "fil_1_storageminer", "PreCommitSector", "Ok", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no PreCommitSector vectors: %v", err)
	}
	var mainnetVectors []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mainnetVectors = append(mainnetVectors, v)
	}
	c, err := devnetchain.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prof := devnetchain.Profile()
	table, err := prof.Protocol()
	if err != nil {
		t.Fatal(err)
	}
	ex := extract.New(c.Source(), extract.WithNetworkName(prof.Name), extract.WithProtocol(table), extract.WithActorPolicy(prof.Policy))
	var devnetVectors []*schema.Vector
	for _, m := range []string{"PreCommitSector", "ProveCommitSector", "SubmitWindowedPoSt"} {
		res, err := ex.Message(ctx, extract.MessageRequest{Message: c.Messages[m]})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		res.Vector.Path = m
		devnetVectors = append(devnetVectors, res.Vector)
	}

	mainnet, devnet := driver.New(), driver.New()
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for _, set := range []struct {
			drv *driver.Driver
			vs  []*schema.Vector
		}{{mainnet, mainnetVectors}, {devnet, devnetVectors}} {
			for _, v := range set.vs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if out := set.drv.Run(ctx, v, v.Pre.Variants[0]); out.Status != driver.Pass {
						t.Errorf("%s (%s): %s: %s", filepath.Base(v.Path), v.Network(), out.Status, out.Reason)
					}
				}()
			}
		}
	}
	wg.Wait()
}
