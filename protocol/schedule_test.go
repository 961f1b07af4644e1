package protocol

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
)

// Mainnet's own heights, as a schedule, give back mainnet's table row for
// row: the derivation adds nothing a network's heights do not say.
func TestFromScheduleReproducesMainnet(t *testing.T) {
	m := Mainnet()
	heights := map[string]abi.ChainEpoch{}
	for _, u := range m.Upgrades()[1:] {
		heights[u.Codename] = u.Epoch
	}
	got, err := FromSchedule(Schedule{Network: "mainnet", GenesisVersion: 0, Heights: heights})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Upgrades(), m.Upgrades()) {
		for i, u := range m.Upgrades() {
			if g := got.Upgrades()[i]; !reflect.DeepEqual(g, u) {
				t.Errorf("row %d: %+v\nwant %+v", i, g, u)
			}
		}
	}
}

// Calibnet (Lotus v1.15.3/v1.16.0 heights): its genesis runs network
// version 0 until actors v2 at 30 (the upgrades before genesis are
// disabled, not in force: Liftoff's nv5 waits for Tape at 60), Claus at
// 270 lies between Persian and Orange and changes no version, the Calico
// price list applies from 120, Orange's fault blackout is at 300.
func TestCalibnetTable(t *testing.T) {
	c := Calibnet()
	for _, x := range []struct {
		epoch  abi.ChainEpoch
		name   string
		nv     network.Version
		era    string
		exempt bool
	}{
		{1, "genesis", 0, PricesGenesis, false}, {30, "genesis", 0, PricesGenesis, false}, {31, "actorsv2", 4, PricesGenesis, false},
		{61, "tape", 5, PricesGenesis, false}, {119, "kumquat", 6, PricesGenesis, false}, {120, "kumquat", 6, PricesCalico, false},
		{121, "calico", 7, PricesCalico, false}, {241, "persian", 8, PricesCalico, false}, {271, "claus", 8, PricesCalico, true},
		{301, "orange", 9, PricesCalico, true}, {391, "turbo", 12, PricesCalico, true}, {421, "hyperdrive", 13, PricesCalico, false},
		{312747, "chocolate", 14, PricesCalico, false}, {682007, "ohsnap", 15, PricesCalico, false}, {1044661, "skyr", 16, PricesSkyr, false},
	} {
		u := c.AtEpoch(x.epoch)
		if u.Codename != x.name || u.Version != x.nv || c.PricesAt(x.epoch) != x.era || u.WindowPoStBurnExemption != x.exempt {
			t.Errorf("calibnet %d: %s nv%d %s exempt %v, want %s nv%d %s %v", x.epoch, u.Codename, u.Version, c.PricesAt(x.epoch), u.WindowPoStBurnExemption, x.name, x.nv, x.era, x.exempt)
		}
	}
	if got := c.FaultBlackouts(); !reflect.DeepEqual(got, []abi.ChainEpoch{300}) {
		t.Errorf("calibnet blackouts %v", got)
	}
	if c.Known(network.Version1) || c.Known(network.Version3) || !c.Known(network.Version4) || c.MaxVersion() != network.Version16 {
		t.Errorf("calibnet runs nv4..16 after nv0 (known 1: %v, 3: %v, max %d)", c.Known(1), c.Known(3), c.MaxVersion())
	}
	if u, ok := c.ByCodename("liftoff"); !ok || !u.BeforeGenesis() {
		t.Errorf("liftoff: %+v %v", u, ok)
	}
}

// Butterfly (Lotus v1.15.3): network version 14 from genesis, every
// earlier upgrade before genesis, OhSnap at 240; the Calico price list,
// before genesis, never applies (Lotus's price lookup takes only heights
// above genesis), so the chain charges genesis prices; the fault blackout
// is still around Orange's (negative) height.
func TestButterflyTable(t *testing.T) {
	b := Butterfly()
	for _, x := range []struct {
		epoch abi.ChainEpoch
		name  string
		nv    network.Version
	}{{1, "genesis", 14}, {240, "genesis", 14}, {241, "ohsnap", 15}} {
		if u := b.AtEpoch(x.epoch); u.Codename != x.name || u.Version != x.nv || b.PricesAt(x.epoch) != PricesGenesis {
			t.Errorf("butterfly %d: %s nv%d %s", x.epoch, u.Codename, u.Version, b.PricesAt(x.epoch))
		}
	}
	act, ok := b.Activation(network.Version14)
	if !ok || act.Codename != "genesis" || act.ActorsVersion != 6 || act.WindowPoStBurnExemption {
		t.Errorf("nv14 activation %+v", act)
	}
	if b.Known(network.Version13) {
		t.Error("butterfly never ran nv13")
	}
	// Lotus's fault blackout compares with Orange's height even before
	// genesis.
	if got := b.FaultBlackouts(); !reflect.DeepEqual(got, []abi.ChainEpoch{-12}) {
		t.Errorf("butterfly blackouts %v", got)
	}
	for _, name := range []string{"mainnet", "calibrationnet", "butterflynet"} {
		if tb, ok := ForNetwork(name); !ok || tb.Network() != name {
			t.Errorf("ForNetwork(%s)", name)
		}
	}
}

// Upgrades the network runs going back in epoch or version are refused;
// before-genesis rows may stand anywhere.
func TestNewTableBeforeGenesisRows(t *testing.T) {
	// Smoke (nv2) before Breeze (nv1) would take the version back.
	if _, err := FromSchedule(Schedule{Network: "x", Heights: map[string]abi.ChainEpoch{"breeze": 10, "smoke": 5}}); err == nil {
		t.Error("a schedule going back in network version accepted")
	}
	rows := Mainnet().Upgrades()[:4]
	rows[2].Epoch = rows[1].Epoch - 1
	if _, err := NewTable("x", rows); err == nil {
		t.Error("epochs going back accepted")
	}
	rows[2].Epoch = -2
	if _, err := NewTable("x", rows); err != nil {
		t.Errorf("a before-genesis row refused: %v", err)
	}
	if _, err := FromSchedule(Schedule{Network: "x", GenesisVersion: 99}); err == nil {
		t.Error("unknown genesis version accepted")
	}
}

// Networks made from schedules migrate where Lotus's builds for them did:
// calibnet at each of its actors upgrades but Calico (mainnet alone ran
// that one), butterfly only at OhSnap (the rest precede its genesis).
func TestScheduleMigrations(t *testing.T) {
	for _, c := range []struct {
		table *Table
		want  string
	}{
		{Calibnet(), "actorsv2@30:nv4 trust@330:nv10 turbo@390:nv12 hyperdrive@420:nv13 chocolate@312746:nv14 ohsnap@682006:nv15"},
		{Butterfly(), "ohsnap@240:nv15"},
	} {
		var got []string
		for _, u := range c.table.Migrations() {
			if u.Epoch < 0 {
				continue
			}
			got = append(got, fmt.Sprintf("%s@%d:%s", u.Codename, u.Epoch, u.Migration))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: %s, want %s", c.table.Network(), strings.Join(got, " "), c.want)
		}
	}
}
