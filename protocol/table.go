package protocol

import (
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
)

// VMKind says which virtual machine executes messages after an upgrade.
type VMKind int

const (
	// LegacyVM is tvx's pre-FVM VM with the Go actors of specs-actors.
	LegacyVM VMKind = iota
	// FVM is the Filecoin Virtual Machine with Wasm builtin actors.
	FVM
)

func (k VMKind) String() string {
	if k == FVM {
		return "fvm"
	}
	return "legacy"
}

// Price eras: the names of vm/gas's price lists.
const (
	PricesGenesis = "genesis"
	PricesCalico  = "calico"
	PricesSkyr    = "skyr"
	PricesHygge   = "hygge"
)

// Upgrade is one row of a network's protocol table: an upgrade at height
// Epoch. The network runs the previous row's rules at Epoch itself (the
// state is migrated at the end of it) and this row's from Epoch+1; its
// price list, as the network priced gas, already applies at Epoch.
type Upgrade struct {
	Codename string
	Epoch    abi.ChainEpoch
	// Prices names the price list in force (a vm/gas era).
	Prices string
	VM     VMKind
	// FaultBlackout: consensus faults whose blocks lie within finality of
	// this upgrade (exclusive) are not accepted as evidence.
	FaultBlackout bool
	// Migration names the state migration the network ran at the end of
	// Epoch (package migration knows each by name), or is empty when the
	// upgrade changed rules only.
	Migration string
	// Surgery names the state edit the network's nodes made right after
	// the migration (package migration knows each by name), or is empty.
	Surgery string
	// Rules are the network version, actors and state-tree versions and
	// behaviour switches in force after the upgrade.
	Rules
}

// BeforeGenesis reports whether the upgrade's height is negative: the
// network started past it (Lotus's builds set such heights to say an
// upgrade is disabled). It never runs on the chain; whatever of it the
// network has, its genesis row already has. Lookups by epoch and by network
// version skip such rows.
func (u Upgrade) BeforeGenesis() bool { return u.Epoch < 0 }

// Table is one network's upgrade schedule, rows in activation order. A
// Table is immutable; it is passed to whatever needs protocol facts, so
// runs under different tables coexist in one process.
type Table struct {
	network  string
	upgrades []Upgrade
}

// NewTable returns the table of network named name. The rows must start
// with a genesis row at epoch 0 and name each codename once, and those the
// network runs (every row not BeforeGenesis) must run in non-decreasing
// epoch and network-version order. Rows before genesis may stand anywhere
// after the genesis row.
func NewTable(name string, rows []Upgrade) (*Table, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("protocol table %s: no rows", name)
	}
	if rows[0].Epoch != 0 {
		return nil, fmt.Errorf("protocol table %s: the first row (%s) is at %d, not genesis", name, rows[0].Codename, rows[0].Epoch)
	}
	seen := map[string]bool{}
	last := rows[0]
	for i, r := range rows {
		if r.Codename == "" || seen[r.Codename] {
			return nil, fmt.Errorf("protocol table %s: row %d: codename %q empty or repeated", name, i, r.Codename)
		}
		seen[r.Codename] = true
		if r.BeforeGenesis() {
			continue
		}
		if r.Epoch < last.Epoch || r.Version < last.Version {
			return nil, fmt.Errorf("protocol table %s: row %d (%s) goes back from %s", name, i, r.Codename, last.Codename)
		}
		last = r
	}
	return &Table{network: name, upgrades: append([]Upgrade(nil), rows...)}, nil
}

// run are the rows the network runs: every row not BeforeGenesis.
func (t *Table) run() []Upgrade {
	out := make([]Upgrade, 0, len(t.upgrades))
	for _, u := range t.upgrades {
		if !u.BeforeGenesis() {
			out = append(out, u)
		}
	}
	return out
}

// Network is the name of the network the table describes.
func (t *Table) Network() string { return t.network }

// Upgrades returns the rows in activation order (a copy).
func (t *Table) Upgrades() []Upgrade { return append([]Upgrade(nil), t.upgrades...) }

// ByCodename returns the upgrade named codename.
func (t *Table) ByCodename(codename string) (Upgrade, bool) {
	for _, u := range t.upgrades {
		if u.Codename == codename {
			return u, true
		}
	}
	return Upgrade{}, false
}

// Activation returns the first upgrade that brought network version nv
// (the genesis row when the network started at nv): the rules, and the
// price list, in force when nv activated. A version the network never ran
// (its upgrades all before genesis, and the genesis version newer) has
// none.
func (t *Table) Activation(nv network.Version) (Upgrade, bool) {
	for _, u := range t.run() {
		if u.Version == nv {
			return u, true
		}
	}
	return Upgrade{}, false
}

// Known reports whether the table has network version nv.
func (t *Table) Known(nv network.Version) bool {
	_, ok := t.Activation(nv)
	return ok
}

// MaxVersion is the newest network version the network runs.
func (t *Table) MaxVersion() network.Version {
	run := t.run()
	return run[len(run)-1].Version
}

