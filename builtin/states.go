package builtin

import (
	cbg "github.com/whyrusleeping/cbor-gen"

	account10 "github.com/filecoin-project/go-state-types/builtin/v10/account"
	cron10 "github.com/filecoin-project/go-state-types/builtin/v10/cron"
	datacap10 "github.com/filecoin-project/go-state-types/builtin/v10/datacap"
	evm10 "github.com/filecoin-project/go-state-types/builtin/v10/evm"
	init10 "github.com/filecoin-project/go-state-types/builtin/v10/init"
	market10 "github.com/filecoin-project/go-state-types/builtin/v10/market"
	miner10 "github.com/filecoin-project/go-state-types/builtin/v10/miner"
	multisig10 "github.com/filecoin-project/go-state-types/builtin/v10/multisig"
	paych10 "github.com/filecoin-project/go-state-types/builtin/v10/paych"
	power10 "github.com/filecoin-project/go-state-types/builtin/v10/power"
	reward10 "github.com/filecoin-project/go-state-types/builtin/v10/reward"
	system10 "github.com/filecoin-project/go-state-types/builtin/v10/system"
	verifreg10 "github.com/filecoin-project/go-state-types/builtin/v10/verifreg"
	account8 "github.com/filecoin-project/go-state-types/builtin/v8/account"
	cron8 "github.com/filecoin-project/go-state-types/builtin/v8/cron"
	init8 "github.com/filecoin-project/go-state-types/builtin/v8/init"
	market8 "github.com/filecoin-project/go-state-types/builtin/v8/market"
	miner8 "github.com/filecoin-project/go-state-types/builtin/v8/miner"
	multisig8 "github.com/filecoin-project/go-state-types/builtin/v8/multisig"
	paych8 "github.com/filecoin-project/go-state-types/builtin/v8/paych"
	power8 "github.com/filecoin-project/go-state-types/builtin/v8/power"
	reward8 "github.com/filecoin-project/go-state-types/builtin/v8/reward"
	system8 "github.com/filecoin-project/go-state-types/builtin/v8/system"
	verifreg8 "github.com/filecoin-project/go-state-types/builtin/v8/verifreg"
	account9 "github.com/filecoin-project/go-state-types/builtin/v9/account"
	cron9 "github.com/filecoin-project/go-state-types/builtin/v9/cron"
	datacap9 "github.com/filecoin-project/go-state-types/builtin/v9/datacap"
	init9 "github.com/filecoin-project/go-state-types/builtin/v9/init"
	market9 "github.com/filecoin-project/go-state-types/builtin/v9/market"
	miner9 "github.com/filecoin-project/go-state-types/builtin/v9/miner"
	multisig9 "github.com/filecoin-project/go-state-types/builtin/v9/multisig"
	paych9 "github.com/filecoin-project/go-state-types/builtin/v9/paych"
	power9 "github.com/filecoin-project/go-state-types/builtin/v9/power"
	reward9 "github.com/filecoin-project/go-state-types/builtin/v9/reward"
	system9 "github.com/filecoin-project/go-state-types/builtin/v9/system"
	verifreg9 "github.com/filecoin-project/go-state-types/builtin/v9/verifreg"
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

	"github.com/tvx-project/tvx/protocol"
)

// StateType makes a fresh value to decode one state object into.
type StateType func() cbg.CBORUnmarshaler

type cborPtr[T any] interface {
	*T
	cbg.CBORUnmarshaler
}

func newState[T any, P cborPtr[T]]() StateType {
	return func() cbg.CBORUnmarshaler { return P(new(T)) }
}

// StateTypes gathers one actors version's state types, as constructors of
// a value to decode each into. A nil constructor means the type does not
// exist in that version.
type StateTypes struct {
	System, Account, Cron, Reward, Init StateType
	Power, Claim, CronEvent             StateType
	Market, Proposal, DealState         StateType
	PendingProposal                     StateType // nil: PendingProposals is a set of CIDs (v3+)
	Multisig, Txn                       StateType
	Paych, Lane                         StateType
	Verifreg, RmDcProposal              StateType
	Miner, MinerInfo, Precommit, Sector StateType
	Deadlines, Deadline, Partition      StateType
	ExpirationSet, Vesting, Post        StateType
	// From builtin-actors v9: verified allocations and claims, datacap.
	Allocation, AllocClaim, Datacap StateType
	EVM                             StateType // v10
}

