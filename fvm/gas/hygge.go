package gas

// hyggePrices is the Hygge price list (network version 18; ref-fvm v3.0
// and v3.1, FIP-0057). Against Skyr it drops the storage multiplier from
// the table (storage prices are stated in gas directly), charges state
// access per actor and address the first time a message touches it,
// prices memory by the byte (allocation, copying and a retention minimum)
// and hashing and signatures by the byte and by function, and adds the
// event charges.
type hyggePrices struct {
	onChainMessageCompute Scaling
	onChainMessageStorage Scaling
	onChainReturnCompute  Scaling
	onChainReturnStorage  Scaling

	sendTransferFunds int64
	sendInvokeMethod  int64

	actorLookup        int64
	actorUpdate        int64
	actorCreateStorage int64
	addressLookup      int64
	addressAssignment  int64

	sigCost              map[byte]Scaling
	secp256k1RecoverCost int64
	hashing              map[uint64]Scaling

	tipsetCidLatest     int64
	tipsetCidHistorical int64

	proofPrices
	verifyConsensusFault int64

	getRandomnessSeed int64

	blockMemcpy           Scaling
	blockAllocate         Scaling
	blockRetentionMinimum Scaling
	blockOpen             Scaling
	blockPersistStorage   Scaling
	blockPersistCompute   int64

	syscall int64

	builtinActorManifestLookup int64
	networkContext             int64
	messageContext             int64

	eventValidation          Scaling
	eventAcceptPerIndexEntry Scaling

	preloadedActors []uint64
}

// hyggeTable is the Hygge price list.
func hyggeTable() hyggePrices {
	return hyggePrices{
		onChainMessageCompute: Scaling{g(38863), 0},
		onChainMessageStorage: Scaling{g(36 * 1300), g(1300)},
		onChainReturnStorage:  Scaling{0, g(1300)},

		sendTransferFunds: g(6000),
		sendInvokeMethod:  g(75000),

		actorLookup:        g(500_000),
		actorUpdate:        g(475_000),
		actorCreateStorage: g(650_000),
		addressLookup:      g(1_050_000),
		addressAssignment:  g(1_000_000),

		sigCost: map[byte]Scaling{
			SigSecp256k1: {g(1637292), g(10)},
			SigBLS:       {g(16598605), g(26)},
		},
		secp256k1RecoverCost: g(1637292),
		hashing: map[uint64]Scaling{
			HashSha256:     {0, g(7)},
			HashBlake2b256: {0, g(10)},
			HashBlake2b512: {0, g(10)},
			HashKeccak256:  {0, g(33)},
			HashRipemd160:  {0, g(35)},
		},

		tipsetCidLatest:     g(50_000),
		tipsetCidHistorical: g(215_000),

		proofPrices:          proofTable(),
		verifyConsensusFault: g(516422),

		getRandomnessSeed: g(21000),

		blockMemcpy:           Scaling{0, 400},
		blockAllocate:         Scaling{0, g(2)},
		blockRetentionMinimum: Scaling{0, g(10)},
		// Reading from the store is priced per block only: the per-byte
		// part is covered by the retention minimum.
		blockOpen:           Scaling{g(187440), 0},
		blockPersistStorage: Scaling{g(334000), g(3340)},
		blockPersistCompute: g(172000),

		syscall: g(14000),

		// Event validation is sized for EVM events; indexing is not yet
		// required of nodes, so it is free.
		eventValidation: Scaling{g(1750), g(25)},

		preloadedActors: []uint64{0, 1, 2, 3, 4, 5, 6, 7, 10, 99},
	}
}
