package gas

import (
	"errors"
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

// TestHyggeCharges checks Hygge (FIP-0057) charges that differ from Skyr.
func TestHyggeCharges(t *testing.T) {
	p, err := ForEra("hygge")
	if err != nil {
		t.Fatal(err)
	}
	if c := p.OnChainMessage(100); c.Compute != 38863*Milli || c.Other != (475000+36*1300+100*1300)*Milli {
		t.Errorf("inclusion of 100 bytes: %+v", c)
	}
	if c := p.OnCreateActorHygge(true); c.Other != (650000+1000000+1050000)*Milli || c.Compute != 0 {
		t.Errorf("creation on send: %+v", c)
	}
	// A 10-byte block: 2 gas/byte allocation plus 0.4 gas/byte copy is
	// below the 10 gas/byte retention minimum, so a surcharge fills it.
	if c := p.OnBlockCreate(10); c.Compute != 24*Milli || c.Other != 76*Milli {
		t.Errorf("block create of 10 bytes: %+v", c)
	}
	if c := p.OnBlockOpenBase(); c.Other != 187440*Milli {
		t.Errorf("block open base: %+v", c)
	}
	if c := p.OnBlockLink(10); c.Compute != 24*Milli+100*Milli || c.Other != (172000+334000+33400)*Milli {
		t.Errorf("block link of 10 bytes: %+v", c)
	}
	if c := p.OnGetRandomness(4); c.Other != (21000+10*(4+48))*Milli {
		t.Errorf("randomness: %+v", c)
	}
	if c := p.OnHashingWith(0x12, 100); c.Compute != 700*Milli {
		t.Errorf("sha256 of 100 bytes: %+v", c)
	}
}
