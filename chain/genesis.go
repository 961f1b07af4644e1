package chain

import (
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/networks"
)

// GenesisNetwork names the network whose genesis block is c, when it is
// one the networks table knows.
func GenesisNetwork(c cid.Cid) (string, bool) {
	p, ok := networks.ByGenesis(c.String())
	return p.Name, ok
}

// Profile is the network a node describes: the table's row when its name
// is known, else a devnet row made from these parameters.
func (p *NetworkParams) Profile() networks.Profile {
	f := p.ForkUpgradeParams
	var minPower int64
	if p.ConsensusMinerMinPower.Int != nil {
		minPower = p.ConsensusMinerMinPower.Int64()
	}
	heights := networks.Heights{
		"breeze": f.UpgradeBreezeHeight, "smoke": f.UpgradeSmokeHeight, "ignition": f.UpgradeIgnitionHeight,
		"refuel": f.UpgradeRefuelHeight, "actorsv2": f.UpgradeAssemblyHeight, "tape": f.UpgradeTapeHeight,
		"liftoff": f.UpgradeLiftoffHeight, "kumquat": f.UpgradeKumquatHeight, "calico": f.UpgradeCalicoHeight,
		"persian": f.UpgradePersianHeight, "orange": f.UpgradeOrangeHeight, "claus": f.UpgradeClausHeight,
		"trust": f.UpgradeTrustHeight, "norwegian": f.UpgradeNorwegianHeight, "turbo": f.UpgradeTurboHeight,
		"hyperdrive": f.UpgradeHyperdriveHeight, "chocolate": f.UpgradeChocolateHeight, "ohsnap": f.UpgradeOhSnapHeight,
	}
	for codename, h := range map[string]*abi.ChainEpoch{"skyr": f.UpgradeSkyrHeight, "shark": f.UpgradeSharkHeight, "hygge": f.UpgradeHyggeHeight} {
		if h != nil {
			heights[codename] = *h
		}
	}
	return networks.FromNodeParams(networks.NodeParams{
		Name:                    p.NetworkName,
		BlockDelaySecs:          p.BlockDelaySecs,
		ConsensusMinerMinPower:  minPower,
		SupportedSealProofs:     p.SupportedProofTypes,
		PreCommitChallengeDelay: p.PreCommitChallengeDelay,
		Upgrades:                heights,
	})
}
