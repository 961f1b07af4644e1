// Package gas holds the pre-FVM gas model: the unit of a gas charge, the
// price lists of each pricing era as plain data, and the fee arithmetic that
// settles a message's gas after execution.
//
// Price lists are values selected by epoch and handed to the VM; nothing in
// this package is mutable, so any number of VMs may price concurrently.
package gas

import (
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
)

// Charge is one gas charge as the protocol accounts it. Only Compute and
// Storage count towards gas used; the virtual figures are the prices a later
// era would have charged and are kept only so traces can show them.
type Charge struct {
	Name    string
	Compute int64
	Storage int64

	VirtualCompute int64
	VirtualStorage int64
}

// Total is the gas the charge consumes.
func (c Charge) Total() int64 { return c.Compute + c.Storage }

func charge(name string, compute, storage int64) Charge {
	return Charge{Name: name, Compute: compute, Storage: storage}
}

// Named returns a zero-cost charge. The VM records these at fixed points
// (actor execution resumes, method invocation done) purely so its gas trace
// lines up with the reference implementation's.
func Named(name string) Charge { return Charge{Name: name} }

// Trace-only charge names shared by the VM's components.
const (
	NameOnActorExec            = "OnActorExec"
	NameOnGetActor             = "OnGetActor"
	NameOnMethodInvocationDone = "OnMethodInvocationDone"
	NameOnIpldGetEnd           = "OnIpldGetEnd"
)

// scaling is a price linear in a count: Flat + Scale*n.
type scaling struct {
	flat  int64
	scale int64
}

// step is one band of a step function: from count Start upwards the cost is Cost.
type step struct {
	start int64
	cost  int64
}

// postPrice prices window PoSt verification for one proof type.
type postPrice struct {
	proof abi.RegisteredPoStProof
	scaling
}

// sealAggPrice prices aggregate seal verification for one seal proof type.
type sealAggPrice struct {
	proof   abi.RegisteredSealProof
	perSeal int64
	steps   []step
}

// PriceList is the price of every chargeable operation in one pricing era.
// The zero value is not usable; take lists from ForEra.
type PriceList struct {
	era string

	// storageMulti converts storage bytes into gas.
	storageMulti int64

	onChainMessageCompute     int64
	onChainMessageStorageBase int64
	onChainMessagePerByte     int64
	onChainReturnPerByte      int64

	sendBase             int64
	sendTransferFunds    int64
	sendTransferOnlyPrem int64
	sendInvokeMethod     int64

	ipldGetBase    int64
	ipldPutBase    int64
	ipldPutPerByte int64

	createActorCompute int64
	createActorStorage int64
	deleteActor        int64

	verifySecp256k1 int64
	verifyBLS       int64

	hashingBase              int64
	computeUnsealedCIDBase   int64
	verifySealBase           int64
	verifyPost               []postPrice
	verifyPostFallback       abi.RegisteredPoStProof
	verifyPostHalved         bool
	verifyConsensusFault     int64
	verifyReplicaUpdate      int64
	verifyAggregateSeal      []sealAggPrice
	verifyAggregateFallback  abi.RegisteredSealProof
	batchVerifySealsVirtual  scaling
	ipldGetVirtualCompute    int64
	ipldPutVirtualCompute    int64
	ipldPutVirtualPerByte    int64
	verifyPostVirtualScaling scaling
}

// Era names the pricing era the list belongs to ("genesis", "calico").
func (p *PriceList) Era() string { return p.era }

// OnChainMessage prices the inclusion of a message whose on-chain encoding
// (signature included) is size bytes long.
func (p *PriceList) OnChainMessage(size int) Charge {
	return charge("OnChainMessage", p.onChainMessageCompute,
		(p.onChainMessageStorageBase+p.onChainMessagePerByte*int64(size))*p.storageMulti)
}

// OnChainReturnValue prices storing a top-level message's return value.
func (p *PriceList) OnChainReturnValue(size int) Charge {
	return charge("OnChainReturnValue", 0, int64(size)*p.onChainReturnPerByte*p.storageMulti)
}

// OnMethodInvocation prices a send: a base, a surcharge when value moves
// (larger for a bare transfer) and a discount when a method runs.
func (p *PriceList) OnMethodInvocation(value abi.TokenAmount, method abi.MethodNum) Charge {
	cost := p.sendBase
	if !value.NilOrZero() {
		cost += p.sendTransferFunds
		if method == 0 {
			cost += p.sendTransferOnlyPrem
		}
	}
	if method != 0 {
		cost += p.sendInvokeMethod
	}
	return charge("OnMethodInvocation", cost, 0)
}

// OnIpldGet prices reading one block from the actor store.
func (p *PriceList) OnIpldGet() Charge {
	c := charge("OnIpldGet", p.ipldGetBase, 0)
	c.VirtualCompute = p.ipldGetVirtualCompute
	return c
}

