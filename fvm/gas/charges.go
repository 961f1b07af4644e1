package gas

// The charge functions: each prices one operation of the FVM under the
// era's table, named as the FVM's gas trace names it. A charge the era
// does not make is zero under its name (the FVM's Skyr kernel makes no
// state-access, context or event charges).

// OnChainMessage prices including a message of size bytes in a block (and,
// from Hygge, updating the sender's nonce and balance).
func (p *PriceList) OnChainMessage(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		return charge("OnChainMessage", h.onChainMessageCompute.Apply(n), h.actorUpdate+h.onChainMessageStorage.Apply(n))
	}
	s := p.skyr
	return charge("OnChainMessage", s.onChainMessageComputeBase,
		(s.onChainMessageStorageBase+s.onChainMessageStoragePerByte*n)*s.storageGasMultiplier)
}

// OnChainReturnValue prices keeping a receipt's return value of size bytes.
func (p *PriceList) OnChainReturnValue(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		return charge("OnChainReturnValue", h.onChainReturnCompute.Apply(n), h.onChainReturnStorage.Apply(n))
	}
	s := p.skyr
	return charge("OnChainReturnValue", 0, s.onChainReturnValuePerByte*n*s.storageGasMultiplier)
}

// OnMethodInvocation prices a Skyr send: its base, the value transfer (if
// valueNonZero; with a premium for a plain transfer, method 0) and the
// invocation of method. At Hygge a send is priced by OnValueTransfer and
// OnInvokeMethod instead, and this is OnInvokeMethod when method is not 0.
func (p *PriceList) OnMethodInvocation(valueNonZero bool, method uint64) Charge {
	if p.hygge != nil {
		if method == 0 {
			return charge("OnMethodInvocation", 0, 0)
		}
		return p.OnInvokeMethod()
	}
	s := p.skyr
	c := s.sendBase
	if valueNonZero {
		c += s.sendTransferFunds
		if method == 0 {
			c += s.sendTransferOnlyPremium
		}
	}
	if method != 0 {
		c += s.sendInvokeMethod
	}
	return charge("OnMethodInvocation", c, 0)
}

// OnValueTransfer prices moving value between actors in a Hygge send.
func (p *PriceList) OnValueTransfer() Charge {
	if h := p.hygge; h != nil {
		return charge("OnValueTransfer", h.sendTransferFunds, 0)
	}
	return charge("OnValueTransfer", 0, 0)
}

// OnInvokeMethod prices invoking the receiver's code in a Hygge send
// (method not 0). Its trace name is the FVM's, "OnMethodInvocation".
func (p *PriceList) OnInvokeMethod() Charge {
	if h := p.hygge; h != nil {
		return charge("OnMethodInvocation", h.sendInvokeMethod, 0)
	}
	return charge("OnMethodInvocation", 0, 0)
}

// OnSyscall is the flat charge every syscall makes on entry, before the
// syscall's own charges.
func (p *PriceList) OnSyscall() Charge {
	if h := p.hygge; h != nil {
		return charge("OnSyscall", h.syscall, 0)
	}
	return charge("OnSyscall", p.skyr.syscall, 0)
}

// OnCreateActor prices creating an actor whose address is already
// assigned: the create_actor syscall (after the init or Ethereum address
// manager actor assigned it) and, at Skyr, every creation.
func (p *PriceList) OnCreateActor() Charge {
	if p.hygge != nil {
		return p.OnCreateActorHygge(false)
	}
	s := p.skyr
	return charge("OnCreateActor", s.createActorCompute, s.createActorStorage*s.storageGasMultiplier)
}

// OnCreateActorHygge prices creating an actor at Hygge: its storage and,
// when newAddress (an account or placeholder made by a send to an unknown
// address), assigning and looking up its address. At Skyr it is
// OnCreateActor.
func (p *PriceList) OnCreateActorHygge(newAddress bool) Charge {
	h := p.hygge
	if h == nil {
		return p.OnCreateActor()
	}
	c := h.actorCreateStorage
	if newAddress {
		c += h.addressAssignment + h.addressLookup
	}
	return charge("OnCreateActor", 0, c)
}

// OnDeleteActor prices deleting an actor (a storage refund at Skyr, free
// at Hygge, where the state-access charges cover it).
func (p *PriceList) OnDeleteActor() Charge {
	if p.hygge != nil {
		return charge("OnDeleteActor", 0, 0)
	}
	s := p.skyr
	return charge("OnDeleteActor", 0, s.deleteActor*s.storageGasMultiplier)
}

// OnActorLookup prices a message's first read of an actor in the state
// tree (Hygge).
func (p *PriceList) OnActorLookup() Charge {
	if h := p.hygge; h != nil {
		return charge("OnActorLookup", 0, h.actorLookup)
	}
	return charge("OnActorLookup", 0, 0)
}

