// Package gas holds the FVM's gas accounting: charges in milligas, the
// tracker that enforces a message's gas limit, and the price lists of the
// FVM gas eras as data — Skyr (network versions 16 and 17, FIP-0032) and
// Hygge (network version 18, FIP-0057).
package gas

import "fmt"

// Milli is the number of milligas in one unit of gas.
const Milli = 1000

// Charge is one gas charge: compute and storage ("other") parts in milligas.
type Charge struct {
	Name    string
	Compute int64
	Other   int64
}

// Total is the charge's milligas.
func (c Charge) Total() int64 { return c.Compute + c.Other }

func charge(name string, compute, other int64) Charge {
	return Charge{Name: name, Compute: compute, Other: other}
}

// g converts whole gas to milligas.
func g(gas int64) int64 { return gas * Milli }

// step is one band of a stepped cost: from start items on, cost applies.
type step struct {
	start int64
	cost  int64
}

// scaling is a flat cost plus a cost per item.
type scaling struct {
	flat, scale int64
}

// Seal proof types the aggregate-seal prices are keyed by (abi values).
const (
	sealStackedDRG32GiBV1P1 = 8
	sealStackedDRG64GiBV1P1 = 9
)

// Era names an FVM gas era.
type Era string

// The FVM gas eras.
const (
	Skyr  Era = "skyr"
	Hygge Era = "hygge"
)

// PriceList is one era's prices, every field in milligas except the
// storage multiplier.
type PriceList struct {
	Era Era

	StorageGasMultiplier int64

	OnChainMessageComputeBase    int64
	OnChainMessageStorageBase    int64
	OnChainMessageStoragePerByte int64
	OnChainReturnValuePerByte    int64

	SendBase                int64
	SendTransferFunds       int64
	SendTransferOnlyPremium int64
	SendInvokeMethod        int64

	CreateActorCompute int64
	CreateActorStorage int64
	DeleteActor        int64

	BLSSigCost           int64
	Secp256k1SigCost     int64
	Secp256k1RecoverCost int64

	HashingBase                  int64
	ComputeUnsealedSectorCidBase int64
	VerifySealBase               int64
	VerifyAggregateSealPer       map[int64]int64
	VerifyAggregateSealSteps     map[int64][]step
	VerifyPostLookup             map[int64]scaling
	VerifyConsensusFault         int64
	VerifyReplicaUpdate          int64

	GetRandomnessBase    int64
	GetRandomnessPerByte int64

	BlockMemcpyPerByte       int64
	BlockOpenBase            int64
	BlockOpenMemretPerByte   int64
	BlockLinkBase            int64
	BlockLinkStoragePerByte  int64
	BlockCreateBase          int64
	BlockCreateMemretPerByte int64
	BlockReadBase            int64
	BlockStatBase            int64
	SyscallCost              int64
	ExternCost               int64
	ExecInstructionCost      int64

	// Hygge (FIP-0057) prices: state access is charged per actor and
	// address the first time a message touches it, memory by the byte.
	ActorLookup          int64
	ActorUpdate          int64
	ActorCreateStorage   int64
	AddressLookup        int64
	AddressAssignment    int64
	SigCost              map[byte]scaling
	HashingCost          map[uint64]scaling
	TipsetCidLatest      int64
	TipsetCidHistorical  int64
	GetRandomnessSeed    int64
	BlockAllocate        scaling
	BlockMemcpy          scaling
	BlockRetentionMin    scaling
	BlockOpen            scaling
	BlockPersistStorage  scaling
	BlockPersistCompute  int64
	EventValidation      scaling
	MemoryFillPerByte    int64
	OnChainMessageScaled scaling
	OnChainReturnScaled  scaling
	// PreloadedActors are the actor IDs whose state access is free
	// (FIP-0055).
	PreloadedActors []uint64
}