// StateTypesOf returns the state types of actors version v (0 = v0.9):
// specs-actors' Go types up to v7, go-state-types' (which mirror the
// builtin-actors bundles' Rust layouts) from v8.
func StateTypesOf(v protocol.ActorsVersion) (StateTypes, bool) {
	if v >= 8 {
		return bundleStateTypes(v)
	}
	switch v {
	case 0:
		return StateTypes{
			System: newState[system0.State](), Account: newState[account0.State](), Cron: newState[cron0.State](), Reward: newState[reward0.State](), Init: newState[init0.State](),
			Power: newState[power0.State](), Claim: newState[power0.Claim](), CronEvent: newState[power0.CronEvent](),
			Market: newState[market0.State](), Proposal: newState[market0.DealProposal](), DealState: newState[market0.DealState](), PendingProposal: newState[market0.DealProposal](),
			Multisig: newState[multisig0.State](), Txn: newState[multisig0.Transaction](),
			Paych: newState[paych0.State](), Lane: newState[paych0.LaneState](),
			Verifreg: newState[verifreg0.State](),
			Miner:    newState[miner0.State](), MinerInfo: newState[miner0.MinerInfo](), Precommit: newState[miner0.SectorPreCommitOnChainInfo](), Sector: newState[miner0.SectorOnChainInfo](),
			Deadlines: newState[miner0.Deadlines](), Deadline: newState[miner0.Deadline](), Partition: newState[miner0.Partition](),
			ExpirationSet: newState[miner0.ExpirationSet](), Vesting: newState[miner0.VestingFunds](),
		}, true
	case 2:
		return StateTypes{
			System: newState[system2.State](), Account: newState[account2.State](), Cron: newState[cron2.State](), Reward: newState[reward2.State](), Init: newState[init2.State](),
			Power: newState[power2.State](), Claim: newState[power2.Claim](), CronEvent: newState[power2.CronEvent](),
			Market: newState[market2.State](), Proposal: newState[market2.DealProposal](), DealState: newState[market2.DealState](), PendingProposal: newState[market2.DealProposal](),
			Multisig: newState[multisig2.State](), Txn: newState[multisig2.Transaction](),
			Paych: newState[paych2.State](), Lane: newState[paych2.LaneState](),
			Verifreg: newState[verifreg2.State](),
			Miner:    newState[miner2.State](), MinerInfo: newState[miner2.MinerInfo](), Precommit: newState[miner2.SectorPreCommitOnChainInfo](), Sector: newState[miner2.SectorOnChainInfo](),
			Deadlines: newState[miner2.Deadlines](), Deadline: newState[miner2.Deadline](), Partition: newState[miner2.Partition](),
			ExpirationSet: newState[miner2.ExpirationSet](), Vesting: newState[miner2.VestingFunds](),
		}, true
	case 3:
		return StateTypes{
			System: newState[system3.State](), Account: newState[account3.State](), Cron: newState[cron3.State](), Reward: newState[reward3.State](), Init: newState[init3.State](),
			Power: newState[power3.State](), Claim: newState[power3.Claim](), CronEvent: newState[power3.CronEvent](),
			Market: newState[market3.State](), Proposal: newState[market3.DealProposal](), DealState: newState[market3.DealState](),
			Multisig: newState[multisig3.State](), Txn: newState[multisig3.Transaction](),
			Paych: newState[paych3.State](), Lane: newState[paych3.LaneState](),
			Verifreg: newState[verifreg3.State](),
			Miner:    newState[miner3.State](), MinerInfo: newState[miner3.MinerInfo](), Precommit: newState[miner3.SectorPreCommitOnChainInfo](), Sector: newState[miner3.SectorOnChainInfo](),
			Deadlines: newState[miner3.Deadlines](), Deadline: newState[miner3.Deadline](), Partition: newState[miner3.Partition](),
			ExpirationSet: newState[miner3.ExpirationSet](), Vesting: newState[miner3.VestingFunds](), Post: newState[miner3.WindowedPoSt](),
		}, true
	case 4:
		return StateTypes{
			System: newState[system4.State](), Account: newState[account4.State](), Cron: newState[cron4.State](), Reward: newState[reward4.State](), Init: newState[init4.State](),
			Power: newState[power4.State](), Claim: newState[power4.Claim](), CronEvent: newState[power4.CronEvent](),
			Market: newState[market4.State](), Proposal: newState[market4.DealProposal](), DealState: newState[market4.DealState](),
			Multisig: newState[multisig4.State](), Txn: newState[multisig4.Transaction](),
			Paych: newState[paych4.State](), Lane: newState[paych4.LaneState](),
			Verifreg: newState[verifreg4.State](),
			Miner:    newState[miner4.State](), MinerInfo: newState[miner4.MinerInfo](), Precommit: newState[miner4.SectorPreCommitOnChainInfo](), Sector: newState[miner4.SectorOnChainInfo](),
			Deadlines: newState[miner4.Deadlines](), Deadline: newState[miner4.Deadline](), Partition: newState[miner4.Partition](),
			ExpirationSet: newState[miner4.ExpirationSet](), Vesting: newState[miner4.VestingFunds](), Post: newState[miner4.WindowedPoSt](),
		}, true
	case 5:
		return StateTypes{
			System: newState[system5.State](), Account: newState[account5.State](), Cron: newState[cron5.State](), Reward: newState[reward5.State](), Init: newState[init5.State](),
			Power: newState[power5.State](), Claim: newState[power5.Claim](), CronEvent: newState[power5.CronEvent](),
			Market: newState[market5.State](), Proposal: newState[market5.DealProposal](), DealState: newState[market5.DealState](),
			Multisig: newState[multisig5.State](), Txn: newState[multisig5.Transaction](),
			Paych: newState[paych5.State](), Lane: newState[paych5.LaneState](),
			Verifreg: newState[verifreg5.State](),
			Miner:    newState[miner5.State](), MinerInfo: newState[miner5.MinerInfo](), Precommit: newState[miner5.SectorPreCommitOnChainInfo](), Sector: newState[miner5.SectorOnChainInfo](),
			Deadlines: newState[miner5.Deadlines](), Deadline: newState[miner5.Deadline](), Partition: newState[miner5.Partition](),
			ExpirationSet: newState[miner5.ExpirationSet](), Vesting: newState[miner5.VestingFunds](), Post: newState[miner5.WindowedPoSt](),
		}, true
	case 6:
		return StateTypes{
			System: newState[system6.State](), Account: newState[account6.State](), Cron: newState[cron6.State](), Reward: newState[reward6.State](), Init: newState[init6.State](),
			Power: newState[power6.State](), Claim: newState[power6.Claim](), CronEvent: newState[power6.CronEvent](),
			Market: newState[market6.State](), Proposal: newState[market6.DealProposal](), DealState: newState[market6.DealState](),
			Multisig: newState[multisig6.State](), Txn: newState[multisig6.Transaction](),
			Paych: newState[paych6.State](), Lane: newState[paych6.LaneState](),
			Verifreg: newState[verifreg6.State](),
			Miner:    newState[miner6.State](), MinerInfo: newState[miner6.MinerInfo](), Precommit: newState[miner6.SectorPreCommitOnChainInfo](), Sector: newState[miner6.SectorOnChainInfo](),
			Deadlines: newState[miner6.Deadlines](), Deadline: newState[miner6.Deadline](), Partition: newState[miner6.Partition](),
			ExpirationSet: newState[miner6.ExpirationSet](), Vesting: newState[miner6.VestingFunds](), Post: newState[miner6.WindowedPoSt](),
		}, true
	case 7:
		return StateTypes{
			System: newState[system7.State](), Account: newState[account7.State](), Cron: newState[cron7.State](), Reward: newState[reward7.State](), Init: newState[init7.State](),
			Power: newState[power7.State](), Claim: newState[power7.Claim](), CronEvent: newState[power7.CronEvent](),
			Market: newState[market7.State](), Proposal: newState[market7.DealProposal](), DealState: newState[market7.DealState](),
			Multisig: newState[multisig7.State](), Txn: newState[multisig7.Transaction](),
			Paych: newState[paych7.State](), Lane: newState[paych7.LaneState](),
			Verifreg: newState[verifreg7.State](), RmDcProposal: newState[verifreg7.RmDcProposalID](),
			Miner: newState[miner7.State](), MinerInfo: newState[miner7.MinerInfo](), Precommit: newState[miner7.SectorPreCommitOnChainInfo](), Sector: newState[miner7.SectorOnChainInfo](),
			Deadlines: newState[miner7.Deadlines](), Deadline: newState[miner7.Deadline](), Partition: newState[miner7.Partition](),
			ExpirationSet: newState[miner7.ExpirationSet](), Vesting: newState[miner7.VestingFunds](), Post: newState[miner7.WindowedPoSt](),
		}, true
	}
	return StateTypes{}, false
}

