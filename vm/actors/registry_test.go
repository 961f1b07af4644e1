package actors

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
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