// window PoSt proof types (abi values) priced by VerifyPostLookup.
const (
	postWindow2KiB   = 5
	postWindow8MiB   = 6
	postWindow512MiB = 7
	postWindow32GiB  = 8
	postWindow64GiB  = 9
)

func skyr() *PriceList {
	return &PriceList{
		Era:                  Skyr,
		StorageGasMultiplier: 1300,

		OnChainMessageComputeBase:    g(38863),
		OnChainMessageStorageBase:    g(36),
		OnChainMessageStoragePerByte: g(1),
		OnChainReturnValuePerByte:    g(1),

		SendBase:                g(29233),
		SendTransferFunds:       g(27500),
		SendTransferOnlyPremium: g(159672),
		SendInvokeMethod:        g(-5377),

		CreateActorCompute: g(1108454),
		CreateActorStorage: g(36 + 40),
		DeleteActor:        g(-(36 + 40)),

		BLSSigCost:           g(16598605),
		Secp256k1SigCost:     g(1637292),
		Secp256k1RecoverCost: g(1637292),

		HashingBase:                  g(31355),
		ComputeUnsealedSectorCidBase: g(98647),
		VerifySealBase:               g(2000),
		VerifyAggregateSealPer: map[int64]int64{
			sealStackedDRG32GiBV1P1: g(449900),
			sealStackedDRG64GiBV1P1: g(359272),
		},
		VerifyAggregateSealSteps: map[int64][]step{
			sealStackedDRG32GiBV1P1: {
				{4, g(103994170)}, {7, g(112356810)}, {13, g(122912610)}, {26, g(137559930)},
				{52, g(162039100)}, {103, g(210960780)}, {205, g(318351180)}, {410, g(528274980)},
			},
			sealStackedDRG64GiBV1P1: {
				{4, g(102581240)}, {7, g(110803030)}, {13, g(120803700)}, {26, g(134642130)},
				{52, g(157357890)}, {103, g(203017690)}, {205, g(304253590)}, {410, g(509880640)},
			},
		},
		VerifyPostLookup: map[int64]scaling{
			postWindow512MiB: {g(117680921), g(43780)},
			postWindow32GiB:  {g(117680921), g(43780)},
			postWindow64GiB:  {g(117680921), g(43780)},
		},
		VerifyConsensusFault: g(495422),
		VerifyReplicaUpdate:  g(36316136),

		BlockMemcpyPerByte:       500,
		BlockOpenBase:            g(114617),
		BlockOpenMemretPerByte:   g(10),
		BlockLinkBase:            g(353640),
		BlockLinkStoragePerByte:  g(1),
		BlockCreateMemretPerByte: g(10),
		SyscallCost:              g(14000),
		ExternCost:               g(21000),
		ExecInstructionCost:      g(4),
	}
}

func hygge() *PriceList {
	p := skyr()
	p.Era = Hygge
	p.OnChainMessageComputeBase = g(38863)
	p.OnChainMessageScaled = scaling{g(36 * 1300), g(1300)}
	p.OnChainReturnScaled = scaling{0, g(1300)}
	p.SendTransferFunds = g(6000)
	p.SendInvokeMethod = g(75000)
	p.ActorLookup = g(500_000)
	p.ActorUpdate = g(475_000)
	p.ActorCreateStorage = g(650_000)
	p.AddressLookup = g(1_050_000)
	p.AddressAssignment = g(1_000_000)
	p.SigCost = map[byte]scaling{1: {g(1637292), g(10)}, 2: {g(16598605), g(26)}}
	p.HashingCost = map[uint64]scaling{
		0x12: {0, g(7)}, 0xb220: {0, g(10)}, 0xb240: {0, g(10)}, 0x1b: {0, g(33)}, 0x1053: {0, g(35)},
	}
	p.TipsetCidLatest = g(50_000)
	p.TipsetCidHistorical = g(215_000)
	p.VerifyConsensusFault = g(516422)
	p.GetRandomnessSeed = g(21000)
	p.BlockAllocate = scaling{0, g(2)}
	p.BlockMemcpy = scaling{0, 400}
	p.BlockRetentionMin = scaling{0, g(10)}
	p.BlockOpen = scaling{g(187440), 0}
	p.BlockPersistStorage = scaling{g(334000), g(3340)}
	p.BlockPersistCompute = g(172000)
	p.EventValidation = scaling{g(1750), g(25)}
	p.MemoryFillPerByte = 400
	p.PreloadedActors = []uint64{0, 1, 2, 3, 4, 5, 6, 7, 10, 99}
	return p
}

