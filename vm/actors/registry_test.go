package actors

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	"github.com/ipfs/go-cid"
)

func TestBuiltinRegistry(t *testing.T) {
	r, err := NewBuiltinRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code    cid.Cid
		kind    string
		version int
	}{
		{builtin0.AccountActorCodeID, KindAccount, 0},
		{builtin2.AccountActorCodeID, KindAccount, 2},
		{builtin0.StorageMinerActorCodeID, KindMiner, 0},
		{builtin2.MultisigActorCodeID, KindMultisig, 2},
	} {
		e, ok := r.Lookup(c.code)
		if !ok {
			t.Fatalf("%s not registered", c.code)
		}
		if e.Kind != c.kind || int(e.Version) != c.version {
			t.Errorf("%s: kind %q version %d", c.code, e.Kind, e.Version)
		}
		if !e.RunsUnder(e.Version) || e.RunsUnder(e.Version+1) {
			t.Errorf("%s runs under the wrong actors versions", c.code)
		}
		if _, ok := e.Method(0); ok {
			t.Errorf("%s: method 0 (plain send) must not be an export", c.code)
		}
		if _, ok := e.Method(builtin0.MethodConstructor); !ok {
			t.Errorf("%s: no constructor", c.code)
		}
		if _, ok := e.Method(1 << 20); ok {
			t.Errorf("%s: out-of-range method found", c.code)
		}
	}
	if KindOf(cid.Undef) != "" {
		t.Error("undefined code has a kind")
	}
	if _, ok := r.Clone().Lookup(builtin2.InitActorCodeID); !ok {
		t.Error("clone lost entries")
	}
}

// badActor exports a method whose first argument is not a runtime interface.
type badActor struct{ account0.Actor }

func (badActor) Exports() []interface{} {
	return []interface{}{nil, func(int, *abi.EmptyValue) *abi.EmptyValue { return nil }}
}

func TestRegisterRejectsMalformedExports(t *testing.T) {
	if err := NewRegistry().Register(0, false, badActor{}); err == nil {
		t.Fatal("export with the wrong shape accepted")
	}
}

// Only the system codes builtin actors raise on their own are sanctioned,
// and only for the actor and actors version that raises them.
func TestRaisesSystemCode(t *testing.T) {
	r, err := NewBuiltinRegistry()
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(c cid.Cid) *Entry {
		e, ok := r.Lookup(c)
		if !ok {
			t.Fatalf("%s not registered", c)
		}
		return e
	}
	// Actors v6 and v7 are not registered yet: describe their miners directly.
	miner6 := &Entry{Kind: KindMiner, Version: 6}
	miner7 := &Entry{Kind: KindMiner, Version: 7}
	testActor := &Entry{Kind: KindMiner, Version: 7, AnyVersion: true}
	for _, c := range []struct {
		name string
		e    *Entry
		exit exitcode.ExitCode
		want bool
	}{
		{"multisig v0.9 invalid method", lookup(builtin0.MultisigActorCodeID), exitcode.SysErrInvalidMethod, true},
		{"multisig v0.9 forbidden", lookup(builtin0.MultisigActorCodeID), exitcode.SysErrForbidden, false},
		{"multisig v2 invalid method", lookup(builtin2.MultisigActorCodeID), exitcode.SysErrInvalidMethod, false},
		{"account v0.9 invalid method", lookup(builtin0.AccountActorCodeID), exitcode.SysErrInvalidMethod, false},
		{"miner v7 forbidden", miner7, exitcode.SysErrForbidden, true},
		{"miner v7 invalid method", miner7, exitcode.SysErrInvalidMethod, false},
		{"miner v6 forbidden", miner6, exitcode.SysErrForbidden, false},
		{"test actor", testActor, exitcode.SysErrForbidden, false},
	} {
		if got := c.e.RaisesSystemCode(c.exit); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
