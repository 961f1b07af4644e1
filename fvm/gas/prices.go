// Package gas holds the FVM's gas accounting: charges in milligas, the
// tracker that enforces a message's gas limit, and the price lists of the
// FVM gas eras as data — Skyr (network versions 16 and 17, FIP-0032;
// skyr.go) and Hygge (network version 18, FIP-0057; hygge.go) — with the
// charge functions the kernel calls (charges.go). Each era's Wasm
// instruction prices are in instructions.go.
package gas

import "fmt"

// Milli is the number of milligas in one unit of gas.
const Milli = 1000

// Charge is one gas charge: compute and storage ("other") parts in
// milligas, under the name the FVM's gas trace gives it.
type Charge struct {
	Name    string
	Compute int64
	Other   int64
}

// Total is the charge's milligas.
func (c Charge) Total() int64 { return c.Compute + c.Other }

func charge(name string, compute, other int64) Charge {
	return Charge{Name: name, Compute: compute, Other: other}
}

// g converts whole gas to milligas.
func g(gas int64) int64 { return gas * Milli }

// Era names an FVM gas era.
type Era string

// The FVM gas eras, named as the protocol table's Prices column names them.
const (
	Skyr  Era = "skyr"
	Hygge Era = "hygge"
)

// Scaling is a flat price plus a price per unit (byte, item), in milligas.
type Scaling struct {
	Flat, PerUnit int64
}

// Apply is the price of n units.
func (s Scaling) Apply(n int64) int64 { return s.Flat + s.PerUnit*n }

// Step is one band of a stepped price: from Start items on, Cost applies.
type Step struct {
	Start int64
	Cost  int64
}

// lookup is the cost of the last band starting at or below n (zero below
// the first).
func lookup(steps []Step, n int64) int64 {
	var c int64
	for _, s := range steps {
		if s.Start > n {
			break
		}
		c = s.Cost
	}
	return c
}

// Registered proof types (abi values) the proof prices are keyed by.
const (
	sealStackedDRG32GiBV1P1 = 8
	sealStackedDRG64GiBV1P1 = 9

	postWindow512MiB = 7
	postWindow32GiB  = 8
	postWindow64GiB  = 9
)

// Multihash codes of the hash functions actors may call (the FVM's
// supported hashes), by which Hygge prices hashing.
const (
	HashSha256     uint64 = 0x12
	HashKeccak256  uint64 = 0x1b
	HashRipemd160  uint64 = 0x1053
	HashBlake2b256 uint64 = 0xb220
	HashBlake2b512 uint64 = 0xb240
)

// Signature types (go-state-types crypto values) by which signature
// verification is priced.
const (
	SigSecp256k1 byte = 1
	SigBLS       byte = 2
)

// PriceList is one FVM gas era's price list: exactly one of the era
// tables is set, and the charge functions (charges.go) apply its formulas.
// A PriceList from ForEra is the caller's own; nothing else holds it.
type PriceList struct {
	Era Era
	// PreloadedActors are the actor IDs whose state access is free
	// (FIP-0055); empty in eras without state-access charges.
	PreloadedActors []uint64

	skyr  *skyrPrices
	hygge *hyggePrices
}

// ForEra returns a fresh copy of the price list of an FVM gas era, named
// as the protocol table names it ("skyr", "hygge").
func ForEra(era string) (*PriceList, error) {
	switch Era(era) {
	case Skyr:
		t := skyrTable()
		return &PriceList{Era: Skyr, skyr: &t}, nil
	case Hygge:
		t := hyggeTable()
		return &PriceList{Era: Hygge, PreloadedActors: append([]uint64(nil), t.preloadedActors...), hygge: &t}, nil
	}
	return nil, fmt.Errorf("no FVM price list for gas era %q", era)
}

// ChargesStateAccess reports whether the era charges for reading and
// writing actors in the state tree (OnActorLookup, OnActorUpdate; from
// Hygge), which the call manager then tracks per message.
func (p *PriceList) ChargesStateAccess() bool { return p.hygge != nil }
