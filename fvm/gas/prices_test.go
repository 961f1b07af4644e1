package gas

import (
	"errors"
	"math"
	"testing"
)

// TestSkyrCharges checks Skyr charges against values of mainnet receipts
// and of the FVM's published price list (FIP-0032 era).
func TestSkyrCharges(t *testing.T) {
	p, err := ForEra("skyr")
	if err != nil {
		t.Fatal(err)
	}
	// An 81-byte BLS message sending nothing to f099 used 220196 gas on
	// mainnet (nv17 vector fil_9_account/Send/Ok): inclusion plus the send.
	if got := p.OnChainMessage(81).Total() + p.OnMethodInvocation(false, 0).Total(); got != 220196*Milli {
		t.Errorf("81-byte plain send: %d milligas, want %d", got, 220196*Milli)
	}
	for _, c := range []struct {
		value  bool
		method uint64
		want   int64
	}{{false, 0, 29233}, {true, 0, 29233 + 27500 + 159672}, {false, 2, 29233 - 5377}, {true, 2, 29233 + 27500 - 5377}} {
		if got := p.OnMethodInvocation(c.value, c.method).Total(); got != c.want*Milli {
			t.Errorf("invocation value=%v method=%d: %d, want %d", c.value, c.method, got, c.want*Milli)
		}
	}
	if got := p.OnVerifyAggregateSeals(sealStackedDRG32GiBV1P1, 10).Total(); got != (10*449900+112356810)*Milli {
		t.Errorf("aggregate of 10: %d", got)
	}
	if got := p.OnVerifyAggregateSeals(sealStackedDRG64GiBV1P1, 3).Total(); got != 3*359272*Milli {
		t.Errorf("aggregate of 3 (below the first step): %d", got)
	}
	if got := p.OnBlockLink(100); got.Compute != 353640*Milli+2*500*100 || got.Other != 1300*100*Milli {
		t.Errorf("block link of 100 bytes: %+v", got)
	}
	if got := p.OnCreateActor(); got.Compute != 1108454*Milli || got.Other != 76*1300*Milli {
		t.Errorf("create actor: %+v", got)
	}
	if _, err := ForEra("calico"); err == nil {
		t.Error("the pre-FVM calico era has an FVM price list")
	}
}

func TestTrackerOutOfGasUsesWholeLimit(t *testing.T) {
	tr := NewTracker(10, true)
	if err := tr.ChargeMilli("a", 9500); err != nil {
		t.Fatal(err)
	}
	if got := tr.Used(); got != 10 {
		t.Errorf("9.5 gas rounds up to %d, want 10", got)
	}
	if err := tr.ChargeMilli("b", 501); !errors.Is(err, ErrOutOfGas) {
		t.Fatalf("charge past the limit: %v", err)
	}
	if tr.UsedMilli() != 10*Milli || tr.AvailableMilli() != 0 {
		t.Errorf("after out of gas: used %d available %d", tr.UsedMilli(), tr.AvailableMilli())
	}
	if n := len(tr.Trace()); n != 2 {
		t.Errorf("trace has %d charges, want 2", n)
	}
}