// AtEpoch returns the upgrade whose rules the network runs at epoch: the
// last one it runs whose height is below it (the genesis row before any).
func (t *Table) AtEpoch(epoch abi.ChainEpoch) Upgrade {
	run := t.run()
	u := run[0]
	for _, r := range run[1:] {
		if r.Epoch < epoch {
			u = r
		}
	}
	return u
}

// PricesAt returns the price era the network charged at epoch: that of the
// last upgrade it runs at or below it. (A price change whose upgrade is
// before genesis never applies: Lotus keys price lists by height, and
// picks the newest at or below the epoch among those above genesis.)
func (t *Table) PricesAt(epoch abi.ChainEpoch) string {
	run := t.run()
	p := run[0].Prices
	for _, r := range run[1:] {
		if r.Epoch <= epoch {
			p = r.Prices
		}
	}
	return p
}

// Migrations returns the rows that carry a state migration, in order.
func (t *Table) Migrations() []Upgrade {
	var out []Upgrade
	for _, u := range t.upgrades {
		if u.Migration != "" {
			out = append(out, u)
		}
	}
	return out
}

// MigrationAt returns the upgrade at height epoch that carries a state
// migration, which the network ran at the end of that epoch.
func (t *Table) MigrationAt(epoch abi.ChainEpoch) (Upgrade, bool) {
	for _, u := range t.upgrades {
		if u.Epoch == epoch && u.Migration != "" {
			return u, true
		}
	}
	return Upgrade{}, false
}

// FollowsSchedule reports whether tipsets that start under network version
// nv at epoch run on this table's schedule, as the chain ran them: their
// messages come from the table's network (onChain) and the network ran nv
// at epoch. Such tipsets run every epoch under the version the table gives
// it (AtEpoch) and migrate the state at the end of each upgrade height with
// a migration; any other run keeps nv throughout and migrates nothing.
func (t *Table) FollowsSchedule(nv network.Version, epoch abi.ChainEpoch, onChain bool) bool {
	return onChain && t.InRange(nv, epoch)
}

// InRange reports whether the network ran version nv at epoch.
func (t *Table) InRange(nv network.Version, epoch abi.ChainEpoch) bool {
	return t.AtEpoch(epoch).Version == nv
}

// FaultBlackouts lists the heights of the upgrades around which consensus
// faults are not accepted, before-genesis heights included.
func (t *Table) FaultBlackouts() []abi.ChainEpoch {
	var out []abi.ChainEpoch
	for _, u := range t.upgrades {
		if u.FaultBlackout {
			out = append(out, u.Epoch)
		}
	}
	return out
}

// Protocol is what one execution runs under: the rules of an upgrade, the
// price era and the network's fault blackouts.
type Protocol struct {
	Upgrade
	// PriceEra names the price list to charge (a vm/gas era).
	PriceEra       string
	FaultBlackouts []abi.ChainEpoch
}

// Describes reports whether a vector's provenance network name (the X of
// a "network:X" generation entry) is this table's network: its name or, as
// older extractions recorded it, one of its upgrades' codenames.
func (t *Table) Describes(name string) bool {
	if name == "" {
		return false
	}
	if name == t.network {
		return true
	}
	_, ok := t.ByCodename(name)
	return ok
}

// Resolve chooses the protocol of network version nv at epoch. Two kinds of
// run, one rule each:
//
//   - onChain (the messages come from this table's network) and the network
//     ran nv at epoch: the network's own epoch-keyed protocol, exactly as
//     the chain ran it (at an upgrade's height the old version's rules
//     with the new price list).
//   - otherwise (a vector made off-chain, or an epoch nv never had on the
//     network): the rules and the price list in force when nv activated.
func (t *Table) Resolve(nv network.Version, epoch abi.ChainEpoch, onChain bool) (Protocol, error) {
	act, ok := t.Activation(nv)
	if !ok {
		return Protocol{}, fmt.Errorf("network version %d is not supported (%s knows 0..%d)", nv, t.network, t.MaxVersion())
	}
	if onChain && t.InRange(nv, epoch) {
		return Protocol{Upgrade: t.AtEpoch(epoch), PriceEra: t.PricesAt(epoch), FaultBlackouts: t.FaultBlackouts()}, nil
	}
	return Protocol{Upgrade: act, PriceEra: act.Prices, FaultBlackouts: t.FaultBlackouts()}, nil
}

// mainnetName is the name of mainnet's table, as vectors record it.
const mainnetName = "mainnet"

