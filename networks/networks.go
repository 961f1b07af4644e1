// Package networks is the table of Filecoin networks tvx knows, one row
// per network: its name, genesis, timing, drand beacon schedule, upgrade
// heights and the actor policy its builds set where it differs between
// networks. The facts are those of Lotus v1.15.3's per-network build
// parameters (build/params_mainnet.go, params_calibnet.go,
// params_butterfly.go); the upgrade schedules are the protocol tables'
// (protocol.Mainnet, Calibnet, Butterfly), which the rows read; a devnet's
// row is made from what its node reports (FromNodeParams). It is a leaf:
// of tvx it imports only the protocol tables.
//
// What the table drives: the network a vector records in _meta.gen
// (`network:<name>`, and for a devnet its policy: Policy.Record), the
// network a genesis block identifies, the address prefix a network prints
// and the actor policy replays of its vectors hold (vm/actorpolicy).
package networks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/protocol"
)

// Profile is one network.
type Profile struct {
	// Name is the network's name as vectors record it (`network:<name>`).
	Name string
	// StateName is the name its genesis state gives it (the init actor's
	// NetworkName), which a node's StateNetworkName reports: mainnet's
	// genesis calls it "testnetnet".
	StateName string
	// Aliases are other names users type for it (--network).
	Aliases []string
	// AddressPrefix is the letter its addresses print with.
	AddressPrefix string
	// GenesisBlock is the CID of the genesis block header tvx recognises
	// the network by ("" when no genesis is known: butterfly resets).
	GenesisBlock string
	// GenesisTime is the genesis block's timestamp (unix seconds; 0 when
	// unknown).
	GenesisTime    uint64
	BlockDelaySecs uint64
	// GenesisNetworkVersion is the network version the chain starts at.
	GenesisNetworkVersion uint
	// Upgrades are the upgrade heights by codename, as Lotus sets them: a
	// negative height means the network started past the upgrade, which
	// never runs (its version is in force only as far as the genesis
	// version covers it: see protocol.Upgrade.BeforeGenesis).
	Upgrades []Upgrade
	// Beacon is the drand schedule: which drand network serves from which
	// epoch.
	Beacon []BeaconPoint
	Policy Policy
}

// Upgrade is one upgrade's activation height on a network.
type Upgrade struct {
	Codename       string
	NetworkVersion uint
	Height         abi.ChainEpoch
}

// NetworkVersion is the network version messages at epoch h run under: an
// upgrade at height U migrates at the end of U, so its version applies
// from U+1; before any, the genesis version. Upgrades at negative heights
// never run (Lotus leaves them out of its schedule).
func (p Profile) NetworkVersion(h abi.ChainEpoch) uint {
	nv := p.GenesisNetworkVersion
	for _, u := range p.Upgrades {
		if u.Height >= 0 && u.Height < h && u.NetworkVersion > nv {
			nv = u.NetworkVersion
		}
	}
	return nv
}

// BeaconPoint says a drand network serves the beacon from epoch Start.
type BeaconPoint struct {
	Start abi.ChainEpoch
	// Drand names the drand network: "mainnet", "incentinet", "mock".
	Drand string
	// GenesisTime and Period are the drand network's genesis (unix
	// seconds) and round period (seconds); zero for a mock beacon.
	GenesisTime uint64
	Period      uint64
}

// Policy is the actor policy a network's builds set where networks differ.
type Policy struct {
	SupportedSealProofs     []abi.RegisteredSealProof
	ConsensusMinerMinPower  int64 // bytes
	MinVerifiedDealSize     int64 // bytes
	PreCommitChallengeDelay abi.ChainEpoch
}

// Allows reports whether the policy accepts a seal proof type.
func (p Policy) Allows(sp abi.RegisteredSealProof) bool {
	for _, s := range p.SupportedSealProofs {
		if s == sp {
			return true
		}
	}
	return false
}

// The drand networks Lotus v1.15.3 configures.
var (
	drandMainnet    = BeaconPoint{Drand: "mainnet", GenesisTime: 1595431050, Period: 30}
	drandIncentinet = BeaconPoint{Drand: "incentinet", GenesisTime: 1595873820, Period: 30}
)

