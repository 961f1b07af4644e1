package chain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/vm/state"
)

// The genesis CARs are recognised as their networks, and the networks
// table agrees with what each genesis itself records: the network name in
// the init actor's state and the genesis block's timestamp.
func TestGenesisCARsAreTheirNetworks(t *testing.T) {
	ctx := context.Background()
	for file, path := range testcorpus.GenesisCARs(t) {
		src, err := chain.OpenCAR(path)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		gen, _ := src.Head(ctx)
		name, err := chain.NetworkName(ctx, src)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		p, ok := networks.ByName(name)
		if !ok || p.Name != name {
			t.Fatalf("%s: recognised as %q, not a table row", file, name)
		}
		if want, _ := networks.ByName(file); want.Name != name {
			t.Errorf("%s: recognised as %s", file, name)
		}
		if got := gen.Blocks()[0].Timestamp; got != p.GenesisTime {
			t.Errorf("%s: genesis time %d, table %d", file, got, p.GenesisTime)
		}
		_, actors, err := state.List(ctx, chain.IPLDStore(src), gen.ParentState())
		if err != nil {
			t.Fatal(err)
		}
		var initHead []byte
		for _, a := range actors {
			if a.CodeName() == "fil/1/init" {
				blk, err := src.Get(ctx, a.Head)
				if err != nil {
					t.Fatal(err)
				}
				initHead = blk.RawData()
			}
		}
		var st init0.State
		if err := st.UnmarshalCBOR(bytes.NewReader(initHead)); err != nil {
			t.Fatalf("%s: init actor state: %v", file, err)
		}
		if st.NetworkName != p.StateName {
			t.Errorf("%s: the genesis names its network %q, the table %q", file, st.NetworkName, p.StateName)
		}
		if nv, _ := src.NetworkVersion(ctx, 0); uint(nv) != p.GenesisNetworkVersion {
			t.Errorf("%s: genesis network version %d, table %d", file, nv, p.GenesisNetworkVersion)
		}
	}
}

// Mainnet's row of the networks table gives the same network version at
// every upgrade boundary as the protocol schedule.
func TestMainnetProfileMatchesSchedule(t *testing.T) {
	p, ok := networks.ByName(networks.Mainnet)
	if !ok {
		t.Fatal("no mainnet row")
	}
	for _, u := range p.Upgrades {
		for _, h := range []abi.ChainEpoch{u.Height - 1, u.Height, u.Height + 1, u.Height + 2} {
			if got, want := p.NetworkVersion(h), uint(chain.MainnetNetworkVersion(h)); got != want {
				t.Errorf("%s: at %d the row gives nv%d, the schedule nv%d", u.Codename, h, got, want)
			}
		}
	}
}

// A devnet node of Lotus v1.20 (its 2k build: every upgrade up to Shark
// before genesis, Hygge at 30) reports the FVM upgrades' heights too: its
// profile starts at network version 17 and runs Hygge's from 31. A v1.15
// node's answer has no such fields, and its profile no such upgrades.
func TestNodeParamsFVMUpgrades(t *testing.T) {
	var v120, v115 chain.NetworkParams
	if err := json.Unmarshal([]byte(`{"NetworkName":"localnet","ForkUpgradeParams":{"UpgradeBreezeHeight":-1,"UpgradeSmokeHeight":-2,"UpgradeIgnitionHeight":-3,
		"UpgradeRefuelHeight":-4,"UpgradeAssemblyHeight":-5,"UpgradeTapeHeight":-6,"UpgradeLiftoffHeight":-7,"UpgradeKumquatHeight":-8,"UpgradeCalicoHeight":-9,
		"UpgradePersianHeight":-10,"UpgradeOrangeHeight":-11,"UpgradeClausHeight":-12,"UpgradeTrustHeight":-13,"UpgradeNorwegianHeight":-14,"UpgradeTurboHeight":-15,
		"UpgradeHyperdriveHeight":-16,"UpgradeChocolateHeight":-17,"UpgradeOhSnapHeight":-18,"UpgradeSkyrHeight":-19,"UpgradeSharkHeight":-20,"UpgradeHyggeHeight":30}}`), &v120); err != nil {
		t.Fatal(err)
	}
	p := v120.Profile()
	if p.GenesisNetworkVersion != 17 || p.NetworkVersion(30) != 17 || p.NetworkVersion(31) != 18 {
		t.Errorf("v1.20 devnet: genesis nv%d, nv%d at 30, nv%d at 31", p.GenesisNetworkVersion, p.NetworkVersion(30), p.NetworkVersion(31))
	}
	if tbl, err := p.Protocol(); err != nil || tbl.AtEpoch(31).Codename != "hygge" || tbl.PricesAt(31) != "hygge" {
		t.Errorf("v1.20 devnet table: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"NetworkName":"localnet","ForkUpgradeParams":{"UpgradeOhSnapHeight":-18,"UpgradeChocolateHeight":-17}}`), &v115); err != nil {
		t.Fatal(err)
	}
	for _, u := range v115.Profile().Upgrades {
		if u.Codename == "skyr" || u.Codename == "shark" || u.Codename == "hygge" {
			t.Errorf("a v1.15 node's profile has %s at %d", u.Codename, u.Height)
		}
	}
}