// Mainnet returns the mainnet protocol table of the pre-FVM network.
func Mainnet() *Table {
	rows := []Upgrade{
		{Codename: "genesis", Epoch: 0, Rules: rulesFor(0)},
		{Codename: "breeze", Epoch: 41280, Rules: rulesFor(1)},
		{Codename: "smoke", Epoch: 51000, Rules: rulesFor(2)},
		{Codename: "ignition", Epoch: 94000, Rules: rulesFor(3)},
		{Codename: "refuel", Epoch: 130800, Rules: rulesFor(3)},
		{Codename: "actorsv2", Epoch: 138720, Migration: "nv4", Rules: rulesFor(4)},
		{Codename: "tape", Epoch: 140760, Rules: rulesFor(5)},
		{Codename: "liftoff", Epoch: 148888, Rules: rulesFor(5)},
		{Codename: "kumquat", Epoch: 170000, Rules: rulesFor(6)},
		{Codename: "calico", Epoch: 265200, Migration: "nv7", Prices: PricesCalico, Rules: rulesFor(7)},
		{Codename: "persian", Epoch: 272400, Rules: rulesFor(8)},
		{Codename: "orange", Epoch: 336458, FaultBlackout: true, Rules: rulesFor(9)},
		{Codename: "claus", Epoch: 343200, Rules: burnExempt(rulesFor(9))},
		{Codename: "trust", Epoch: 550321, Migration: "nv10", Surgery: "terminate-zero-bls", Rules: burnExempt(rulesFor(10))},
		{Codename: "norwegian", Epoch: 665280, Rules: burnExempt(rulesFor(11))},
		{Codename: "turbo", Epoch: 712320, Migration: "nv12", Rules: burnExempt(rulesFor(12))},
		{Codename: "hyperdrive", Epoch: 892800, Migration: "nv13", Rules: rulesFor(13)},
		{Codename: "chocolate", Epoch: 1231620, Migration: "nv14", Rules: rulesFor(14)},
		{Codename: "ohsnap", Epoch: 1594680, Migration: "nv15", Rules: rulesFor(15)},
		// From Skyr on the network runs the FVM; the actors version is the
		// builtin-actors bundle's (package fvm/bundle) and the price lists
		// are the FVM's (fvm/gas).
		{Codename: "skyr", Epoch: 1960320, Prices: PricesSkyr, VM: FVM, Rules: fvmRules(16, 8, 4)},
		{Codename: "shark", Epoch: 2383680, VM: FVM, Rules: fvmRules(17, 9, 4)},
		{Codename: "hygge", Epoch: 2683348, Prices: PricesHygge, VM: FVM, Rules: fvmRules(18, 10, 5)},
	}
	// Rows inherit the price list of the row before unless they change it.
	for i := range rows {
		if rows[i].Prices == "" {
			rows[i].Prices = PricesGenesis
			if i > 0 {
				rows[i].Prices = rows[i-1].Prices
			}
		}
	}
	t, err := NewTable(mainnetName, rows)
	if err != nil {
		panic(err) // unreachable: the rows above are ordered
	}
	return t
}

// fvmRules are the rules of an FVM network version: nv15's switches (the
// FVM implements its own behaviour) with the bundle's actors version and
// the state-tree version.
func fvmRules(v network.Version, actors ActorsVersion, tree StateTreeVersion) Rules {
	r := rulesFor(network.Version15)
	r.Version, r.ActorsVersion, r.StateTreeVersion = v, actors, tree
	return r
}

func burnExempt(r Rules) Rules {
	r.WindowPoStBurnExemption = true
	return r
}

// rulesFor derives the rules of a pre-FVM network version from the versions
// at which each switch flipped, keeping each switch's history in one place.
func rulesFor(v network.Version) Rules {
	r := Rules{Version: v}
	switch {
	case v <= network.Version3:
		r.StateTreeVersion, r.ActorsVersion = 0, 0
	case v <= network.Version9:
		r.StateTreeVersion, r.ActorsVersion = 1, 2
	case v <= network.Version11:
		r.StateTreeVersion, r.ActorsVersion = 2, 3
	case v == network.Version12:
		r.StateTreeVersion, r.ActorsVersion = 3, 4
	case v == network.Version13:
		r.StateTreeVersion, r.ActorsVersion = 4, 5
	case v == network.Version14:
		r.StateTreeVersion, r.ActorsVersion = 4, 6
	default:
		r.StateTreeVersion, r.ActorsVersion = 4, 7
	}
	// Departures from Lotus v1.15.3, uniform across versions (see the
	// fields' comments and the package documentation).
	r.ActorPanicExit = exitcode.SysErrorIllegalActor
	r.PoliceAbortCodes = true
	r.CheckStateMutation = true
	r.RejectSelfBeneficiary = true

	r.ResolveReceiver = v >= network.Version4
	r.ParamsDecodeExit = exitcode.ErrSerialization
	if v < network.Version7 {
		r.ParamsDecodeExit = 1
	}
	r.CallDepthLimit = v >= network.Version6
	r.ForbidSendInTransaction = v >= network.Version7
	r.CheckCreateActorAddress = v >= network.Version7
	r.CheckDeleteBeneficiary = v >= network.Version7
	r.FaultFinalityLimit = v >= network.Version7
	r.RejectZeroBLSAccount = v >= network.Version10
	r.ForwardTicketRandomness = v >= network.Version13
	r.ForwardBeaconRandomness = v >= network.Version13
	r.SenderIDs = v >= network.Version13
	r.BeaconRoundRandomness = v >= network.Version14
	r.TransferChecksBalanceFirst = v >= network.Version15
	r.CircSupplyPerVM = v >= network.Version15
	return r
}