// OnActorUpdate prices a message's first write of an actor in the state
// tree, after its lookup was charged (Hygge).
func (p *PriceList) OnActorUpdate() Charge {
	if h := p.hygge; h != nil {
		return charge("OnActorUpdate", 0, h.actorUpdate)
	}
	return charge("OnActorUpdate", 0, 0)
}

// OnResolveAddress prices resolving a non-ID address to an actor ID (free;
// Hygge charges it once per message and address).
func (p *PriceList) OnResolveAddress() Charge { return charge("OnResolveAddress", 0, 0) }

// OnLookupAddress prices looking up an actor's delegated (f4) address
// (free).
func (p *PriceList) OnLookupAddress() Charge { return charge("OnLookupAddress", 0, 0) }

// OnSelfBalance prices reading the current actor's balance (free).
func (p *PriceList) OnSelfBalance() Charge { return charge("OnSelfBalance", 0, 0) }

// OnBalanceOf prices reading another actor's balance (free; the actor's
// lookup is charged by the state-access rules).
func (p *PriceList) OnBalanceOf() Charge { return charge("OnBalanceOf", 0, 0) }

// OnGetActorCodeCid prices reading an actor's code CID (free).
func (p *PriceList) OnGetActorCodeCid() Charge { return charge("OnGetActorCodeCid", 0, 0) }

// OnGetBuiltinActorType prices mapping a code CID to its builtin actor
// type in the manifest.
func (p *PriceList) OnGetBuiltinActorType() Charge {
	if h := p.hygge; h != nil {
		return charge("OnGetBuiltinActorType", h.builtinActorManifestLookup, 0)
	}
	return charge("OnGetBuiltinActorType", 0, 0)
}

// OnGetCodeCidForType prices mapping a builtin actor type to its code CID
// in the manifest.
func (p *PriceList) OnGetCodeCidForType() Charge {
	if h := p.hygge; h != nil {
		return charge("OnGetCodeCidForType", h.builtinActorManifestLookup, 0)
	}
	return charge("OnGetCodeCidForType", 0, 0)
}

// OnNetworkContext prices the network context syscall (epoch, timestamp,
// chain ID, network version, base fee).
func (p *PriceList) OnNetworkContext() Charge {
	if h := p.hygge; h != nil {
		return charge("OnNetworkContext", h.networkContext, 0)
	}
	return charge("OnNetworkContext", 0, 0)
}

// OnMessageContext prices the message context syscall (caller, origin,
// receiver, method, value, gas premium and limit, flags).
func (p *PriceList) OnMessageContext() Charge {
	if h := p.hygge; h != nil {
		return charge("OnMessageContext", h.messageContext, 0)
	}
	return charge("OnMessageContext", 0, 0)
}

// OnTipsetCid prices looking up a past tipset's CID: the previous epoch's
// (lookback false) is cheaper than an older one's (Hygge).
func (p *PriceList) OnTipsetCid(lookback bool) Charge {
	h := p.hygge
	if h == nil {
		return charge("OnTipsetCid", 0, 0)
	}
	if lookback {
		return charge("OnTipsetCid", 0, h.tipsetCidHistorical)
	}
	return charge("OnTipsetCid", 0, h.tipsetCidLatest)
}

// OnVerifySignature prices verifying a signature of sigType (SigSecp256k1,
// SigBLS) over plainLen bytes; Hygge adds a price per byte. Another type
// is priced as zero (the kernel rejects it first).
func (p *PriceList) OnVerifySignature(sigType byte, plainLen int) Charge {
	if h := p.hygge; h != nil {
		return charge("OnVerifySignature", h.sigCost[sigType].Apply(int64(plainLen)), 0)
	}
	var c int64
	switch sigType {
	case SigSecp256k1:
		c = p.skyr.secp256k1SigCost
	case SigBLS:
		c = p.skyr.blsSigCost
	}
	return charge("OnVerifySignature", c, 0)
}

// OnRecoverSecpPublicKey prices recovering a secp256k1 public key from a
// signature.
func (p *PriceList) OnRecoverSecpPublicKey() Charge {
	if h := p.hygge; h != nil {
		return charge("OnRecoverSecpPublicKey", h.secp256k1RecoverCost, 0)
	}
	return charge("OnRecoverSecpPublicKey", p.skyr.secp256k1RecoverCost, 0)
}

// OnHashing prices the hash syscall over size bytes with the multihash
// code: flat at Skyr, per byte and per function at Hygge (an unsupported
// code, which the kernel rejects first, is priced as zero).
func (p *PriceList) OnHashing(code uint64, size int) Charge {
	if h := p.hygge; h != nil {
		return charge("OnHashing", h.hashing[code].Apply(int64(size)), 0)
	}
	return charge("OnHashing", p.skyr.hashingBase, 0)
}