// TestHyggeCharges checks the Hygge charges against the prices of ref-fvm
// v3.0/v3.1's price list (the nv18 release, FIP-0057), worked out by hand
// from that table.
func TestHyggeCharges(t *testing.T) {
	p, err := ForEra("hygge")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got            Charge
		name           string
		compute, other int64 // in gas
	}{
		// Inclusion pays the sender's update and 1300 gas a byte over 36 bytes of overhead.
		{p.OnChainMessage(100), "OnChainMessage", 38863, 475000 + 36*1300 + 100*1300},
		{p.OnChainReturnValue(7), "OnChainReturnValue", 0, 7 * 1300},
		{p.OnSyscall(), "OnSyscall", 14000, 0},
		{p.OnValueTransfer(), "OnValueTransfer", 6000, 0},
		{p.OnInvokeMethod(), "OnMethodInvocation", 75000, 0},
		{p.OnMethodInvocation(true, 2), "OnMethodInvocation", 75000, 0},
		{p.OnCreateActor(), "OnCreateActor", 0, 650000},
		{p.OnCreateActorHygge(true), "OnCreateActor", 0, 650000 + 1000000 + 1050000},
		{p.OnDeleteActor(), "OnDeleteActor", 0, 0},
		{p.OnActorLookup(), "OnActorLookup", 0, 500000},
		{p.OnActorUpdate(), "OnActorUpdate", 0, 475000},
		{p.OnResolveAddress(), "OnResolveAddress", 0, 0},
		{p.OnLookupAddress(), "OnLookupAddress", 0, 0},
		{p.OnSelfBalance(), "OnSelfBalance", 0, 0},
		{p.OnBalanceOf(), "OnBalanceOf", 0, 0},
		{p.OnGetActorCodeCid(), "OnGetActorCodeCid", 0, 0},
		{p.OnGetBuiltinActorType(), "OnGetBuiltinActorType", 0, 0},
		{p.OnGetCodeCidForType(), "OnGetCodeCidForType", 0, 0},
		{p.OnNetworkContext(), "OnNetworkContext", 0, 0},
		{p.OnMessageContext(), "OnMessageContext", 0, 0},
		{p.OnTipsetCid(false), "OnTipsetCid", 0, 50000},
		{p.OnTipsetCid(true), "OnTipsetCid", 0, 215000},
		{p.OnVerifySignature(SigSecp256k1, 32), "OnVerifySignature", 1637292 + 10*32, 0},
		{p.OnVerifySignature(SigBLS, 100), "OnVerifySignature", 16598605 + 26*100, 0},
		{p.OnRecoverSecpPublicKey(), "OnRecoverSecpPublicKey", 1637292, 0},
		{p.OnHashing(HashSha256, 100), "OnHashing", 700, 0},
		{p.OnHashing(HashBlake2b256, 100), "OnHashing", 1000, 0},
		{p.OnHashing(HashBlake2b512, 100), "OnHashing", 1000, 0},
		{p.OnHashing(HashKeccak256, 100), "OnHashing", 3300, 0},
		{p.OnHashing(HashRipemd160, 100), "OnHashing", 3500, 0},
		{p.OnComputeUnsealedSectorCid(), "OnComputeUnsealedSectorCid", 98647, 0},
		{p.OnVerifySeal(), "OnVerifySeal", 2000, 0},
		{p.OnVerifyAggregateSeals(sealStackedDRG32GiBV1P1, 10), "OnVerifyAggregateSeals", 10*449900 + 112356810, 0},
		{p.OnVerifyAggregateSeals(sealStackedDRG64GiBV1P1, 500), "OnVerifyAggregateSeals", 500*359272 + 509880640, 0},
		{p.OnVerifyReplicaUpdate(), "OnVerifyReplicaUpdate", 36316136, 0},
		{p.OnVerifyPost(postWindow32GiB, 2349), "OnVerifyPost", 117680921 + 43780*2349, 0},
		{p.OnVerifyConsensusFault(), "OnVerifyConsensusFault", 0, 516422},
		// The seed, then Blake2b-256 over the entropy and 48 bytes of tag, digest and round.
		{p.OnGetRandomness(4), "OnGetRandomness", 0, 21000 + 10*(4+48)},
		{p.OnBlockOpenBase(), "OnBlockOpenBase", 0, 187440},
		{p.OnBlockStat(), "OnBlockStat", 0, 0},
		// A 1000-byte event: copy 0.4/byte, allocation 2/byte, validation 1750 + 25/byte.
		{p.OnActorEventValidate(1000), "OnActorEventValidate", 400 + 2000 + 1750 + 25000, 0},
	} {
		if c.got.Name != c.name || c.got.Compute != c.compute*Milli || c.got.Other != c.other*Milli {
			t.Errorf("%s: got %+v, want compute %d other %d gas", c.name, c.got, c.compute, c.other)
		}
	}
	// Accepting a 1000-byte event stamps 12 more bytes: compute is a copy
	// (0.4/byte) and an allocation (2/byte), the rest two more copies, an
	// allocation and Blake2b-256 (10/byte); indexing is free.
	if c := p.OnActorEventAccept(1000, EventIndexing{Elements: 2, Bytes: 40}); c.Name != "OnActorEventAccept" ||
		c.Compute != 1012*400+1012*2000 || c.Other != 2*1012*400+1012*2000+1012*10000 {
		t.Errorf("event accept: %+v", c)
	}
	// ref-fvm's own check of the memory math: opening or creating a
	// 10-byte block costs the 10 gas/byte retention minimum in all.
	if c := p.OnBlockOpenPerByte(10); c.Total() != 100*Milli || c.Compute != 24*Milli {
		t.Errorf("block open of 10 bytes: %+v", c)
	}
	if c := p.OnBlockCreate(10); c.Total() != 100*Milli || c.Compute != 24*Milli || c.Other != 76*Milli {
		t.Errorf("block create of 10 bytes: %+v", c)
	}
	// Above the minimum nothing is added: a 0-byte block costs nothing.
	if c := p.OnBlockCreate(0); c.Total() != 0 {
		t.Errorf("block create of 0 bytes: %+v", c)
	}
	if c := p.OnBlockRead(1000); c.Compute != 400*Milli || c.Other != 0 {
		t.Errorf("block read of 1000 bytes: %+v", c)
	}
	// Linking: copy, allocation and Blake2b-256 as compute; the flush and
	// 334000 + 3340/byte of storage.
	if c := p.OnBlockLink(10); c.Compute != (4+20+100)*Milli || c.Other != (172000+334000+33400)*Milli {
		t.Errorf("block link of 10 bytes: %+v", c)
	}
	if !p.ChargesStateAccess() || len(p.PreloadedActors) != 10 || p.PreloadedActors[8] != 10 || p.PreloadedActors[9] != 99 {
		t.Errorf("state access: %v, preloaded %v", p.ChargesStateAccess(), p.PreloadedActors)
	}
	// A caller's copy is its own.
	p.PreloadedActors[0] = 42
	q, _ := ForEra("hygge")
	if q.PreloadedActors[0] != 0 {
		t.Error("ForEra shares its preloaded actors")
	}
}

