package statediff

import (
	"github.com/filecoin-project/go-bitfield"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/proof"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/protocol"
)

// decoder makes a fresh value to decode one CBOR object into.
type decoder = builtin.StateType

type cborPtr[T any] interface {
	*T
	cbg.CBORUnmarshaler
}

func dec[T any, P cborPtr[T]]() decoder {
	return func() cbg.CBORUnmarshaler { return P(new(T)) }
}

// unit says how a value that is a bare number or marker is shown.
type unit int

const (
	unitNone    unit = iota
	unitToken        // big.Int in attoFIL
	unitPower        // big.Int in bytes (or data cap)
	unitActorID      // integer actor ID, shown as an f0 address
	unitMember       // set membership: the value carries no information
)

// shape says how to read one CBOR value and which of its CID fields lead to
// further structures worth descending into.
type shape struct {
	decode decoder // nil: shown as raw CBOR (or per unit)
	unit   unit
	// via, when set, means the value itself is a CID naming another
	// structure (the multimap pattern: HAMT of AMTs or HAMT of sets).
	via *link
	// links maps a CID-valued field, named by its field path with indices
	// dropped (e.g. "Due" for Deadlines.Due[i]), to what it points at.
	links map[string]*link
}

type linkKind int

const (
	linkObject linkKind = iota
	linkHAMT
	linkAMT
)

func (k linkKind) String() string {
	switch k {
	case linkHAMT:
		return "HAMT"
	case linkAMT:
		return "AMT"
	}
	return "object"
}

// keyKind says how HAMT keys are encoded (AMT keys are always indices).
type keyKind int

const (
	keyIndex keyKind = iota // AMT index
	keyAddr                 // address bytes
	keyUint                 // unsigned varint (sector numbers, deal epochs, deal IDs)
	keyInt                  // signed varint (cron epochs, multisig transaction IDs)
	keyCID                  // CID bytes (pending deal proposals)
	keyRaw                  // anything else: shown in hex
)

type link struct {
	kind linkKind
	key  keyKind
	elem *shape
}

func object(s *shape) *link            { return &link{kind: linkObject, elem: s} }
func amtOf(s *shape) *link             { return &link{kind: linkAMT, key: keyIndex, elem: s} }
func hamtOf(k keyKind, s *shape) *link { return &link{kind: linkHAMT, key: k, elem: s} }

func structShape(d decoder, links map[string]*link) *shape {
	return &shape{decode: d, links: links}
}

func scalarShape(d decoder, u unit) *shape { return &shape{decode: d, unit: u} }

// actorTypes are one actors version's state types (package builtin's).
type actorTypes = builtin.StateTypes

// typesFor returns the state types of actors version v (0 = v0.9).
func typesFor(v int) (actorTypes, bool) { return builtin.StateTypesOf(protocol.ActorsVersion(v)) }