// OnComputeUnsealedSectorCid prices computing a sector's unsealed CID
// from its pieces.
func (p *PriceList) OnComputeUnsealedSectorCid() Charge {
	if h := p.hygge; h != nil {
		return charge("OnComputeUnsealedSectorCid", h.computeUnsealedSectorCidBase, 0)
	}
	return charge("OnComputeUnsealedSectorCid", p.skyr.computeUnsealedSectorCidBase, 0)
}

// OnVerifySeal prices verifying one seal proof (also each seal of a batch).
func (p *PriceList) OnVerifySeal() Charge {
	if h := p.hygge; h != nil {
		return charge("OnVerifySeal", h.verifySealBase, 0)
	}
	return charge("OnVerifySeal", p.skyr.verifySealBase, 0)
}

// OnVerifyAggregateSeals prices verifying an aggregate of n seal proofs
// of type sealProof: a price per proof plus a step by n. Unknown types are
// priced as 32 GiB V1P1.
func (p *PriceList) OnVerifyAggregateSeals(sealProof int64, n int) Charge {
	perTable, stepTable := map[int64]int64(nil), map[int64][]Step(nil)
	if h := p.hygge; h != nil {
		perTable, stepTable = h.verifyAggregateSealPer, h.verifyAggregateSealSteps
	} else {
		perTable, stepTable = p.skyr.verifyAggregateSealPer, p.skyr.verifyAggregateSealSteps
	}
	per, ok := perTable[sealProof]
	if !ok {
		per = perTable[sealStackedDRG32GiBV1P1]
	}
	steps, ok := stepTable[sealProof]
	if !ok {
		steps = stepTable[sealStackedDRG32GiBV1P1]
	}
	return charge("OnVerifyAggregateSeals", per*int64(n)+lookup(steps, int64(n)), 0)
}

// OnVerifyReplicaUpdate prices verifying a replica update (snap deal)
// proof.
func (p *PriceList) OnVerifyReplicaUpdate() Charge {
	if h := p.hygge; h != nil {
		return charge("OnVerifyReplicaUpdate", h.verifyReplicaUpdate, 0)
	}
	return charge("OnVerifyReplicaUpdate", p.skyr.verifyReplicaUpdate, 0)
}

// OnVerifyPost prices verifying a window PoSt whose first proof has type
// postProof (pass -1 when there are none) over challenged sectors; types
// without a price are priced as 512 MiB.
func (p *PriceList) OnVerifyPost(postProof int64, challenged int) Charge {
	table := p.skyrOrHyggePost()
	cost, ok := table[postProof]
	if !ok {
		cost = table[postWindow512MiB]
	}
	return charge("OnVerifyPost", cost.Apply(int64(challenged)), 0)
}

func (p *PriceList) skyrOrHyggePost() map[int64]Scaling {
	if h := p.hygge; h != nil {
		return h.verifyPost
	}
	return p.skyr.verifyPost
}

// OnVerifyConsensusFault prices the consensus-fault extern (compute at
// Skyr, with the extern call; storage-side at Hygge).
func (p *PriceList) OnVerifyConsensusFault() Charge {
	if h := p.hygge; h != nil {
		return charge("OnVerifyConsensusFault", 0, h.verifyConsensusFault)
	}
	s := p.skyr
	return charge("OnVerifyConsensusFault", s.extern+s.verifyConsensusFault, 0)
}

// randInitialHash is what Hygge's randomness price hashes besides the
// entropy: the domain separation tag (8 bytes), the VRF digest (32) and
// the round (8).
const randInitialHash = 8 + 32 + 8

// OnGetRandomness prices a chain or beacon randomness request with
// entropyLen bytes of entropy: at Hygge the seed lookup plus hashing it
// with Blake2b-256.
func (p *PriceList) OnGetRandomness(entropyLen int) Charge {
	if h := p.hygge; h != nil {
		return charge("OnGetRandomness", 0, h.getRandomnessSeed+h.hashing[HashBlake2b256].Apply(int64(entropyLen)+randInitialHash))
	}
	s := p.skyr
	return charge("OnGetRandomness", s.extern+s.getRandomnessBase+s.getRandomnessPerByte*int64(entropyLen), 0)
}

// OnBlockOpenBase prices opening a block from the store, before its size
// is known.
func (p *PriceList) OnBlockOpenBase() Charge {
	if h := p.hygge; h != nil {
		return charge("OnBlockOpenBase", 0, h.blockOpen.Flat)
	}
	s := p.skyr
	return charge("OnBlockOpenBase", s.extern+s.blockOpenBase, 0)
}

