package statediff

import (
	"fmt"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	builtin6 "github.com/filecoin-project/specs-actors/v6/actors/builtin"
	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	"github.com/ipfs/go-cid"
)

// actorKind names a builtin actor type the way its code CID does
// ("fil/<version>/<kind>").
type actorKind string

const (
	kindSystem   actorKind = "system"
	kindInit     actorKind = "init"
	kindReward   actorKind = "reward"
	kindCron     actorKind = "cron"
	kindPower    actorKind = "storagepower"
	kindMarket   actorKind = "storagemarket"
	kindMiner    actorKind = "storageminer"
	kindMultisig actorKind = "multisig"
	kindPaych    actorKind = "paymentchannel"
	kindVerifreg actorKind = "verifiedregistry"
	kindAccount  actorKind = "account"
)

// codeInfo is what a code CID tells about an actor. version is the
// specs-actors major version; 0 stands for v0.9.
type codeInfo struct {
	kind    actorKind
	version int
}

func (ci codeInfo) String() string {
	if ci.version == 0 {
		return fmt.Sprintf("%s v0.9", ci.kind)
	}
	return fmt.Sprintf("%s v%d", ci.kind, ci.version)
}

// codeSet lists one actors version's code CIDs.
type codeSet struct {
	version                                       int
	system, init, reward, cron, power, market     cid.Cid
	miner, multisig, paych, verifreg, accountCode cid.Cid
}

// codeTable maps every builtin code CID of actors v0.9 and v2..v7 to its
// kind and version. The CIDs come from specs-actors itself so the table
// cannot drift from the actors the VM runs.
func codeTable() map[cid.Cid]codeInfo {
	sets := []codeSet{
		{0, builtin0.SystemActorCodeID, builtin0.InitActorCodeID, builtin0.RewardActorCodeID, builtin0.CronActorCodeID, builtin0.StoragePowerActorCodeID, builtin0.StorageMarketActorCodeID,
			builtin0.StorageMinerActorCodeID, builtin0.MultisigActorCodeID, builtin0.PaymentChannelActorCodeID, builtin0.VerifiedRegistryActorCodeID, builtin0.AccountActorCodeID},
		{2, builtin2.SystemActorCodeID, builtin2.InitActorCodeID, builtin2.RewardActorCodeID, builtin2.CronActorCodeID, builtin2.StoragePowerActorCodeID, builtin2.StorageMarketActorCodeID,
			builtin2.StorageMinerActorCodeID, builtin2.MultisigActorCodeID, builtin2.PaymentChannelActorCodeID, builtin2.VerifiedRegistryActorCodeID, builtin2.AccountActorCodeID},
		{3, builtin3.SystemActorCodeID, builtin3.InitActorCodeID, builtin3.RewardActorCodeID, builtin3.CronActorCodeID, builtin3.StoragePowerActorCodeID, builtin3.StorageMarketActorCodeID,
			builtin3.StorageMinerActorCodeID, builtin3.MultisigActorCodeID, builtin3.PaymentChannelActorCodeID, builtin3.VerifiedRegistryActorCodeID, builtin3.AccountActorCodeID},
		{4, builtin4.SystemActorCodeID, builtin4.InitActorCodeID, builtin4.RewardActorCodeID, builtin4.CronActorCodeID, builtin4.StoragePowerActorCodeID, builtin4.StorageMarketActorCodeID,
			builtin4.StorageMinerActorCodeID, builtin4.MultisigActorCodeID, builtin4.PaymentChannelActorCodeID, builtin4.VerifiedRegistryActorCodeID, builtin4.AccountActorCodeID},
		{5, builtin5.SystemActorCodeID, builtin5.InitActorCodeID, builtin5.RewardActorCodeID, builtin5.CronActorCodeID, builtin5.StoragePowerActorCodeID, builtin5.StorageMarketActorCodeID,
			builtin5.StorageMinerActorCodeID, builtin5.MultisigActorCodeID, builtin5.PaymentChannelActorCodeID, builtin5.VerifiedRegistryActorCodeID, builtin5.AccountActorCodeID},
		{6, builtin6.SystemActorCodeID, builtin6.InitActorCodeID, builtin6.RewardActorCodeID, builtin6.CronActorCodeID, builtin6.StoragePowerActorCodeID, builtin6.StorageMarketActorCodeID,
			builtin6.StorageMinerActorCodeID, builtin6.MultisigActorCodeID, builtin6.PaymentChannelActorCodeID, builtin6.VerifiedRegistryActorCodeID, builtin6.AccountActorCodeID},
		{7, builtin7.SystemActorCodeID, builtin7.InitActorCodeID, builtin7.RewardActorCodeID, builtin7.CronActorCodeID, builtin7.StoragePowerActorCodeID, builtin7.StorageMarketActorCodeID,
			builtin7.StorageMinerActorCodeID, builtin7.MultisigActorCodeID, builtin7.PaymentChannelActorCodeID, builtin7.VerifiedRegistryActorCodeID, builtin7.AccountActorCodeID},
	}
	t := make(map[cid.Cid]codeInfo, len(sets)*11)
	for _, s := range sets {
		for k, c := range map[actorKind]cid.Cid{
			kindSystem: s.system, kindInit: s.init, kindReward: s.reward, kindCron: s.cron,
			kindPower: s.power, kindMarket: s.market, kindMiner: s.miner, kindMultisig: s.multisig,
			kindPaych: s.paych, kindVerifreg: s.verifreg, kindAccount: s.accountCode,
		} {
			t[c] = codeInfo{kind: k, version: s.version}
		}
	}
	return t
}
