package statediff

import (
	"github.com/filecoin-project/go-bitfield"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/proof"
	cbg "github.com/whyrusleeping/cbor-gen"

	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	cron0 "github.com/filecoin-project/specs-actors/actors/builtin/cron"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	market0 "github.com/filecoin-project/specs-actors/actors/builtin/market"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	paych0 "github.com/filecoin-project/specs-actors/actors/builtin/paych"
	power0 "github.com/filecoin-project/specs-actors/actors/builtin/power"
	reward0 "github.com/filecoin-project/specs-actors/actors/builtin/reward"
	system0 "github.com/filecoin-project/specs-actors/actors/builtin/system"
	verifreg0 "github.com/filecoin-project/specs-actors/actors/builtin/verifreg"

	account2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/account"
	cron2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/cron"
	init2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/init"
	market2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/market"
	miner2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/miner"
	multisig2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/multisig"
	paych2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/paych"
	power2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/power"
	reward2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/reward"
	system2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/system"
	verifreg2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/verifreg"

	account3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/account"
	cron3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/cron"
	init3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/init"
	market3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/market"
	miner3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/miner"
	multisig3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/multisig"
	paych3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/paych"
	power3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/power"
	reward3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/reward"
	system3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/system"
	verifreg3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/verifreg"

	account4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/account"
	cron4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/cron"
	init4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/init"
	market4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/market"
	miner4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/miner"
	multisig4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/multisig"
	paych4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/paych"
	power4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/power"
	reward4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/reward"
	system4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/system"
	verifreg4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/verifreg"

	account5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/account"
	cron5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/cron"
	init5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/init"
	market5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/market"
	miner5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/miner"
	multisig5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/multisig"
	paych5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/paych"
	power5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/power"
	reward5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/reward"
	system5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/system"
	verifreg5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/verifreg"

	account6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/account"
	cron6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/cron"
	init6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/init"
	market6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/market"
	miner6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/miner"
	multisig6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/multisig"
	paych6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/paych"
	power6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/power"
	reward6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/reward"
	system6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/system"
	verifreg6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/verifreg"

	account7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/account"
	cron7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/cron"
	init7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/init"
	market7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/market"
	miner7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/miner"
	multisig7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/multisig"
	paych7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/paych"
	power7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/power"
	reward7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/reward"
	system7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/system"
	verifreg7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/verifreg"
)

// decoder makes a fresh value to decode one CBOR object into.
type decoder func() cbg.CBORUnmarshaler

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

// actorTypes gathers one actors version's state types. A nil decoder means
// the type does not exist in that version.
type actorTypes struct {
	system, account, cron, reward, init decoder
	power, claim, cronEvent             decoder
	market, proposal, dealState         decoder
	pendingProposal                     decoder // nil: PendingProposals is a set of CIDs (v3+)
	multisig, txn                       decoder
	paych, lane                         decoder
	verifreg, rmDcProposal              decoder
	miner, minerInfo, precommit, sector decoder
	deadlines, deadline, partition      decoder
	expirationSet, vesting, post        decoder
	// From builtin-actors v9: verified allocations and claims, datacap.
	allocation, allocClaim, datacap decoder
	evm                             decoder // v10
}