func TestStepLookup(t *testing.T) {
	steps := []Step{{10, 1}, {20, 2}}
	for _, c := range []struct{ n, want int64 }{{0, 0}, {5, 0}, {10, 1}, {19, 1}, {20, 2}, {100, 2}} {
		if got := lookup(steps, c.n); got != c.want {
			t.Errorf("lookup(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	if lookup(nil, 10) != 0 || lookup([]Step{{0, 1}}, 0) != 1 {
		t.Error("empty or zero-start steps")
	}
}

// TestHyggeMemoryCosts checks the instantiation and growth prices of
// Hygge's Wasm rules (0.4 gas a byte, a table element 8 bytes) and that
// Skyr has none.
func TestHyggeMemoryCosts(t *testing.T) {
	h, _ := Instructions(Hygge)
	if h.Memory == nil {
		t.Fatal("hygge prices no memory")
	}
	if got := h.Memory.InitMemory(17 * 65536); got != 17*65536*400 {
		t.Errorf("17 pages: %d milligas", got)
	}
	if got := h.Memory.GrowMemory(65536); got != 65536*400 {
		t.Errorf("one page of growth: %d", got)
	}
	if got := h.Memory.InitTable(100); got != 100*8*400 {
		t.Errorf("100 table elements: %d", got)
	}
	if lin := h.Linear[OpMemoryGrow]; lin.Base != 4*Milli || lin.PerUnit != h.Memory.GrowMemory(65536) {
		t.Errorf("memory.grow: %+v", lin)
	}
	s, _ := Instructions(Skyr)
	if s.Memory != nil || len(s.Linear) != 0 {
		t.Errorf("skyr prices memory: %+v %v", s.Memory, s.Linear)
	}
	// Copies are the caller's own.
	h.Memory.FillPerByte = 1
	if h2, _ := Instructions(Hygge); h2.Memory.FillPerByte != 400 {
		t.Error("Instructions shares its memory prices")
	}
}

// TestTrackerNestedLimits: a send's gas limit caps what its callee may use
// at the smaller of that limit and what is left; running out of it leaves
// the caller with the rest (ref-fvm v3's push_limit/pop_limit).
func TestTrackerNestedLimits(t *testing.T) {
	tr := NewTracker(100, false)
	if err := tr.ChargeMilli("a", 30*Milli); err != nil {
		t.Fatal(err)
	}
	tr.PushLimit(20)
	if tr.AvailableMilli() != 20*Milli || tr.UsedMilli() != 0 {
		t.Fatalf("nested: available %d used %d", tr.AvailableMilli(), tr.UsedMilli())
	}
	if err := tr.ChargeMilli("b", 25*Milli); !errors.Is(err, ErrOutOfGas) {
		t.Fatalf("past the nested limit: %v", err)
	}
	if err := tr.PopLimit(); err != nil {
		t.Fatal(err)
	}
	// The callee used its whole 20; the caller has 50 left.
	if tr.UsedMilli() != 50*Milli || tr.AvailableMilli() != 50*Milli {
		t.Errorf("after pop: used %d available %d", tr.UsedMilli(), tr.AvailableMilli())
	}
	// A limit above what is left is what is left; a huge one saturates.
	tr.PushLimit(math.MaxInt64)
	if tr.AvailableMilli() != 50*Milli {
		t.Errorf("huge nested limit: available %d", tr.AvailableMilli())
	}
	if err := tr.ChargeMilli("c", 5*Milli); err != nil {
		t.Fatal(err)
	}
	if err := tr.PopLimit(); err != nil || tr.Used() != 55 {
		t.Errorf("after second pop: %v, used %d", err, tr.Used())
	}
	if err := tr.PopLimit(); err == nil {
		t.Error("pop without push succeeded")
	}
}