func (s scaling) apply(n int64) int64 { return s.flat + s.scale*n }

// ForEra returns a fresh copy of the price list of an FVM gas era, named
// as the protocol table names it ("skyr", "hygge").
func ForEra(era string) (*PriceList, error) {
	switch Era(era) {
	case Skyr:
		return skyr(), nil
	case Hygge:
		return hygge(), nil
	}
	return nil, fmt.Errorf("no FVM price list for gas era %q", era)
}

// OnChainMessage is the charge for including a message of size bytes.
func (p *PriceList) OnChainMessage(size int) Charge {
	if p.Era == Hygge {
		return charge("OnChainMessage", p.OnChainMessageComputeBase, p.ActorUpdate+p.OnChainMessageScaled.apply(int64(size)))
	}
	return charge("OnChainMessage", p.OnChainMessageComputeBase,
		(p.OnChainMessageStorageBase+p.OnChainMessageStoragePerByte*int64(size))*p.StorageGasMultiplier)
}

// OnChainReturnValue is the charge for a receipt's return value of size bytes.
func (p *PriceList) OnChainReturnValue(size int) Charge {
	if p.Era == Hygge {
		return charge("OnChainReturnValue", 0, p.OnChainReturnScaled.apply(int64(size)))
	}
	return charge("OnChainReturnValue", 0, p.OnChainReturnValuePerByte*int64(size)*p.StorageGasMultiplier)
}

// OnMethodInvocation is the charge for a send that transfers value (if
// non-zero) and invokes method (0 is a plain transfer).
func (p *PriceList) OnMethodInvocation(valueNonZero bool, method uint64) Charge {
	c := p.SendBase
	if valueNonZero {
		c += p.SendTransferFunds
		if method == 0 {
			c += p.SendTransferOnlyPremium
		}
	}
	if method != 0 {
		c += p.SendInvokeMethod
	}
	return charge("OnMethodInvocation", c, 0)
}

// OnSyscall is the flat charge of every syscall.
func (p *PriceList) OnSyscall() Charge { return charge("OnSyscall", p.SyscallCost, 0) }

// OnCreateActor is the charge for creating an actor.
func (p *PriceList) OnCreateActor() Charge {
	if p.Era == Hygge {
		return p.OnCreateActorHygge(false)
	}
	return charge("OnCreateActor", p.CreateActorCompute, p.CreateActorStorage*p.StorageGasMultiplier)
}

// OnDeleteActor is the charge (a refund) for deleting an actor.
func (p *PriceList) OnDeleteActor() Charge {
	if p.Era == Hygge {
		return charge("OnDeleteActor", 0, 0)
	}
	return charge("OnDeleteActor", 0, p.DeleteActor*p.StorageGasMultiplier)
}

// OnVerifySignature is the charge for verifying a signature of type sigType
// (1 secp256k1, 2 BLS) over plainLen bytes.
func (p *PriceList) OnVerifySignature(sigType byte, plainLen int) Charge {
	if p.Era == Hygge {
		return charge("OnVerifySignature", p.SigCost[sigType].apply(int64(plainLen)), 0)
	}
	c := p.Secp256k1SigCost
	if sigType == 2 {
		c = p.BLSSigCost
	}
	return charge("OnVerifySignature", c, 0)
}

// OnRecoverSecpPublicKey is the charge for recovering a secp256k1 key.
func (p *PriceList) OnRecoverSecpPublicKey() Charge {
	return charge("OnRecoverSecpPublicKey", p.Secp256k1RecoverCost, 0)
}

