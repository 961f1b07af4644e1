package networks

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/protocol"
)

// Each network's versions by epoch follow Lotus's rule: an upgrade's
// version from the epoch after its height, upgrades at negative heights
// never run. Calibnet starts at network version 0 (its genesis holds
// actors v0), although Liftoff (nv5) is before genesis; butterfly starts
// at 14; a devnet whose node puts every upgrade before genesis starts at
// the newest. Each profile's protocol table agrees with it.
func TestNetworkVersionsByEpoch(t *testing.T) {
	calib, _ := ByName("calibnet")
	butterfly, _ := ByName("butterfly")
	devnet := FromNodeParams(NodeParams{Name: "test", Upgrades: Heights{"breeze": -1, "smoke": -2, "actorsv2": -5, "calico": -9, "chocolate": -17, "ohsnap": -18}})
	for _, c := range []struct {
		p     Profile
		epoch abi.ChainEpoch
		nv    uint
	}{
		{calib, 1, 0}, {calib, 30, 0}, {calib, 31, 4}, {calib, 60, 4}, {calib, 61, 5}, {calib, 271, 8}, {calib, 301, 9},
		{calib, 682007, 15}, {calib, 1044661, 16},
		{butterfly, 1, 14}, {butterfly, 241, 15},
		{devnet, 1, 15}, {devnet, 100000, 15},
	} {
		if got := c.p.NetworkVersion(c.epoch); got != c.nv {
			t.Errorf("%s at %d: nv%d, want nv%d", c.p.Name, c.epoch, got, c.nv)
		}
		tbl, err := c.p.Protocol()
		if err != nil {
			t.Fatalf("%s: %v", c.p.Name, err)
		}
		if got := tbl.AtEpoch(c.epoch).Version; got != network.Version(c.nv) {
			t.Errorf("%s at %d: the protocol table gives nv%d, the profile nv%d", c.p.Name, c.epoch, got, c.nv)
		}
	}
	// The devnet's Calico is before genesis: its node charges the genesis
	// price list at network version 15.
	tbl, _ := devnet.Protocol()
	if got := tbl.PricesAt(10); got != protocol.PricesGenesis {
		t.Errorf("devnet prices %s at 10", got)
	}
	if _, err := (Profile{Name: "x", GenesisNetworkVersion: 99}).Protocol(); err == nil {
		t.Error("a devnet at an unknown genesis version made a table")
	}
}
