package gas

// skyrPrices is the Skyr price list (network versions 16 and 17; ref-fvm
// v2, FIP-0032): the legacy VM's OhSnap prices carried into the FVM, with
// a flat syscall charge and storage priced through the storage multiplier.
type skyrPrices struct {
	storageGasMultiplier int64

	onChainMessageComputeBase    int64
	onChainMessageStorageBase    int64
	onChainMessageStoragePerByte int64
	onChainReturnValuePerByte    int64

	sendBase                int64
	sendTransferFunds       int64
	sendTransferOnlyPremium int64
	sendInvokeMethod        int64

	createActorCompute int64
	createActorStorage int64
	deleteActor        int64

	blsSigCost           int64
	secp256k1SigCost     int64
	secp256k1RecoverCost int64

	hashingBase int64
	proofPrices
	verifyConsensusFault int64

	getRandomnessBase    int64
	getRandomnessPerByte int64

	blockMemcpyPerByte       int64
	blockOpenBase            int64
	blockOpenMemretPerByte   int64
	blockLinkBase            int64
	blockLinkStoragePerByte  int64
	blockCreateBase          int64
	blockCreateMemretPerByte int64
	blockReadBase            int64
	blockStatBase            int64

	syscall int64
	extern  int64
}

// skyrTable is the Skyr price list. Prices left out are zero in the FVM's
// table too.
func skyrTable() skyrPrices {
	return skyrPrices{
		storageGasMultiplier: 1300,

		onChainMessageComputeBase:    g(38863),
		onChainMessageStorageBase:    g(36),
		onChainMessageStoragePerByte: g(1),
		onChainReturnValuePerByte:    g(1),

		sendBase:                g(29233),
		sendTransferFunds:       g(27500),
		sendTransferOnlyPremium: g(159672),
		sendInvokeMethod:        g(-5377),

		createActorCompute: g(1108454),
		createActorStorage: g(36 + 40),
		deleteActor:        g(-(36 + 40)),

		blsSigCost:           g(16598605),
		secp256k1SigCost:     g(1637292),
		secp256k1RecoverCost: g(1637292),

		hashingBase:          g(31355),
		proofPrices:          proofTable(),
		verifyConsensusFault: g(495422),

		blockMemcpyPerByte:       500,
		blockOpenBase:            g(114617),
		blockOpenMemretPerByte:   g(10),
		blockLinkBase:            g(353640),
		blockLinkStoragePerByte:  g(1),
		blockCreateMemretPerByte: g(10),

		syscall: g(14000),
		extern:  g(21000),
	}
}

// proofPrices are the proof-verification prices, the same in the Skyr and
// Hygge tables (only the consensus-fault check was re-priced).
type proofPrices struct {
	computeUnsealedSectorCidBase int64
	verifySealBase               int64
	verifyAggregateSealPer       map[int64]int64
	verifyAggregateSealSteps     map[int64][]Step
	verifyPost                   map[int64]Scaling
	verifyReplicaUpdate          int64
}

// proofTable returns the proof-verification prices of both FVM gas eras,
// built anew for each table.
func proofTable() proofPrices {
	return proofPrices{
		computeUnsealedSectorCidBase: g(98647),
		verifySealBase:               g(2000),
		verifyAggregateSealPer: map[int64]int64{
			sealStackedDRG32GiBV1P1: g(449900),
			sealStackedDRG64GiBV1P1: g(359272),
		},
		verifyAggregateSealSteps: map[int64][]Step{
			sealStackedDRG32GiBV1P1: {
				{4, g(103994170)}, {7, g(112356810)}, {13, g(122912610)}, {26, g(137559930)},
				{52, g(162039100)}, {103, g(210960780)}, {205, g(318351180)}, {410, g(528274980)},
			},
			sealStackedDRG64GiBV1P1: {
				{4, g(102581240)}, {7, g(110803030)}, {13, g(120803700)}, {26, g(134642130)},
				{52, g(157357890)}, {103, g(203017690)}, {205, g(304253590)}, {410, g(509880640)},
			},
		},
		verifyPost: map[int64]Scaling{
			postWindow512MiB: {g(117680921), g(43780)},
			postWindow32GiB:  {g(117680921), g(43780)},
			postWindow64GiB:  {g(117680921), g(43780)},
		},
		verifyReplicaUpdate: g(36316136),
	}
}
