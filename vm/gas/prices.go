package gas

import (
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
)

// The price lists below are the protocol's constants; they are never written.
var (
	genesisPrices = &PriceList{
		era:          "genesis",
		storageMulti: 1000,

		onChainMessageCompute:     38863,
		onChainMessageStorageBase: 36,
		onChainMessagePerByte:     1,
		onChainReturnPerByte:      1,

		sendBase:             29233,
		sendTransferFunds:    27500,
		sendTransferOnlyPrem: 159672,
		sendInvokeMethod:     -5377,

		ipldGetBase:    75242,
		ipldPutBase:    84070,
		ipldPutPerByte: 1,

		createActorCompute: 1108454,
		createActorStorage: 36 + 40,
		deleteActor:        -(36 + 40),

		verifySecp256k1: 1637292,
		verifyBLS:       16598605,

		hashingBase:            31355,
		computeUnsealedCIDBase: 98647,
		verifySealBase:         2000,
		verifyPost: []postPrice{
			{abi.RegisteredPoStProof_StackedDrgWindow512MiBV1, scaling{123861062, 9226981}},
			{abi.RegisteredPoStProof_StackedDrgWindow32GiBV1, scaling{748593537, 85639}},
			{abi.RegisteredPoStProof_StackedDrgWindow64GiBV1, scaling{748593537, 85639}},
		},
		verifyPostFallback:   abi.RegisteredPoStProof_StackedDrgWindow512MiBV1,
		verifyPostHalved:     true,
		verifyConsensusFault: 495422,

		batchVerifySealsVirtual:  scaling{899741502, 15075005},
		ipldGetVirtualCompute:    114617,
		ipldPutVirtualCompute:    400000,
		ipldPutVirtualPerByte:    1300,
		verifyPostVirtualScaling: scaling{117680921, 43780},
	}

	calicoPrices = &PriceList{
		era:          "calico",
		storageMulti: 1300,

		onChainMessageCompute:     38863,
		onChainMessageStorageBase: 36,
		onChainMessagePerByte:     1,
		onChainReturnPerByte:      1,

		sendBase:             29233,
		sendTransferFunds:    27500,
		sendTransferOnlyPrem: 159672,
		sendInvokeMethod:     -5377,

		ipldGetBase:    114617,
		ipldPutBase:    353640,
		ipldPutPerByte: 1,

		createActorCompute: 1108454,
		createActorStorage: 36 + 40,
		deleteActor:        -(36 + 40),

		verifySecp256k1: 1637292,
		verifyBLS:       16598605,

		hashingBase:            31355,
		computeUnsealedCIDBase: 98647,
		verifySealBase:         2000,
		verifyPost: []postPrice{
			{abi.RegisteredPoStProof_StackedDrgWindow512MiBV1, scaling{117680921, 43780}},
			{abi.RegisteredPoStProof_StackedDrgWindow32GiBV1, scaling{117680921, 43780}},
			{abi.RegisteredPoStProof_StackedDrgWindow64GiBV1, scaling{117680921, 43780}},
		},
		verifyPostFallback:   abi.RegisteredPoStProof_StackedDrgWindow512MiBV1,
		verifyConsensusFault: 495422,
		verifyReplicaUpdate:  36316136,
		verifyAggregateSeal: []sealAggPrice{
			{abi.RegisteredSealProof_StackedDrg32GiBV1_1, 449900, []step{
				{4, 103994170}, {7, 112356810}, {13, 122912610}, {26, 137559930},
				{52, 162039100}, {103, 210960780}, {205, 318351180}, {410, 528274980},
			}},
			{abi.RegisteredSealProof_StackedDrg64GiBV1_1, 359272, []step{
				{4, 102581240}, {7, 110803030}, {13, 120803700}, {26, 134642130},
				{52, 157357890}, {103, 203017690}, {205, 304253590}, {410, 509880640},
			}},
		},
		verifyAggregateFallback: abi.RegisteredSealProof_StackedDrg32GiBV1_1,

		batchVerifySealsVirtual:  scaling{899741502, 15075005},
		ipldGetVirtualCompute:    114617,
		ipldPutVirtualCompute:    400000,
		ipldPutVirtualPerByte:    1300,
		verifyPostVirtualScaling: scaling{117680921, 43780},
	}
)

// ForEra returns the price list of the named era (see the protocol table's
// price eras). The list must not be modified.
func ForEra(era string) (*PriceList, error) {
	switch era {
	case genesisPrices.era:
		return genesisPrices, nil
	case calicoPrices.era:
		return calicoPrices, nil
	}
	return nil, fmt.Errorf("no price list for era %q", era)
}