func beaconFrom(start abi.ChainEpoch, b BeaconPoint) BeaconPoint {
	b.Start = start
	return b
}

// Mainnet's default name: the network a vector without a network record
// belongs to.
const Mainnet = "mainnet"

// Protocol is the network's protocol table: the table's own for a network
// tvx has a row for, else one made from the profile's schedule.
func (p Profile) Protocol() (*protocol.Table, error) {
	if t, ok := protocol.ForNetwork(p.Name); ok {
		return t, nil
	}
	heights := map[string]abi.ChainEpoch{}
	for _, u := range p.Upgrades {
		heights[u.Codename] = u.Height
	}
	return protocol.FromSchedule(protocol.Schedule{Network: p.Name, GenesisVersion: network.Version(p.GenesisNetworkVersion), Heights: heights})
}

// genesisVersion is the network version a protocol table's genesis runs.
func genesisVersion(t *protocol.Table) uint { return uint(t.Upgrades()[0].Version) }

// upgradesOf lists a protocol table's upgrades after genesis.
func upgradesOf(t *protocol.Table) []Upgrade {
	var out []Upgrade
	for _, u := range t.Upgrades()[1:] {
		out = append(out, Upgrade{Codename: u.Codename, NetworkVersion: uint(u.Version), Height: u.Epoch})
	}
	return out
}

// mainnetEpoch is the height of a mainnet upgrade.
func mainnetEpoch(codename string) abi.ChainEpoch {
	u, ok := protocol.Mainnet().ByCodename(codename)
	if !ok {
		panic("no mainnet upgrade " + codename) // unreachable: named by this file
	}
	return u.Epoch
}

// table returns the rows; a function so no caller can change them.
func table() []Profile {
	return []Profile{{
		Name:                  Mainnet,
		StateName:             "testnetnet",
		AddressPrefix:         "f",
		GenesisBlock:          "bafy2bzacecnamqgqmifpluoeldx7zzglxcljo6oja4vrmtj7432rphldpdmm2",
		GenesisTime:           1598306400,
		BlockDelaySecs:        30,
		GenesisNetworkVersion: 0,
		Upgrades:              upgradesOf(protocol.Mainnet()),
		// Mainnet's drand network took over at the Smoke upgrade.
		Beacon: []BeaconPoint{beaconFrom(0, drandIncentinet), beaconFrom(mainnetEpoch("smoke"), drandMainnet)},
		Policy: Policy{
			SupportedSealProofs:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg32GiBV1, abi.RegisteredSealProof_StackedDrg64GiBV1},
			ConsensusMinerMinPower:  10 << 40,
			MinVerifiedDealSize:     1 << 20,
			PreCommitChallengeDelay: 150,
		},
	}, {
		Name:                  "calibrationnet",
		StateName:             "calibrationnet",
		Aliases:               []string{"calibnet", "calibration"},
		AddressPrefix:         "t",
		GenesisBlock:          "bafy2bzacecz3trtejxtzix4f4eebs7dekm6snfsmvffiqz2rfx7iwgsgtieq4",
		GenesisTime:           1624060800,
		BlockDelaySecs:        30,
		GenesisNetworkVersion: genesisVersion(protocol.Calibnet()),
		Upgrades:              upgradesOf(protocol.Calibnet()),
		Beacon:                []BeaconPoint{beaconFrom(0, drandMainnet)},
		Policy: Policy{
			SupportedSealProofs:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg32GiBV1, abi.RegisteredSealProof_StackedDrg64GiBV1},
			ConsensusMinerMinPower:  32 << 30,
			MinVerifiedDealSize:     1 << 20,
			PreCommitChallengeDelay: 150,
		},
	}, {
		Name:                  "butterflynet",
		StateName:             "butterflynet",
		Aliases:               []string{"butterfly"},
		AddressPrefix:         "t",
		BlockDelaySecs:        30,
		GenesisNetworkVersion: genesisVersion(protocol.Butterfly()),
		Upgrades:              upgradesOf(protocol.Butterfly()),
		Beacon:                []BeaconPoint{beaconFrom(0, drandMainnet)},
		Policy: Policy{
			SupportedSealProofs: []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg512MiBV1,
				abi.RegisteredSealProof_StackedDrg32GiBV1, abi.RegisteredSealProof_StackedDrg64GiBV1},
			ConsensusMinerMinPower:  2 << 30,
			MinVerifiedDealSize:     1 << 20,
			PreCommitChallengeDelay: 150,
		},
	}}
}