// typesFor returns the state types of actors version v (0 = v0.9).
func typesFor(v int) (actorTypes, bool) {
	if v >= 8 {
		return bundleTypes(v)
	}
	switch v {
	case 0:
		return actorTypes{
			system: dec[system0.State](), account: dec[account0.State](), cron: dec[cron0.State](), reward: dec[reward0.State](), init: dec[init0.State](),
			power: dec[power0.State](), claim: dec[power0.Claim](), cronEvent: dec[power0.CronEvent](),
			market: dec[market0.State](), proposal: dec[market0.DealProposal](), dealState: dec[market0.DealState](), pendingProposal: dec[market0.DealProposal](),
			multisig: dec[multisig0.State](), txn: dec[multisig0.Transaction](),
			paych: dec[paych0.State](), lane: dec[paych0.LaneState](),
			verifreg: dec[verifreg0.State](),
			miner:    dec[miner0.State](), minerInfo: dec[miner0.MinerInfo](), precommit: dec[miner0.SectorPreCommitOnChainInfo](), sector: dec[miner0.SectorOnChainInfo](),
			deadlines: dec[miner0.Deadlines](), deadline: dec[miner0.Deadline](), partition: dec[miner0.Partition](),
			expirationSet: dec[miner0.ExpirationSet](), vesting: dec[miner0.VestingFunds](),
		}, true
	case 2:
		return actorTypes{
			system: dec[system2.State](), account: dec[account2.State](), cron: dec[cron2.State](), reward: dec[reward2.State](), init: dec[init2.State](),
			power: dec[power2.State](), claim: dec[power2.Claim](), cronEvent: dec[power2.CronEvent](),
			market: dec[market2.State](), proposal: dec[market2.DealProposal](), dealState: dec[market2.DealState](), pendingProposal: dec[market2.DealProposal](),
			multisig: dec[multisig2.State](), txn: dec[multisig2.Transaction](),
			paych: dec[paych2.State](), lane: dec[paych2.LaneState](),
			verifreg: dec[verifreg2.State](),
			miner:    dec[miner2.State](), minerInfo: dec[miner2.MinerInfo](), precommit: dec[miner2.SectorPreCommitOnChainInfo](), sector: dec[miner2.SectorOnChainInfo](),
			deadlines: dec[miner2.Deadlines](), deadline: dec[miner2.Deadline](), partition: dec[miner2.Partition](),
			expirationSet: dec[miner2.ExpirationSet](), vesting: dec[miner2.VestingFunds](),
		}, true
	case 3:
		return actorTypes{
			system: dec[system3.State](), account: dec[account3.State](), cron: dec[cron3.State](), reward: dec[reward3.State](), init: dec[init3.State](),
			power: dec[power3.State](), claim: dec[power3.Claim](), cronEvent: dec[power3.CronEvent](),
			market: dec[market3.State](), proposal: dec[market3.DealProposal](), dealState: dec[market3.DealState](),
			multisig: dec[multisig3.State](), txn: dec[multisig3.Transaction](),
			paych: dec[paych3.State](), lane: dec[paych3.LaneState](),
			verifreg: dec[verifreg3.State](),
			miner:    dec[miner3.State](), minerInfo: dec[miner3.MinerInfo](), precommit: dec[miner3.SectorPreCommitOnChainInfo](), sector: dec[miner3.SectorOnChainInfo](),
			deadlines: dec[miner3.Deadlines](), deadline: dec[miner3.Deadline](), partition: dec[miner3.Partition](),
			expirationSet: dec[miner3.ExpirationSet](), vesting: dec[miner3.VestingFunds](), post: dec[miner3.WindowedPoSt](),
		}, true
	case 4:
		return actorTypes{
			system: dec[system4.State](), account: dec[account4.State](), cron: dec[cron4.State](), reward: dec[reward4.State](), init: dec[init4.State](),
			power: dec[power4.State](), claim: dec[power4.Claim](), cronEvent: dec[power4.CronEvent](),
			market: dec[market4.State](), proposal: dec[market4.DealProposal](), dealState: dec[market4.DealState](),
			multisig: dec[multisig4.State](), txn: dec[multisig4.Transaction](),
			paych: dec[paych4.State](), lane: dec[paych4.LaneState](),
			verifreg: dec[verifreg4.State](),
			miner:    dec[miner4.State](), minerInfo: dec[miner4.MinerInfo](), precommit: dec[miner4.SectorPreCommitOnChainInfo](), sector: dec[miner4.SectorOnChainInfo](),
			deadlines: dec[miner4.Deadlines](), deadline: dec[miner4.Deadline](), partition: dec[miner4.Partition](),
			expirationSet: dec[miner4.ExpirationSet](), vesting: dec[miner4.VestingFunds](), post: dec[miner4.WindowedPoSt](),
		}, true
	case 5:
		return actorTypes{
			system: dec[system5.State](), account: dec[account5.State](), cron: dec[cron5.State](), reward: dec[reward5.State](), init: dec[init5.State](),
			power: dec[power5.State](), claim: dec[power5.Claim](), cronEvent: dec[power5.CronEvent](),
			market: dec[market5.State](), proposal: dec[market5.DealProposal](), dealState: dec[market5.DealState](),
			multisig: dec[multisig5.State](), txn: dec[multisig5.Transaction](),
			paych: dec[paych5.State](), lane: dec[paych5.LaneState](),
			verifreg: dec[verifreg5.State](),
			miner:    dec[miner5.State](), minerInfo: dec[miner5.MinerInfo](), precommit: dec[miner5.SectorPreCommitOnChainInfo](), sector: dec[miner5.SectorOnChainInfo](),
			deadlines: dec[miner5.Deadlines](), deadline: dec[miner5.Deadline](), partition: dec[miner5.Partition](),
			expirationSet: dec[miner5.ExpirationSet](), vesting: dec[miner5.VestingFunds](), post: dec[miner5.WindowedPoSt](),
		}, true
	case 6:
		return actorTypes{
			system: dec[system6.State](), account: dec[account6.State](), cron: dec[cron6.State](), reward: dec[reward6.State](), init: dec[init6.State](),
			power: dec[power6.State](), claim: dec[power6.Claim](), cronEvent: dec[power6.CronEvent](),
			market: dec[market6.State](), proposal: dec[market6.DealProposal](), dealState: dec[market6.DealState](),
			multisig: dec[multisig6.State](), txn: dec[multisig6.Transaction](),
			paych: dec[paych6.State](), lane: dec[paych6.LaneState](),
			verifreg: dec[verifreg6.State](),
			miner:    dec[miner6.State](), minerInfo: dec[miner6.MinerInfo](), precommit: dec[miner6.SectorPreCommitOnChainInfo](), sector: dec[miner6.SectorOnChainInfo](),
			deadlines: dec[miner6.Deadlines](), deadline: dec[miner6.Deadline](), partition: dec[miner6.Partition](),
			expirationSet: dec[miner6.ExpirationSet](), vesting: dec[miner6.VestingFunds](), post: dec[miner6.WindowedPoSt](),
		}, true
	case 7:
		return actorTypes{
			system: dec[system7.State](), account: dec[account7.State](), cron: dec[cron7.State](), reward: dec[reward7.State](), init: dec[init7.State](),
			power: dec[power7.State](), claim: dec[power7.Claim](), cronEvent: dec[power7.CronEvent](),
			market: dec[market7.State](), proposal: dec[market7.DealProposal](), dealState: dec[market7.DealState](),
			multisig: dec[multisig7.State](), txn: dec[multisig7.Transaction](),
			paych: dec[paych7.State](), lane: dec[paych7.LaneState](),
			verifreg: dec[verifreg7.State](), rmDcProposal: dec[verifreg7.RmDcProposalID](),
			miner: dec[miner7.State](), minerInfo: dec[miner7.MinerInfo](), precommit: dec[miner7.SectorPreCommitOnChainInfo](), sector: dec[miner7.SectorOnChainInfo](),
			deadlines: dec[miner7.Deadlines](), deadline: dec[miner7.Deadline](), partition: dec[miner7.Partition](),
			expirationSet: dec[miner7.ExpirationSet](), vesting: dec[miner7.VestingFunds](), post: dec[miner7.WindowedPoSt](),
		}, true
	}
	return actorTypes{}, false
}

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
	if t.pendingProposal != nil {
		pending = struc(t.pendingProposal)
	}
	partition := structShape(t.partition, map[string]*link{
		"ExpirationsEpochs": amtOf(struc(t.expirationSet)),
		"EarlyTerminated":   amtOf(bits),
	})
	deadline := structShape(t.deadline, map[string]*link{
		"Partitions":                        amtOf(partition),
		"ExpirationsEpochs":                 amtOf(bits),
		"OptimisticPoStSubmissions":         amtOf(struc(t.post)),
		"PartitionsSnapshot":                amtOf(partition),
		"OptimisticPoStSubmissionsSnapshot": amtOf(struc(t.post)),
		"SectorsSnapshot":                   amtOf(struc(t.sector)),
	})

	return map[actorKind]*shape{
		kindSystem:  struc(t.system),
		kindAccount: struc(t.account),
		kindCron:    struc(t.cron),
		kindReward:  struc(t.reward),
		kindInit: structShape(t.init, map[string]*link{
			"AddressMap": hamtOf(keyAddr, scalarShape(dec[cbg.CborInt](), unitActorID)),
		}),
		kindPower: structShape(t.power, map[string]*link{
			"Claims":               hamtOf(keyAddr, struc(t.claim)),
			"CronEventQueue":       hamtOf(keyInt, &shape{via: amtOf(struc(t.cronEvent))}),
			"ProofValidationBatch": hamtOf(keyAddr, &shape{via: amtOf(struc(dec[proof.SealVerifyInfo]()))}),
		}),
		kindMarket: structShape(t.market, map[string]*link{
			"Proposals":        amtOf(struc(t.proposal)),
			"States":           amtOf(struc(t.dealState)),
			"PendingProposals": hamtOf(keyCID, pending),
			"EscrowTable":      hamtOf(keyAddr, token),
			"LockedTable":      hamtOf(keyAddr, token),
			"DealOpsByEpoch":   hamtOf(keyUint, &shape{via: hamtOf(keyUint, member)}),
			// v9+: the verified allocation of each pending deal.
			"PendingDealAllocationIds": hamtOf(keyUint, scalarShape(dec[cbg.CborInt](), unitNone)),
		}),
		kindMiner: structShape(t.miner, map[string]*link{
			"Info":                       object(struc(t.minerInfo)),
			"VestingFunds":               object(struc(t.vesting)),
			"PreCommittedSectors":        hamtOf(keyUint, struc(t.precommit)),
			"PreCommittedSectorsExpiry":  amtOf(bits),
			"PreCommittedSectorsCleanUp": amtOf(bits),
			"AllocatedSectors":           object(bits),
			"Sectors":                    amtOf(struc(t.sector)),
			"Deadlines": object(structShape(t.deadlines, map[string]*link{
				"Due": object(deadline),
			})),
		}),
		kindMultisig: structShape(t.multisig, map[string]*link{
			"PendingTxns": hamtOf(keyInt, struc(t.txn)),
		}),
		kindPaych: structShape(t.paych, map[string]*link{
			"LaneStates": amtOf(struc(t.lane)),
		}),
		kindVerifreg: structShape(t.verifreg, map[string]*link{
			"Verifiers":                hamtOf(keyAddr, dataCap),
			"VerifiedClients":          hamtOf(keyAddr, dataCap),
			"RemoveDataCapProposalIDs": hamtOf(keyRaw, struc(t.rmDcProposal)),
			// Per client (or provider) actor ID, a HAMT by allocation (claim) ID.
			"Allocations": hamtOf(keyUint, &shape{via: hamtOf(keyUint, struc(t.allocation))}),
			"Claims":      hamtOf(keyUint, &shape{via: hamtOf(keyUint, struc(t.allocClaim))}),
		}),
		// Datacap balances are tokens of 10^18 units a byte, keyed by actor ID.
		kindDatacap: structShape(t.datacap, map[string]*link{
			"Token.Balances":   hamtOf(keyUint, scalarShape(dec[big.Int](), unitNone)),
			"Token.Allowances": hamtOf(keyUint, &shape{via: hamtOf(keyUint, scalarShape(dec[big.Int](), unitNone))}),
		}),
		// The contract storage (ContractState) is a KAMT, shown by its root CID.
		kindEVM: struc(t.evm),
	}
}
