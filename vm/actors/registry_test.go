package actors

import (
	"fmt"
	"github.com/tvx-project/tvx/builtin"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	builtin6 "github.com/filecoin-project/specs-actors/v6/actors/builtin"
	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/protocol"
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
		{builtin0.AccountActorCodeID, builtin.KindAccount, 0},
		{builtin2.AccountActorCodeID, builtin.KindAccount, 2},
		{builtin0.StorageMinerActorCodeID, builtin.KindMiner, 0},
		{builtin2.MultisigActorCodeID, builtin.KindMultisig, 2},
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
	if builtin.KindOf(cid.Undef) != "" {
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
	miner6 := lookup(builtin6.StorageMinerActorCodeID)
	miner7 := lookup(builtin7.StorageMinerActorCodeID)
	testActor := &Entry{Kind: builtin.KindMiner, Version: 7, AnyVersion: true}
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

// Every supported actors version registers all eleven builtin actors under
// the code CIDs the chain uses ("fil/<n>/<kind>", n being 1 for v0.9), each
// with every method its version exports.
func TestEveryActorsVersionRegistered(t *testing.T) {
	r, err := NewBuiltinRegistry()
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.ActorsVersion{0, 2, 3, 4, 5, 6, 7}
	if got := builtin.Versions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	kinds := []string{builtin.KindSystem, builtin.KindInit, builtin.KindCron, builtin.KindAccount, builtin.KindPower, builtin.KindMiner,
		builtin.KindMarket, builtin.KindPaych, builtin.KindMultisig, builtin.KindReward, builtin.KindVerifiedRegs}
	for _, v := range want {
		n := int(v)
		if v == 0 {
			n = 1
		}
		for _, k := range kinds {
			code, err := builtin.Code(v, k)
			if err != nil {
				t.Fatalf("v%d %s: %v", v, k, err)
			}
			if name, _ := builtin.CodeName(code); name != fmt.Sprintf("fil/%d/%s", n, k) {
				t.Errorf("v%d %s: code names %q", v, k, name)
			}
			e, ok := r.Lookup(code)
			if !ok || e.Version != v || e.Kind != k || e.AnyVersion {
				t.Fatalf("v%d %s: entry %+v", v, k, e)
			}
			exports := 0
			for _, x := range e.Actor.Exports() {
				if x != nil {
					exports++
				}
			}
			methods := 0
			for m := abi.MethodNum(0); m < 64; m++ {
				if _, ok := e.Method(m); ok {
					methods++
				}
			}
			if methods != exports || methods == 0 {
				t.Errorf("v%d %s: %d methods callable, %d exported", v, k, methods, exports)
			}
		}
		if ac, _ := builtin.AccountCode(v); ac != mustCode(t, v, builtin.KindAccount) {
			t.Errorf("v%d: account code for implicit creation is %s", v, ac)
		}
	}
	if _, err := builtin.Code(1, builtin.KindAccount); err == nil {
		t.Error("actors version 1 accepted")
	}
	if _, err := builtin.Code(7, "chaos"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func mustCode(t *testing.T, v protocol.ActorsVersion, kind string) cid.Cid {
	t.Helper()
	c, err := builtin.Code(v, kind)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