// OnHashing is the charge for hashing size bytes.
func (p *PriceList) OnHashing(size int) Charge { return charge("OnHashing", p.HashingBase, 0) }

// OnHashingWith is the charge for hashing size bytes with the multihash
// code (Hygge prices hashes per byte and per function).
func (p *PriceList) OnHashingWith(code uint64, size int) Charge {
	if p.Era == Hygge {
		return charge("OnHashing", p.HashingCost[code].apply(int64(size)), 0)
	}
	return p.OnHashing(size)
}

// OnComputeUnsealedSectorCid is the charge for computing an unsealed CID.
func (p *PriceList) OnComputeUnsealedSectorCid() Charge {
	return charge("OnComputeUnsealedSectorCid", p.ComputeUnsealedSectorCidBase, 0)
}

// OnVerifySeal is the charge for verifying one seal proof.
func (p *PriceList) OnVerifySeal() Charge { return charge("OnVerifySeal", p.VerifySealBase, 0) }

// OnVerifyAggregateSeals is the charge for an aggregate of n seal proofs of
// type sealProof; unknown types are priced as 32 GiB V1P1.
func (p *PriceList) OnVerifyAggregateSeals(sealProof int64, n int) Charge {
	per, ok := p.VerifyAggregateSealPer[sealProof]
	if !ok {
		per = p.VerifyAggregateSealPer[sealStackedDRG32GiBV1P1]
	}
	steps, ok := p.VerifyAggregateSealSteps[sealProof]
	if !ok {
		steps = p.VerifyAggregateSealSteps[sealStackedDRG32GiBV1P1]
	}
	var stepCost int64
	for _, s := range steps {
		if s.start > int64(n) {
			break
		}
		stepCost = s.cost
	}
	return charge("OnVerifyAggregateSeals", per*int64(n)+stepCost, 0)
}

// OnVerifyReplicaUpdate is the charge for verifying a replica update.
func (p *PriceList) OnVerifyReplicaUpdate() Charge {
	return charge("OnVerifyReplicaUpdate", p.VerifyReplicaUpdate, 0)
}

// OnVerifyPost is the charge for a window PoSt whose first proof has type
// postProof (-1 when there are none) over challenged sectors.
func (p *PriceList) OnVerifyPost(postProof int64, challenged int) Charge {
	cost, ok := p.VerifyPostLookup[postProof]
	if !ok {
		cost = p.VerifyPostLookup[postWindow512MiB]
	}
	return charge("OnVerifyPost", cost.flat+cost.scale*int64(challenged), 0)
}

// OnVerifyConsensusFault is the charge for the consensus-fault extern.
func (p *PriceList) OnVerifyConsensusFault() Charge {
	if p.Era == Hygge {
		return charge("OnVerifyConsensusFault", 0, p.VerifyConsensusFault)
	}
	return charge("OnVerifyConsensusFault", p.ExternCost+p.VerifyConsensusFault, 0)
}

// OnGetRandomness is the charge for a randomness request with entropyLen bytes.
func (p *PriceList) OnGetRandomness(entropyLen int) Charge {
	if p.Era == Hygge {
		// The seed plus hashing the DST, the 32-byte digest, the round and
		// the entropy.
		return charge("OnGetRandomness", 0, p.GetRandomnessSeed+p.HashingCost[0xb220].apply(int64(entropyLen)+8+32+8))
	}
	return charge("OnGetRandomness", p.ExternCost+p.GetRandomnessBase+p.GetRandomnessPerByte*int64(entropyLen), 0)
}

// OnBlockOpenBase is the fixed charge for opening a block.
func (p *PriceList) OnBlockOpenBase() Charge {
	if p.Era == Hygge {
		return charge("OnBlockOpenBase", 0, p.BlockOpen.flat)
	}
	return charge("OnBlockOpenBase", p.ExternCost+p.BlockOpenBase, 0)
}

