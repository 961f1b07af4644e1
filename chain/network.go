package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
)

// NetworkParams is what a Lotus node's StateGetNetworkParams reports (its
// JSON form is Lotus v1.15's): the network's name, block time, the actor
// policy a build sets (supported seal proofs, minimum miner power,
// pre-commit challenge delay) and its upgrade heights. A negative height
// means the upgrade is in force from genesis.
type NetworkParams struct {
	NetworkName             string
	BlockDelaySecs          uint64
	ConsensusMinerMinPower  abi.StoragePower
	SupportedProofTypes     []abi.RegisteredSealProof
	PreCommitChallengeDelay abi.ChainEpoch
	ForkUpgradeParams       ForkUpgradeParams
}

// ForkUpgradeParams are the upgrade heights of NetworkParams, named as
// Lotus names them.
type ForkUpgradeParams struct {
	UpgradeSmokeHeight         abi.ChainEpoch
	UpgradeBreezeHeight        abi.ChainEpoch
	UpgradeIgnitionHeight      abi.ChainEpoch
	UpgradeLiftoffHeight       abi.ChainEpoch
	UpgradeAssemblyHeight      abi.ChainEpoch
	UpgradeRefuelHeight        abi.ChainEpoch
	UpgradeTapeHeight          abi.ChainEpoch
	UpgradeKumquatHeight       abi.ChainEpoch
	UpgradePriceListOopsHeight abi.ChainEpoch
	BreezeGasTampingDuration   abi.ChainEpoch
	UpgradeCalicoHeight        abi.ChainEpoch
	UpgradePersianHeight       abi.ChainEpoch
	UpgradeOrangeHeight        abi.ChainEpoch
	UpgradeClausHeight         abi.ChainEpoch
	UpgradeTrustHeight         abi.ChainEpoch
	UpgradeNorwegianHeight     abi.ChainEpoch
	UpgradeTurboHeight         abi.ChainEpoch
	UpgradeHyperdriveHeight    abi.ChainEpoch
	UpgradeChocolateHeight     abi.ChainEpoch
	UpgradeOhSnapHeight        abi.ChainEpoch
	// The FVM upgrades' heights, which nodes from Lotus v1.16 on report
	// (nil when the node does not: it knows no such upgrade).
	UpgradeSkyrHeight  *abi.ChainEpoch `json:",omitempty"`
	UpgradeSharkHeight *abi.ChainEpoch `json:",omitempty"`
	UpgradeHyggeHeight *abi.ChainEpoch `json:",omitempty"`
}

// networkAsker is a source that can say its network itself (a node).
type networkAsker interface {
	NetworkName(ctx context.Context) (string, error)
}

// NetworkName says which network a source's chain belongs to: a node's
// answer (StateNetworkName), else the network whose genesis block the
// chain descends from, when the source holds the genesis header and it is
// one tvx knows (GenesisNetwork). Otherwise the error wraps
// ErrUnavailable: the caller must be told (--network).
func NetworkName(ctx context.Context, src Source) (string, error) {
	if a, ok := src.(networkAsker); ok {
		return a.NetworkName(ctx)
	}
	gen, _, err := src.TipSetByHeight(ctx, 0, EmptyTipSetKey)
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("network name: the chain does not reach its genesis: %w", ErrUnavailable)
	}
	if err != nil {
		return "", fmt.Errorf("network name: %w", err)
	}
	if gen.Height() != 0 {
		return "", fmt.Errorf("network name: no genesis tipset: %w", ErrUnavailable)
	}
	n, ok := GenesisNetwork(gen.Cids()[0])
	if !ok {
		return "", fmt.Errorf("network name: genesis %s is not one tvx knows: %w", gen.Cids()[0], ErrUnavailable)
	}
	return n, nil
}

// NetworkName calls StateNetworkName; an empty name is ErrUnavailable.
func (c *Client) NetworkName(ctx context.Context) (string, error) {
	n, err := c.api.StateNetworkName(ctx)
	if err != nil {
		return "", fmt.Errorf("StateNetworkName: %w", err)
	}
	if n == "" {
		return "", fmt.Errorf("StateNetworkName: empty name: %w", ErrUnavailable)
	}
	return n, nil
}

// NetworkParams calls StateGetNetworkParams.
func (c *Client) NetworkParams(ctx context.Context) (*NetworkParams, error) {
	p, err := c.api.StateGetNetworkParams(ctx)
	if err != nil {
		return nil, fmt.Errorf("StateGetNetworkParams: %w", err)
	}
	return nonNil("StateGetNetworkParams", p)
}
