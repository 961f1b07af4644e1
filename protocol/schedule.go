package protocol

import (
	"fmt"
	"sort"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
)

// Schedule is a network's upgrade schedule as its node builds set it
// (Lotus's build/params_<network>.go): the network version its genesis
// runs and the height of each upgrade by codename (those of Mainnet()'s
// rows). A negative height says the network started past the upgrade (see
// Upgrade.BeforeGenesis); an upgrade absent from Heights is one the
// network has not scheduled, and neither are any after it.
type Schedule struct {
	Network        string
	GenesisVersion network.Version
	Heights        map[string]abi.ChainEpoch
}

// FromSchedule makes a network's table from its schedule: each upgrade's
// network version, actors and state-tree versions, VM and behaviour
// switches are those mainnet's row of the same codename brings; what
// depends on where the network put its upgrades is worked out from its
// own heights, as a node of that network does:
//
//   - the genesis row runs GenesisVersion's rules (those of the last
//     mainnet row of that version);
//   - the rows the network runs are ordered by their heights; rows before
//     genesis follow the genesis row in schedule order;
//   - Claus changes no network version (it is no upgrade in Lotus's
//     schedule, only a height its VM compares with): its row keeps the
//     version in force where the network put it;
//   - the Window PoSt burn exemption holds, up to network version 12, above
//     the Claus height (everywhere when Claus is before genesis);
//   - the Calico price list applies from the Calico height only if that is
//     above genesis; the FVM's price lists follow the network version;
//   - the consensus-fault blackout is around Orange's height wherever the
//     network put it (Lotus compares with the height even when it is
//     before genesis: such a chain refuses faults in its first epochs);
//   - each upgrade brings mainnet's state migration, but Calico's, which
//     only mainnet ran, and none of mainnet's surgery; one before genesis
//     never runs.
func FromSchedule(s Schedule) (*Table, error) {
	mainnet := Mainnet().Upgrades()
	genesis := mainnet[0]
	for _, u := range mainnet {
		if u.Version == s.GenesisVersion && u.Codename != "claus" {
			genesis = u
		}
	}
	if genesis.Version != s.GenesisVersion {
		return nil, fmt.Errorf("protocol table %s: genesis network version %d is not one tvx knows", s.Network, s.GenesisVersion)
	}
	claus, hasClaus := s.Heights["claus"]
	exempt := func(v network.Version, epoch abi.ChainEpoch) bool {
		return hasClaus && v <= network.Version12 && epoch >= claus
	}
	var before, run []Upgrade
	for i, m := range mainnet[1:] {
		h, ok := s.Heights[m.Codename]
		if !ok {
			break
		}
		u := m
		u.Epoch = h
		if s.Network != mainnetName {
			// Calico's migration (a correction of mainnet's power claims)
			// and the surgery after Trust's ran on mainnet only.
			u.Surgery = ""
			if m.Codename == "calico" {
				u.Migration = ""
			}
		}
		// A price era a mainnet row introduces (the one before it had
		// another) is the row's own; the rest inherit theirs below.
		if m.VM != FVM && (h <= 0 || m.Prices == mainnet[i].Prices) {
			u.Prices = ""
		}
		if h < 0 {
			before = append(before, u)
		} else {
			run = append(run, u)
		}
	}
	sort.SliceStable(run, func(i, j int) bool { return run[i].Epoch < run[j].Epoch })

	g := genesis
	// A genesis is created in its version's actors: nothing migrates.
	g.Codename, g.Epoch, g.FaultBlackout, g.Migration, g.Surgery = "genesis", 0, false, "", ""
	if g.VM != FVM {
		g.Prices = PricesGenesis
	}
	g.WindowPoStBurnExemption = exempt(g.Version, 0)
	rows := []Upgrade{g}
	for _, u := range before {
		if u.Prices == "" {
			u.Prices = g.Prices
		}
		u.WindowPoStBurnExemption = exempt(u.Version, u.Epoch)
		rows = append(rows, u)
	}
	prev := g
	for _, u := range run {
		if u.Codename == "claus" {
			codename, epoch := u.Codename, u.Epoch
			u = prev
			u.Codename, u.Epoch, u.FaultBlackout, u.Prices, u.Migration, u.Surgery = codename, epoch, false, "", "", ""
		}
		if u.Prices == "" {
			u.Prices = prev.Prices
		}
		u.WindowPoStBurnExemption = exempt(u.Version, u.Epoch)
		rows = append(rows, u)
		prev = u
	}
	return NewTable(s.Network, rows)
}

// Calibnet returns the calibration network's table: the network whose
// genesis Lotus v1.15.3 ships (June 2021), with its heights from that
// release and Skyr's from v1.16.0; that network was reset before Shark.
func Calibnet() *Table {
	return mustSchedule(Schedule{
		Network:        "calibrationnet",
		GenesisVersion: network.Version0,
		Heights: map[string]abi.ChainEpoch{
			"breeze": -1, "smoke": -2, "ignition": -3, "refuel": -4, "actorsv2": 30, "tape": 60,
			"liftoff": -5, "kumquat": 90, "calico": 120, "persian": 240, "orange": 300, "claus": 270,
			"trust": 330, "norwegian": 360, "turbo": 390, "hyperdrive": 420, "chocolate": 312746,
			"ohsnap": 682006, "skyr": 1044660,
		},
	})
}

// Butterfly returns the butterfly network's table as Lotus v1.15.3 sets it:
// a genesis at network version 14 and OhSnap at 240. (Butterfly is reset
// with every network upgrade; later resets are other chains.)
func Butterfly() *Table {
	return mustSchedule(Schedule{
		Network:        "butterflynet",
		GenesisVersion: network.Version14,
		Heights: map[string]abi.ChainEpoch{
			"breeze": -1, "smoke": -2, "ignition": -3, "refuel": -4, "actorsv2": -5, "tape": -6,
			"liftoff": -7, "kumquat": -8, "calico": -9, "persian": -10, "orange": -12, "claus": -11,
			"trust": -13, "norwegian": -14, "turbo": -15, "hyperdrive": -16, "chocolate": -17,
			"ohsnap": 240,
		},
	})
}

func mustSchedule(s Schedule) *Table {
	t, err := FromSchedule(s)
	if err != nil {
		panic(err) // unreachable: the schedules above are ordered
	}
	return t
}

// ForNetwork returns the table of a network tvx has one for, by the name
// vectors record.
func ForNetwork(name string) (*Table, bool) {
	switch name {
	case "mainnet":
		return Mainnet(), true
	case "calibrationnet":
		return Calibnet(), true
	case "butterflynet":
		return Butterfly(), true
	}
	return nil, false
}