// stateShapes describes, for one actors version, each actor's state and the
// HAMTs, AMTs and linked objects the diff descends into. Field names that a
// given version lacks are simply never matched.
func stateShapes(t actorTypes) map[actorKind]*shape {
	token := scalarShape(dec[big.Int](), unitToken)
	dataCap := scalarShape(dec[big.Int](), unitPower)
	bits := scalarShape(dec[bitfield.BitField](), unitNone)
	member := &shape{unit: unitMember}
	struc := func(d decoder) *shape { return structShape(d, nil) }

	pending := member
	if t.PendingProposal != nil {
		pending = struc(t.PendingProposal)
	}
	partition := structShape(t.Partition, map[string]*link{
		"ExpirationsEpochs": amtOf(struc(t.ExpirationSet)),
		"EarlyTerminated":   amtOf(bits),
	})
	deadline := structShape(t.Deadline, map[string]*link{
		"Partitions":                        amtOf(partition),
		"ExpirationsEpochs":                 amtOf(bits),
		"OptimisticPoStSubmissions":         amtOf(struc(t.Post)),
		"PartitionsSnapshot":                amtOf(partition),
		"OptimisticPoStSubmissionsSnapshot": amtOf(struc(t.Post)),
		"SectorsSnapshot":                   amtOf(struc(t.Sector)),
	})

	return map[actorKind]*shape{
		kindSystem:  struc(t.System),
		kindAccount: struc(t.Account),
		kindCron:    struc(t.Cron),
		kindReward:  struc(t.Reward),
		kindInit: structShape(t.Init, map[string]*link{
			"AddressMap": hamtOf(keyAddr, scalarShape(dec[cbg.CborInt](), unitActorID)),
		}),
		kindPower: structShape(t.Power, map[string]*link{
			"Claims":               hamtOf(keyAddr, struc(t.Claim)),
			"CronEventQueue":       hamtOf(keyInt, &shape{via: amtOf(struc(t.CronEvent))}),
			"ProofValidationBatch": hamtOf(keyAddr, &shape{via: amtOf(struc(dec[proof.SealVerifyInfo]()))}),
		}),
		kindMarket: structShape(t.Market, map[string]*link{
			"Proposals":        amtOf(struc(t.Proposal)),
			"States":           amtOf(struc(t.DealState)),
			"PendingProposals": hamtOf(keyCID, pending),
			"EscrowTable":      hamtOf(keyAddr, token),
			"LockedTable":      hamtOf(keyAddr, token),
			"DealOpsByEpoch":   hamtOf(keyUint, &shape{via: hamtOf(keyUint, member)}),
			// v9+: the verified allocation of each pending deal.
			"PendingDealAllocationIds": hamtOf(keyUint, scalarShape(dec[cbg.CborInt](), unitNone)),
		}),
		kindMiner: structShape(t.Miner, map[string]*link{
			"Info":                       object(struc(t.MinerInfo)),
			"VestingFunds":               object(struc(t.Vesting)),
			"PreCommittedSectors":        hamtOf(keyUint, struc(t.Precommit)),
			"PreCommittedSectorsExpiry":  amtOf(bits),
			"PreCommittedSectorsCleanUp": amtOf(bits),
			"AllocatedSectors":           object(bits),
			"Sectors":                    amtOf(struc(t.Sector)),
			"Deadlines": object(structShape(t.Deadlines, map[string]*link{
				"Due": object(deadline),
			})),
		}),
		kindMultisig: structShape(t.Multisig, map[string]*link{
			"PendingTxns": hamtOf(keyInt, struc(t.Txn)),
		}),
		kindPaych: structShape(t.Paych, map[string]*link{
			"LaneStates": amtOf(struc(t.Lane)),
		}),
		kindVerifreg: structShape(t.Verifreg, map[string]*link{
			"Verifiers":                hamtOf(keyAddr, dataCap),
			"VerifiedClients":          hamtOf(keyAddr, dataCap),
			"RemoveDataCapProposalIDs": hamtOf(keyRaw, struc(t.RmDcProposal)),
			// Per client (or provider) actor ID, a HAMT by allocation (claim) ID.
			"Allocations": hamtOf(keyUint, &shape{via: hamtOf(keyUint, struc(t.Allocation))}),
			"Claims":      hamtOf(keyUint, &shape{via: hamtOf(keyUint, struc(t.AllocClaim))}),
		}),
		// Datacap balances are tokens of 10^18 units a byte, keyed by actor ID.
		kindDatacap: structShape(t.Datacap, map[string]*link{
			"Token.Balances":   hamtOf(keyUint, scalarShape(dec[big.Int](), unitNone)),
			"Token.Allowances": hamtOf(keyUint, &shape{via: hamtOf(keyUint, scalarShape(dec[big.Int](), unitNone))}),
		}),
		// The contract storage (ContractState) is a KAMT, shown by its root CID.
		kindEVM: struc(t.EVM),
	}
}
