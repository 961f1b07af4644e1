package chain_test

import (
	"bytes"
	"context"
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