// All returns the networks tvx knows, in table order.
func All() []Profile { return table() }

// ByName returns the network with this name, state name or alias
// (case-insensitive).
func ByName(name string) (Profile, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range table() {
		if p.Name == n || p.StateName == n {
			return p, true
		}
		for _, a := range p.Aliases {
			if a == n {
				return p, true
			}
		}
	}
	return Profile{}, false
}

// Canonical is the name tvx records for a network given by any of its
// names (an alias, its state name); a name tvx does not know is returned
// as it is.
func Canonical(name string) string {
	if p, ok := ByName(name); ok {
		return p.Name
	}
	return name
}

// ByGenesis returns the network whose genesis block has this CID (its
// string form).
func ByGenesis(block string) (Profile, bool) {
	for _, p := range table() {
		if p.GenesisBlock != "" && p.GenesisBlock == block {
			return p, true
		}
	}
	return Profile{}, false
}

// Names lists the known names and aliases, sorted, for messages.
func Names() []string {
	var out []string
	for _, p := range table() {
		out = append(out, p.Name)
		out = append(out, p.Aliases...)
	}
	sort.Strings(out)
	return out
}

// Lookup resolves a user's --network value, with an error listing the
// known names when it is none of them.
func Lookup(name string) (Profile, error) {
	p, ok := ByName(name)
	if !ok {
		return Profile{}, fmt.Errorf("unknown network %q (tvx knows %s)", name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Heights names a devnet's upgrade heights by codename, in the order
// FromNodeParams takes them.
type Heights map[string]abi.ChainEpoch

// NodeParams is what FromNodeParams needs of a node's
// StateGetNetworkParams.
type NodeParams struct {
	Name                    string
	BlockDelaySecs          uint64
	ConsensusMinerMinPower  int64
	SupportedSealProofs     []abi.RegisteredSealProof
	PreCommitChallengeDelay abi.ChainEpoch
	Upgrades                Heights
}

// FromNodeParams makes the row of a network tvx has no row for (a devnet),
// from what its node reports. A known name yields the table's row: the
// node is on a network tvx knows. Facts a node does not report (genesis
// time, drand schedule, minimum verified deal size) stay zero: beacon
// rounds are then read off the chain itself. Nor does it report its
// genesis network version: that is taken to be the newest version whose
// upgrade it puts before genesis, as Lotus's devnet builds set it.
func FromNodeParams(np NodeParams) Profile {
	if p, ok := ByName(np.Name); ok {
		return p
	}
	p := Profile{
		Name:           np.Name,
		AddressPrefix:  "t",
		BlockDelaySecs: np.BlockDelaySecs,
		Beacon:         []BeaconPoint{{Drand: "unknown"}},
		Policy: Policy{
			SupportedSealProofs:     append([]abi.RegisteredSealProof(nil), np.SupportedSealProofs...),
			ConsensusMinerMinPower:  np.ConsensusMinerMinPower,
			PreCommitChallengeDelay: np.PreCommitChallengeDelay,
		},
	}
	for _, u := range table()[0].Upgrades {
		if h, ok := np.Upgrades[u.Codename]; ok {
			p.Upgrades = append(p.Upgrades, Upgrade{Codename: u.Codename, NetworkVersion: u.NetworkVersion, Height: h})
			// A node does not report its genesis version; a devnet build
			// starts at the newest version whose upgrade it puts before
			// genesis (Lotus's 2k build: every upgrade there, genesis at
			// the newest).
			if h < 0 && u.NetworkVersion > p.GenesisNetworkVersion {
				p.GenesisNetworkVersion = u.NetworkVersion
			}
		}
	}
	return p
}