// OnIpldPut prices writing one block of size bytes to the actor store.
func (p *PriceList) OnIpldPut(size int) Charge {
	c := charge("OnIpldPut", p.ipldPutBase, int64(size)*p.ipldPutPerByte*p.storageMulti)
	c.VirtualCompute = p.ipldPutVirtualCompute
	c.VirtualStorage = int64(size) * p.ipldPutVirtualPerByte
	return c
}

// OnCreateActor prices creating an actor (including implicit account creation).
func (p *PriceList) OnCreateActor() Charge {
	return charge("OnCreateActor", p.createActorCompute, p.createActorStorage*p.storageMulti)
}

// OnDeleteActor prices deleting an actor; it is negative, a partial refund of creation.
func (p *PriceList) OnDeleteActor() Charge {
	return charge("OnDeleteActor", 0, p.deleteActor*p.storageMulti)
}

// OnVerifySignature prices a signature check. ok is false for a signature
// type the era has no price for; the caller must then fail the syscall
// without charging.
func (p *PriceList) OnVerifySignature(t crypto.SigType) (c Charge, ok bool) {
	switch t {
	case crypto.SigTypeSecp256k1:
		return charge("OnVerifySignature", p.verifySecp256k1, 0), true
	case crypto.SigTypeBLS:
		return charge("OnVerifySignature", p.verifyBLS, 0), true
	}
	return Charge{}, false
}

// OnHashing prices a blake2b hash.
func (p *PriceList) OnHashing(int) Charge {
	return charge("OnHashing", p.hashingBase, 0)
}

// OnComputeUnsealedSectorCid prices CommD computation (flat).
func (p *PriceList) OnComputeUnsealedSectorCid() Charge {
	return charge("OnComputeUnsealedSectorCid", p.computeUnsealedCIDBase, 0)
}

// OnVerifySeal prices a single seal verification (flat).
func (p *PriceList) OnVerifySeal() Charge {
	return charge("OnVerifySeal", p.verifySealBase, 0)
}

// OnVerifyPost prices a window PoSt verification. proofs is the proof type
// of the first proof submitted (ok false when none was); challenged is the
// number of challenged sectors.
func (p *PriceList) OnVerifyPost(proof abi.RegisteredPoStProof, ok bool, challenged int) Charge {
	price, found := p.postPrice(p.verifyPostFallback)
	if ok {
		if pp, f := p.postPrice(proof); f {
			price, found = pp, true
		}
	}
	var cost int64
	if found {
		cost = price.flat + int64(challenged)*price.scale
	}
	if p.verifyPostHalved {
		cost /= 2
	}
	c := charge("OnVerifyPost", cost, 0)
	c.VirtualCompute = p.verifyPostVirtualScaling.flat + p.verifyPostVirtualScaling.scale*int64(challenged)
	return c
}

func (p *PriceList) postPrice(proof abi.RegisteredPoStProof) (scaling, bool) {
	for _, pp := range p.verifyPost {
		if pp.proof == proof {
			return pp.scaling, true
		}
	}
	return scaling{}, false
}

// OnVerifyConsensusFault prices a consensus fault check (flat).
func (p *PriceList) OnVerifyConsensusFault() Charge {
	return charge("OnVerifyConsensusFault", p.verifyConsensusFault, 0)
}

// OnVerifyReplicaUpdate prices a replica update proof check (flat).
func (p *PriceList) OnVerifyReplicaUpdate() Charge {
	return charge("OnVerifyReplicaUpdate", p.verifyReplicaUpdate, 0)
}

// OnVerifyAggregateSeals prices an aggregate seal proof of n seals.
func (p *PriceList) OnVerifyAggregateSeals(proof abi.RegisteredSealProof, n int) Charge {
	var price *sealAggPrice
	for i := range p.verifyAggregateSeal {
		if p.verifyAggregateSeal[i].proof == proof {
			price = &p.verifyAggregateSeal[i]
		}
	}
	if price == nil {
		for i := range p.verifyAggregateSeal {
			if p.verifyAggregateSeal[i].proof == p.verifyAggregateFallback {
				price = &p.verifyAggregateSeal[i]
			}
		}
	}
	var cost int64
	if price != nil {
		cost = price.perSeal*int64(n) + stepLookup(price.steps, int64(n))
	}
	return charge("OnVerifyAggregateSeals", cost, 0)
}

// OnBatchVerifySeals is the zero-cost marker of a batch seal verification
// (the real price is charged by the power actor); its virtual cost is shown
// in traces only.
func (p *PriceList) OnBatchVerifySeals(n int) Charge {
	c := Named("BatchVerifySeals")
	c.VirtualCompute = p.batchVerifySealsVirtual.flat + p.batchVerifySealsVirtual.scale*int64(n)
	return c
}

func stepLookup(steps []step, x int64) int64 {
	var cost int64
	for _, s := range steps {
		if s.start > x {
			break
		}
		cost = s.cost
	}
	return cost
}
