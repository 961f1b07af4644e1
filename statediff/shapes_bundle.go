package statediff

import (
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
)

// bundleTypes returns the state types of a builtin-actors version (8 to
// 10), from go-state-types, which mirrors the bundles' Rust state layouts.
// The bundles add kinds the Go actors never had (datacap from v9; evm, eam,
// placeholder and ethaccount from v10; the last three keep no state worth
// decoding) and move verified data cap into datacap tokens and allocations.
func bundleTypes(v int) (actorTypes, bool) {
	switch v {
	case 8:
		return actorTypes{
			system: dec[system8.State](), account: dec[account8.State](), cron: dec[cron8.State](), reward: dec[reward8.State](), init: dec[init8.State](),
			power: dec[power8.State](), claim: dec[power8.Claim](), cronEvent: dec[power8.CronEvent](),
			market: dec[market8.State](), proposal: dec[market8.DealProposal](), dealState: dec[market8.DealState](),
			multisig: dec[multisig8.State](), txn: dec[multisig8.Transaction](),
			paych: dec[paych8.State](), lane: dec[paych8.LaneState](),
			verifreg: dec[verifreg8.State](),
			miner:    dec[miner8.State](), minerInfo: dec[miner8.MinerInfo](), precommit: dec[miner8.SectorPreCommitOnChainInfo](), sector: dec[miner8.SectorOnChainInfo](),
			deadlines: dec[miner8.Deadlines](), deadline: dec[miner8.Deadline](), partition: dec[miner8.Partition](),
			expirationSet: dec[miner8.ExpirationSet](), vesting: dec[miner8.VestingFunds](), post: dec[miner8.WindowedPoSt](),
		}, true
	case 9:
		return actorTypes{
			system: dec[system9.State](), account: dec[account9.State](), cron: dec[cron9.State](), reward: dec[reward9.State](), init: dec[init9.State](),
			power: dec[power9.State](), claim: dec[power9.Claim](), cronEvent: dec[power9.CronEvent](),
			market: dec[market9.State](), proposal: dec[market9.DealProposal](), dealState: dec[market9.DealState](),
			multisig: dec[multisig9.State](), txn: dec[multisig9.Transaction](),
			paych: dec[paych9.State](), lane: dec[paych9.LaneState](),
			verifreg: dec[verifreg9.State](), rmDcProposal: dec[verifreg9.RmDcProposalID](),
			allocation: dec[verifreg9.Allocation](), allocClaim: dec[verifreg9.Claim](),
			datacap: dec[datacap9.State](),
			miner:   dec[miner9.State](), minerInfo: dec[miner9.MinerInfo](), precommit: dec[miner9.SectorPreCommitOnChainInfo](), sector: dec[miner9.SectorOnChainInfo](),
			deadlines: dec[miner9.Deadlines](), deadline: dec[miner9.Deadline](), partition: dec[miner9.Partition](),
			expirationSet: dec[miner9.ExpirationSet](), vesting: dec[miner9.VestingFunds](), post: dec[miner9.WindowedPoSt](),
		}, true
	case 10:
		return actorTypes{
			system: dec[system10.State](), account: dec[account10.State](), cron: dec[cron10.State](), reward: dec[reward10.State](), init: dec[init10.State](),
			power: dec[power10.State](), claim: dec[power10.Claim](), cronEvent: dec[power10.CronEvent](),
			market: dec[market10.State](), proposal: dec[market10.DealProposal](), dealState: dec[market10.DealState](),
			multisig: dec[multisig10.State](), txn: dec[multisig10.Transaction](),
			paych: dec[paych10.State](), lane: dec[paych10.LaneState](),
			verifreg: dec[verifreg10.State](), rmDcProposal: dec[verifreg10.RmDcProposalID](),
			allocation: dec[verifreg10.Allocation](), allocClaim: dec[verifreg10.Claim](),
			datacap: dec[datacap10.State](),
			evm:     dec[evm10.State](),
			miner:   dec[miner10.State](), minerInfo: dec[miner10.MinerInfo](), precommit: dec[miner10.SectorPreCommitOnChainInfo](), sector: dec[miner10.SectorOnChainInfo](),
			deadlines: dec[miner10.Deadlines](), deadline: dec[miner10.Deadline](), partition: dec[miner10.Partition](),
			expirationSet: dec[miner10.ExpirationSet](), vesting: dec[miner10.VestingFunds](), post: dec[miner10.WindowedPoSt](),
		}, true
	}
	return actorTypes{}, false
}