// bundleStateTypes returns the state types of a builtin-actors version (8 to
// 10), from go-state-types, which mirrors the bundles' Rust state layouts.
// The bundles add kinds the Go actors never had (datacap from v9; evm, eam,
// placeholder and ethaccount from v10; the last three keep no state worth
// decoding) and move verified data cap into datacap tokens and allocations.
func bundleStateTypes(v protocol.ActorsVersion) (StateTypes, bool) {
	switch v {
	case 8:
		return StateTypes{
			System: newState[system8.State](), Account: newState[account8.State](), Cron: newState[cron8.State](), Reward: newState[reward8.State](), Init: newState[init8.State](),
			Power: newState[power8.State](), Claim: newState[power8.Claim](), CronEvent: newState[power8.CronEvent](),
			Market: newState[market8.State](), Proposal: newState[market8.DealProposal](), DealState: newState[market8.DealState](),
			Multisig: newState[multisig8.State](), Txn: newState[multisig8.Transaction](),
			Paych: newState[paych8.State](), Lane: newState[paych8.LaneState](),
			Verifreg: newState[verifreg8.State](),
			Miner:    newState[miner8.State](), MinerInfo: newState[miner8.MinerInfo](), Precommit: newState[miner8.SectorPreCommitOnChainInfo](), Sector: newState[miner8.SectorOnChainInfo](),
			Deadlines: newState[miner8.Deadlines](), Deadline: newState[miner8.Deadline](), Partition: newState[miner8.Partition](),
			ExpirationSet: newState[miner8.ExpirationSet](), Vesting: newState[miner8.VestingFunds](), Post: newState[miner8.WindowedPoSt](),
		}, true
	case 9:
		return StateTypes{
			System: newState[system9.State](), Account: newState[account9.State](), Cron: newState[cron9.State](), Reward: newState[reward9.State](), Init: newState[init9.State](),
			Power: newState[power9.State](), Claim: newState[power9.Claim](), CronEvent: newState[power9.CronEvent](),
			Market: newState[market9.State](), Proposal: newState[market9.DealProposal](), DealState: newState[market9.DealState](),
			Multisig: newState[multisig9.State](), Txn: newState[multisig9.Transaction](),
			Paych: newState[paych9.State](), Lane: newState[paych9.LaneState](),
			Verifreg: newState[verifreg9.State](), RmDcProposal: newState[verifreg9.RmDcProposalID](),
			Allocation: newState[verifreg9.Allocation](), AllocClaim: newState[verifreg9.Claim](),
			Datacap: newState[datacap9.State](),
			Miner:   newState[miner9.State](), MinerInfo: newState[miner9.MinerInfo](), Precommit: newState[miner9.SectorPreCommitOnChainInfo](), Sector: newState[miner9.SectorOnChainInfo](),
			Deadlines: newState[miner9.Deadlines](), Deadline: newState[miner9.Deadline](), Partition: newState[miner9.Partition](),
			ExpirationSet: newState[miner9.ExpirationSet](), Vesting: newState[miner9.VestingFunds](), Post: newState[miner9.WindowedPoSt](),
		}, true
	case 10:
		return StateTypes{
			System: newState[system10.State](), Account: newState[account10.State](), Cron: newState[cron10.State](), Reward: newState[reward10.State](), Init: newState[init10.State](),
			Power: newState[power10.State](), Claim: newState[power10.Claim](), CronEvent: newState[power10.CronEvent](),
			Market: newState[market10.State](), Proposal: newState[market10.DealProposal](), DealState: newState[market10.DealState](),
			Multisig: newState[multisig10.State](), Txn: newState[multisig10.Transaction](),
			Paych: newState[paych10.State](), Lane: newState[paych10.LaneState](),
			Verifreg: newState[verifreg10.State](), RmDcProposal: newState[verifreg10.RmDcProposalID](),
			Allocation: newState[verifreg10.Allocation](), AllocClaim: newState[verifreg10.Claim](),
			Datacap: newState[datacap10.State](),
			EVM:     newState[evm10.State](),
			Miner:   newState[miner10.State](), MinerInfo: newState[miner10.MinerInfo](), Precommit: newState[miner10.SectorPreCommitOnChainInfo](), Sector: newState[miner10.SectorOnChainInfo](),
			Deadlines: newState[miner10.Deadlines](), Deadline: newState[miner10.Deadline](), Partition: newState[miner10.Partition](),
			ExpirationSet: newState[miner10.ExpirationSet](), Vesting: newState[miner10.VestingFunds](), Post: newState[miner10.WindowedPoSt](),
		}, true
	}
	return StateTypes{}, false
}
