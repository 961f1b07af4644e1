package chaos

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/specs-actors/v2/actors/runtime"
	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

func TestIdentifiers(t *testing.T) {
	want, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.IDENTITY}.Sum([]byte("fil/1/chaos"))
	if err != nil {
		t.Fatal(err)
	}
	if !CodeCID.Equals(want) {
		t.Errorf("CodeCID = %s, want %s", CodeCID, want)
	}
	// The exact bytes the vectors' state trees hold after the CBOR tag/prefix.
	if got, wantHex := hex.EncodeToString(CodeCID.Bytes()), "0155000b66696c2f312f6368616f73"; got != wantHex {
		t.Errorf("CodeCID bytes = %s, want %s", got, wantHex)
	}
	if Address.Protocol() != address.ID || !bytes.Equal(Address.Bytes(), []byte{0x00, 98}) {
		t.Errorf("Address = %s (bytes %x), want ID address 98", Address, Address.Bytes())
	}
	a := Actor{}
	if !a.Code().Equals(CodeCID) || !a.IsSingleton() {
		t.Errorf("Code() = %s, IsSingleton() = %v", a.Code(), a.IsSingleton())
	}
	if _, ok := a.State().(*State); !ok {
		t.Errorf("State() returned %T, want *State", a.State())
	}
}

// TestExportsShape checks every method has the (runtime, *Params) *Return shape
// at the number the vectors use, with CBOR-capable parameter and return types.
func TestExportsShape(t *testing.T) {
	want := map[abi.MethodNum]reflect.Type{
		MethodConstructor:      reflect.TypeOf(&abi.EmptyValue{}),
		MethodCallerValidation: reflect.TypeOf(&CallerValidationArgs{}),
		MethodCreateActor:      reflect.TypeOf(&CreateActorArgs{}),
		MethodResolveAddress:   reflect.TypeOf(&address.Address{}),
		MethodDeleteActor:      reflect.TypeOf(&address.Address{}),
		MethodSend:             reflect.TypeOf(&SendArgs{}),
		MethodMutateState:      reflect.TypeOf(&MutateStateArgs{}),
		MethodAbortWith:        reflect.TypeOf(&AbortWithArgs{}),
		MethodInspectRuntime:   reflect.TypeOf(&abi.EmptyValue{}),
		MethodCreateState:      reflect.TypeOf(&abi.EmptyValue{}),
	}
	exports := Actor{}.Exports()
	if len(exports) != 11 || exports[0] != nil {
		t.Fatalf("exports: len %d, [0]=%v; want 11 entries with nil at 0", len(exports), exports[0])
	}
	rtType := reflect.TypeOf((*runtime.Runtime)(nil)).Elem()
	unm := reflect.TypeOf((*cbor.Unmarshaler)(nil)).Elem()
	m := reflect.TypeOf((*cbor.Marshaler)(nil)).Elem()
	for num := abi.MethodNum(1); num < abi.MethodNum(len(exports)); num++ {
		ft := reflect.TypeOf(exports[num])
		if ft == nil || ft.Kind() != reflect.Func || ft.NumIn() != 2 || ft.NumOut() != 1 {
			t.Errorf("method %d: bad shape %v", num, ft)
			continue
		}
		if ft.In(0) != rtType {
			t.Errorf("method %d: first parameter %v, want v2 runtime.Runtime", num, ft.In(0))
		}
		if ft.In(1) != want[num] {
			t.Errorf("method %d: params %v, want %v", num, ft.In(1), want[num])
		}
		if !ft.In(1).Implements(unm) || !ft.Out(0).Implements(m) || ft.Out(0).Kind() != reflect.Ptr {
			t.Errorf("method %d: params %v / return %v not CBOR-capable pointers", num, ft.In(1), ft.Out(0))
		}
	}
}

func TestConstructorCrashes(t *testing.T) {
	rt := newFakeRuntime(t)
	out := invoke(t, rt, MethodConstructor, nil)
	if out.crashed == nil || out.aborted != nil {
		t.Fatalf("constructor: %+v, want an uncontrolled panic", out)
	}
	if _, isErr := out.crashed.(error); isErr {
		t.Errorf("crash value %T is an error; VMs could take it for their own failure", out.crashed)
	}
}

func TestCallerValidation(t *testing.T) {
	caller := idAddr(t, 100)
	other := idAddr(t, 101)
	acct := fakeAccountCode(t)
	cases := []struct {
		name        string
		args        CallerValidationArgs
		validations []string
		abort       exitcode.ExitCode // 0: none expected
	}{
		{"none", CallerValidationArgs{Branch: CallerValidationBranchNone}, nil, 0},
		{"twice", CallerValidationArgs{Branch: CallerValidationBranchTwice}, []string{"any", "any"}, 0},
		{"is-address-ok", CallerValidationArgs{Branch: CallerValidationBranchIsAddress, Addrs: []address.Address{other, caller}},
			[]string{isEntry(other, caller)}, 0},
		{"is-address-wrong", CallerValidationArgs{Branch: CallerValidationBranchIsAddress, Addrs: []address.Address{other}},
			[]string{isEntry(other)}, exitcode.SysErrForbidden},
		{"is-address-empty", CallerValidationArgs{Branch: CallerValidationBranchIsAddress},
			[]string{isEntry()}, exitcode.SysErrForbidden},
		{"is-type-ok", CallerValidationArgs{Branch: CallerValidationBranchIsType, Types: []cid.Cid{CodeCID, acct}},
			[]string{typeEntry(CodeCID, acct)}, 0},
		{"is-type-wrong", CallerValidationArgs{Branch: CallerValidationBranchIsType, Types: []cid.Cid{CodeCID}},
			[]string{typeEntry(CodeCID)}, exitcode.SysErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime(t)
			out := invoke(t, rt, MethodCallerValidation, encode(t, &tc.args))
			if out.crashed != nil {
				t.Fatalf("crashed: %v", out.crashed)
			}
			if diff := cmp.Diff(tc.validations, rt.validations); diff != "" {
				t.Errorf("validations (-want +got):\n%s", diff)
			}
			switch {
			case tc.abort == 0 && out.aborted != nil:
				t.Errorf("unexpected abort %+v", *out.aborted)
			case tc.abort != 0 && (out.aborted == nil || out.aborted.code != tc.abort):
				t.Errorf("abort = %+v, want code %d", out.aborted, tc.abort)
			case tc.abort == 0 && out.ret != nil:
				t.Errorf("return = %x, want empty", out.ret)
			}
		})
	}
	t.Run("unknown-branch", func(t *testing.T) {
		rt := newFakeRuntime(t)
		out := invoke(t, rt, MethodCallerValidation, encode(t, &CallerValidationArgs{Branch: 4}))
		if out.crashed == nil {
			t.Fatalf("unknown branch: %+v, want an uncontrolled panic", out)
		}
	})
}