// OnBlockOpenPerByte prices an opened block of size bytes: at Hygge its
// allocation and copy as compute, and at least the retention minimum in
// all.
func (p *PriceList) OnBlockOpenPerByte(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		compute := h.blockAllocate.Apply(n) + h.blockMemcpy.Apply(n)
		open := h.blockOpen.PerUnit * n
		surcharge := max(h.blockRetentionMinimum.Apply(n)-(compute+open), 0)
		return charge("OnBlockOpenPerByte", compute, open+surcharge)
	}
	s := p.skyr
	return charge("OnBlockOpenPerByte", s.blockOpenMemretPerByte*n+s.blockMemcpyPerByte*n, 0)
}

// OnBlockRead prices copying size bytes of a registered block into actor
// memory.
func (p *PriceList) OnBlockRead(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		return charge("OnBlockRead", h.blockMemcpy.Apply(n), 0)
	}
	s := p.skyr
	return charge("OnBlockRead", s.blockReadBase+s.blockMemcpyPerByte*n, 0)
}

// OnBlockCreate prices registering a new block of size bytes an actor
// built: at Hygge its copy and allocation, and at least the retention
// minimum in all.
func (p *PriceList) OnBlockCreate(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		compute := h.blockMemcpy.Apply(n) + h.blockAllocate.Apply(n)
		return charge("OnBlockCreate", compute, max(h.blockRetentionMinimum.Apply(n)-compute, 0))
	}
	s := p.skyr
	return charge("OnBlockCreate", s.blockCreateBase+s.blockCreateMemretPerByte*n+s.blockMemcpyPerByte*n, 0)
}

// OnBlockLink prices linking (hashing and storing) a registered block of
// size bytes with Blake2b-256, the only hash the FVM links with: at Hygge
// a copy, an allocation and the hash as compute, the flush and storage as
// the rest; at Skyr two copies and storage through the multiplier.
func (p *PriceList) OnBlockLink(size int) Charge {
	n := int64(size)
	if h := p.hygge; h != nil {
		compute := h.blockMemcpy.Apply(n) + h.blockAllocate.Apply(n) + h.hashing[HashBlake2b256].Apply(n)
		return charge("OnBlockLink", compute, h.blockPersistCompute+h.blockPersistStorage.Apply(n))
	}
	s := p.skyr
	return charge("OnBlockLink", s.blockLinkBase+2*s.blockMemcpyPerByte*n, s.blockLinkStoragePerByte*s.storageGasMultiplier*n)
}

// OnBlockStat prices reading a registered block's codec and size (free).
func (p *PriceList) OnBlockStat() Charge {
	if p.hygge != nil {
		return charge("OnBlockStat", 0, 0)
	}
	return charge("OnBlockStat", p.skyr.blockStatBase, 0)
}

// OnActorEventValidate prices receiving an event of size encoded bytes
// from an actor, before it is decoded: a copy, an allocation and the
// validation (Hygge).
func (p *PriceList) OnActorEventValidate(size int) Charge {
	h := p.hygge
	if h == nil {
		return charge("OnActorEventValidate", 0, 0)
	}
	n := int64(size)
	return charge("OnActorEventValidate", h.blockMemcpy.Apply(n)+h.blockAllocate.Apply(n)+h.eventValidation.Apply(n), 0)
}

// stampedEventExtra is what Hygge's event price adds to an event's
// encoded size for the stamped event kept in the receipt's events: the
// emitter's actor ID and CBOR framing.
const stampedEventExtra = 12

// EventIndexing is what an event asks to be indexed: the entries whose key
// or value is flagged indexed (one element each) and their bytes.
type EventIndexing struct {
	Elements int
	Bytes    int
}

// OnActorEventAccept prices keeping a validated event of size encoded
// bytes in the message's events: compute for a copy and an allocation of
// the stamped event, the rest for the deferred copies, allocation and the
// events AMT's hashing, plus indexing (Hygge).
func (p *PriceList) OnActorEventAccept(size int, idx EventIndexing) Charge {
	h := p.hygge
	if h == nil {
		return charge("OnActorEventAccept", 0, 0)
	}
	n := int64(size) + stampedEventExtra
	memcpy := h.blockMemcpy.Apply(n)
	alloc := h.blockAllocate.Apply(n)
	hash := h.hashing[HashBlake2b256].Apply(n)
	index := h.eventAcceptPerIndexEntry.Flat*int64(idx.Elements) + h.eventAcceptPerIndexEntry.PerUnit*int64(idx.Bytes)
	return charge("OnActorEventAccept", memcpy+alloc, index+2*memcpy+alloc+hash)
}