// OnBlockOpenPerByte is the size-dependent charge for opening a block.
func (p *PriceList) OnBlockOpenPerByte(size int) Charge {
	n := int64(size)
	if p.Era == Hygge {
		compute := p.BlockAllocate.apply(n) + p.BlockMemcpy.apply(n)
		open := p.BlockOpen.scale * n
		surcharge := max(p.BlockRetentionMin.apply(n)-(compute+open), 0)
		return charge("OnBlockOpenPerByte", compute, open+surcharge)
	}
	return charge("OnBlockOpenPerByte", p.BlockOpenMemretPerByte*n+p.BlockMemcpyPerByte*n, 0)
}

// OnBlockRead is the charge for reading size bytes of a block.
func (p *PriceList) OnBlockRead(size int) Charge {
	if p.Era == Hygge {
		return charge("OnBlockRead", p.BlockMemcpy.apply(int64(size)), 0)
	}
	return charge("OnBlockRead", p.BlockReadBase+p.BlockMemcpyPerByte*int64(size), 0)
}

// OnBlockCreate is the charge for creating a block of size bytes.
func (p *PriceList) OnBlockCreate(size int) Charge {
	n := int64(size)
	if p.Era == Hygge {
		compute := p.BlockMemcpy.apply(n) + p.BlockAllocate.apply(n)
		return charge("OnBlockCreate", compute, max(p.BlockRetentionMin.apply(n)-compute, 0))
	}
	return charge("OnBlockCreate", p.BlockCreateBase+p.BlockCreateMemretPerByte*n+p.BlockMemcpyPerByte*n, 0)
}

// OnBlockLink is the charge for linking (storing) a block of size bytes:
// two copies (registry to buffer, buffer to store) and its storage.
func (p *PriceList) OnBlockLink(size int) Charge {
	n := int64(size)
	if p.Era == Hygge {
		compute := p.BlockMemcpy.apply(n) + p.BlockAllocate.apply(n) + p.HashingCost[0xb220].apply(n)
		return charge("OnBlockLink", compute, p.BlockPersistCompute+p.BlockPersistStorage.apply(n))
	}
	return charge("OnBlockLink", p.BlockLinkBase+2*p.BlockMemcpyPerByte*n, p.BlockLinkStoragePerByte*p.StorageGasMultiplier*n)
}

// OnBlockStat is the charge for a block stat.
func (p *PriceList) OnBlockStat() Charge { return charge("OnBlockStat", p.BlockStatBase, 0) }

// OnCreateActorHygge is Hygge's actor-creation charge; newAddress adds the
// assignment and lookup of a new address (creation on send).
func (p *PriceList) OnCreateActorHygge(newAddress bool) Charge {
	c := p.ActorCreateStorage
	if newAddress {
		c += p.AddressAssignment + p.AddressLookup
	}
	return charge("OnCreateActor", 0, c)
}

// OnValueTransfer is Hygge's charge for moving value in a send.
func (p *PriceList) OnValueTransfer() Charge {
	return charge("OnValueTransfer", p.SendTransferFunds, 0)
}

// OnInvokeMethod is Hygge's charge for invoking actor code.
func (p *PriceList) OnInvokeMethod() Charge {
	return charge("OnMethodInvocation", p.SendInvokeMethod, 0)
}

// OnActorLookup is Hygge's charge for a message's first read of an actor.
func (p *PriceList) OnActorLookup() Charge { return charge("OnActorLookup", 0, p.ActorLookup) }

// OnActorUpdate is Hygge's charge for a message's first write of an actor.
func (p *PriceList) OnActorUpdate() Charge { return charge("OnActorUpdate", 0, p.ActorUpdate) }

// OnResolveAddress is Hygge's (zero) charge for an address lookup.
func (p *PriceList) OnResolveAddress() Charge { return charge("OnResolveAddress", 0, 0) }
