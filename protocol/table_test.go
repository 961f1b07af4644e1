package protocol

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
)

// Epoch lookups follow Lotus's counting: an upgrade's own epoch still runs
// the old version, its price list already applies there.
func TestMainnetLookups(t *testing.T) {
	m := Mainnet()
	for _, c := range []struct {
		epoch abi.ChainEpoch
		name  string
		nv    network.Version
		era   string
	}{
		{0, "genesis", 0, PricesGenesis}, {41280, "genesis", 0, PricesGenesis}, {41281, "breeze", 1, PricesGenesis},
		{138720, "refuel", 3, PricesGenesis}, {138721, "actorsv2", 4, PricesGenesis}, {148889, "liftoff", 5, PricesGenesis},
		{265199, "kumquat", 6, PricesGenesis}, {265200, "kumquat", 6, PricesCalico}, {265201, "calico", 7, PricesCalico},
		{343200, "orange", 9, PricesCalico}, {343201, "claus", 9, PricesCalico}, {1900000, "ohsnap", 15, PricesCalico},
		{1960320, "ohsnap", 15, PricesSkyr}, {1960321, "skyr", 16, PricesSkyr}, {2383681, "shark", 17, PricesSkyr}, {2683349, "hygge", 18, PricesHygge},
	} {
		u := m.AtEpoch(c.epoch)
		if u.Codename != c.name || u.Version != c.nv || m.PricesAt(c.epoch) != c.era {
			t.Errorf("epoch %d: %s nv%d prices %s, want %s nv%d %s", c.epoch, u.Codename, u.Version, m.PricesAt(c.epoch), c.name, c.nv, c.era)
		}
	}
	for _, u := range m.Upgrades() {
		q, ok := m.ByCodename(u.Codename)
		if !ok || q != u {
			t.Errorf("codename %s does not round trip", u.Codename)
		}
	}
	if m.Known(network.Version(19)) || !m.Known(network.Version(18)) || m.MaxVersion() != network.Version(18) {
		t.Error("mainnet table must end at nv18")
	}
	if got := m.FaultBlackouts(); len(got) != 1 || got[0] != 336458 {
		t.Errorf("fault blackouts %v, want Orange's height", got)
	}
	// The Window PoSt burn exemption runs from Claus to the end of nv12.
	for _, c := range []struct {
		epoch  abi.ChainEpoch
		exempt bool
	}{{343200, false}, {343201, true}, {892800, true}, {892801, false}} {
		if got := m.AtEpoch(c.epoch).WindowPoStBurnExemption; got != c.exempt {
			t.Errorf("epoch %d: burn exemption %v", c.epoch, got)
		}
	}
}

func TestNewTableRejectsDisorder(t *testing.T) {
	rows := Mainnet().Upgrades()
	if _, err := NewTable("x", append(rows, rows[3])); err == nil {
		t.Error("repeated codename accepted")
	}
	back := rows[5]
	back.Codename, back.Epoch = "late", rows[4].Epoch-1
	if _, err := NewTable("x", append(rows[:6:6], back)); err == nil {
		t.Error("row going back accepted")
	}
	if _, err := NewTable("x", nil); err == nil {
		t.Error("empty table accepted")
	}
}

// Both rules of Resolve on both sides of every edge where mainnet's
// epoch-keyed protocol differs from the one in force at a version's
// activation: Calico's prices arriving at 265200 while nv6 still runs, and
// Claus switching the burn exemption on within nv9.
func TestResolve(t *testing.T) {
	m := Mainnet()
	for _, c := range []struct {
		nv      network.Version
		epoch   abi.ChainEpoch
		onChain bool
		row     string
		prices  string
		exempt  bool
	}{
		{6, 265199, true, "kumquat", PricesGenesis, false},
		{6, 265200, true, "kumquat", PricesCalico, false}, // the chain's edge
		{6, 265200, false, "kumquat", PricesGenesis, false},
		{7, 265201, true, "calico", PricesCalico, false},
		{7, 265201, false, "calico", PricesCalico, false},
		{7, 200, true, "calico", PricesCalico, false}, // nv7 never ran at 200
		{7, 200, false, "calico", PricesCalico, false},
		{9, 343200, true, "orange", PricesCalico, false},
		{9, 343201, true, "claus", PricesCalico, true},
		{9, 343201, false, "orange", PricesCalico, false},
		{12, 343200, true, "turbo", PricesCalico, true},
		{14, 200, false, "chocolate", PricesCalico, false},
		{14, 200, true, "chocolate", PricesCalico, false},
		{3, 130801, true, "refuel", PricesGenesis, false},
		{3, 130801, false, "ignition", PricesGenesis, false},
		{16, 1960320, true, "skyr", PricesSkyr, false}, // nv16 never ran at its own height
		{15, 1960320, true, "ohsnap", PricesSkyr, false},
		{15, 1960320, false, "ohsnap", PricesCalico, false},
	} {
		p, err := m.Resolve(c.nv, c.epoch, c.onChain)
		if err != nil {
			t.Fatal(err)
		}
		if p.Codename != c.row || p.PriceEra != c.prices || p.WindowPoStBurnExemption != c.exempt || p.Version != c.nv {
			t.Errorf("nv%d at %d (on chain %v): %s nv%d prices %s exempt %v, want %s %s %v",
				c.nv, c.epoch, c.onChain, p.Codename, p.Version, p.PriceEra, p.WindowPoStBurnExemption, c.row, c.prices, c.exempt)
		}
	}
	if _, err := m.Resolve(99, 0, false); err == nil {
		t.Error("unknown version resolved")
	}
	if !m.Describes("mainnet") || !m.Describes("ignition") || m.Describes("calibnet") || m.Describes("") {
		t.Error("Describes")
	}
}
