package chaos

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
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

func TestCreateActor(t *testing.T) {
	target := idAddr(t, 1000)
	cases := []struct {
		name string
		args CreateActorArgs
		want createdActor
	}{
		{"defined", CreateActorArgs{ActorCID: CodeCID, Address: target}, createdActor{CodeCID, target}},
		{"undef-cid", CreateActorArgs{UndefActorCID: true, ActorCID: CodeCID, Address: target}, createdActor{cid.Undef, target}},
		{"undef-addr", CreateActorArgs{ActorCID: CodeCID, UndefAddress: true, Address: target}, createdActor{CodeCID, address.Undef}},
		{"undef-both", CreateActorArgs{UndefActorCID: true, ActorCID: CodeCID, UndefAddress: true, Address: target},
			createdActor{cid.Undef, address.Undef}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime(t)
			out := invoke(t, rt, MethodCreateActor, encode(t, &tc.args))
			if out.crashed != nil || out.aborted != nil || out.ret != nil {
				t.Fatalf("outcome %+v, want a plain empty return", out)
			}
			if len(rt.created) != 1 || rt.created[0].code != tc.want.code || rt.created[0].addr != tc.want.addr {
				t.Errorf("created %+v, want [%+v]", rt.created, tc.want)
			}
			if len(rt.validations) != 1 {
				t.Errorf("validations %v, want one accept-any", rt.validations)
			}
		})
	}
}

func TestResolveAddress(t *testing.T) {
	rt := newFakeRuntime(t)
	known, err := address.NewSecp256k1Address([]byte("some public key"))
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := address.NewActorAddress([]byte("nobody"))
	if err != nil {
		t.Fatal(err)
	}
	rt.resolve[known] = idAddr(t, 105)

	out := invoke(t, rt, MethodResolveAddress, encode(t, &known))
	// [h'0069', true]: the ID address 105 and success.
	if got, want := hex.EncodeToString(out.ret), "82420069f5"; got != want || out.aborted != nil || out.crashed != nil {
		t.Errorf("known: return %s (outcome %+v), want %s", got, out, want)
	}

	out = invoke(t, rt, MethodResolveAddress, encode(t, &unknown))
	// [h'0000', false]: the f00 placeholder and failure.
	if got, want := hex.EncodeToString(out.ret), "82420000f4"; got != want || out.aborted != nil || out.crashed != nil {
		t.Errorf("unknown: return %s (outcome %+v), want %s", got, out, want)
	}
	if len(rt.validations) != 2 {
		t.Errorf("validations %v, want one accept-any per call", rt.validations)
	}
}

func TestDeleteActor(t *testing.T) {
	rt := newFakeRuntime(t)
	beneficiary := idAddr(t, 101)
	out := invoke(t, rt, MethodDeleteActor, encode(t, &beneficiary))
	if out.crashed != nil || out.aborted != nil || out.ret != nil {
		t.Fatalf("outcome %+v, want a plain empty return", out)
	}
	if len(rt.deleted) != 1 || rt.deleted[0] != beneficiary || len(rt.validations) != 1 {
		t.Errorf("deleted %v (validations %v), want [%s] after one validation", rt.deleted, rt.validations, beneficiary)
	}
}

func TestSend(t *testing.T) {
	to := idAddr(t, 101)
	// The inner return is itself CBOR ([1, "x"]); Send must hand it back
	// verbatim inside SendReturn.Return.
	innerRet := []byte{0x82, 0x01, 0x61, 'x'}
	params := []byte{0x81, 0x05}
	cases := []struct {
		name string
		ret  []byte
		code exitcode.ExitCode
		want string // encoded SendReturn
	}{
		// [h'82016178', 0]
		{"success", innerRet, exitcode.Ok, "824482016178" + "00"},
		// [h'', 19]: nothing is read back from a failed send.
		{"inner-failure", innerRet, exitcode.ErrInsufficientFunds, "8240" + "13"},
		// [h'', 0]: a successful send with an empty return.
		{"empty-return", nil, exitcode.Ok, "8240" + "00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime(t)
			rt.callee = func(address.Address, abi.MethodNum, []byte, abi.TokenAmount) ([]byte, exitcode.ExitCode) {
				return tc.ret, tc.code
			}
			args := SendArgs{To: to, Value: big.NewInt(42), Method: 3, Params: params}
			out := invoke(t, rt, MethodSend, encode(t, &args))
			if out.crashed != nil || out.aborted != nil {
				t.Fatalf("outcome %+v, want a normal return", out)
			}
			if got := hex.EncodeToString(out.ret); got != tc.want {
				t.Errorf("return %s, want %s", got, tc.want)
			}
			if len(rt.sends) != 1 {
				t.Fatalf("sends %+v, want exactly one", rt.sends)
			}
			s := rt.sends[0]
			if s.to != to || s.method != 3 || !s.value.Equals(big.NewInt(42)) || !bytes.Equal(s.params, params) {
				t.Errorf("sent %+v, want to %s method 3 value 42 params %x", s, to, params)
			}
			if len(rt.validations) != 1 {
				t.Errorf("validations %v, want one accept-any", rt.validations)
			}
		})
	}
}

func TestCreateState(t *testing.T) {
	rt := newFakeRuntime(t)
	out := invoke(t, rt, MethodCreateState, nil)
	if out.crashed != nil || out.aborted != nil || out.ret != nil {
		t.Fatalf("outcome %+v, want a plain empty return", out)
	}
	// ["", []]
	if got := hex.EncodeToString(rt.store[rt.head]); got != "826080" {
		t.Errorf("created state %s, want 826080", got)
	}
}

func TestMutateState(t *testing.T) {
	cases := []struct {
		name   string
		branch MutateStateBranch
		stored string // Value in the state tree afterwards
	}{
		{"in-transaction", MutateInTransaction, "new"},
		// The write to a read-only copy is lost: nothing is committed.
		{"readonly", MutateReadonly, "old"},
		// Only the in-transaction write is committed.
		{"after-transaction", MutateAfterTransaction, "new-in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime(t)
			rt.head = rt.StorePut(&State{Value: "old"})
			out := invoke(t, rt, MethodMutateState, encode(t, &MutateStateArgs{Value: "new", Branch: tc.branch}))
			if out.crashed != nil || out.aborted != nil || out.ret != nil {
				t.Fatalf("outcome %+v, want a plain empty return", out)
			}
			if got := rt.storedState(t).Value; got != tc.stored {
				t.Errorf("stored value %q, want %q", got, tc.stored)
			}
			if len(rt.validations) != 1 {
				t.Errorf("validations %v, want one accept-any", rt.validations)
			}
		})
	}
	t.Run("unknown-branch", func(t *testing.T) {
		rt := newFakeRuntime(t)
		rt.head = rt.StorePut(&State{Value: "old"})
		out := invoke(t, rt, MethodMutateState, encode(t, &MutateStateArgs{Value: "new", Branch: 3}))
		if out.crashed == nil {
			t.Fatalf("outcome %+v, want an uncontrolled panic", out)
		}
		if got := rt.storedState(t).Value; got != "old" {
			t.Errorf("stored value %q after crash, want untouched", got)
		}
	})
	t.Run("no-state", func(t *testing.T) {
		rt := newFakeRuntime(t)
		out := invoke(t, rt, MethodMutateState, encode(t, &MutateStateArgs{Value: "new"}))
		if out.aborted == nil {
			t.Fatalf("outcome %+v, want the runtime's abort for a missing state", out)
		}
	})
}

func TestAbortWith(t *testing.T) {
	cases := []struct {
		name string
		args AbortWithArgs
	}{
		{"actor-code", AbortWithArgs{Code: 42, Message: "custom"}},
		{"system-code", AbortWithArgs{Code: exitcode.SysErrInsufficientFunds, Message: "pretend system"}},
		{"negative-code", AbortWithArgs{Code: -1, Message: "negative"}},
		// Verbs in the message must reach the runtime literally, not be expanded.
		{"verbs-in-message", AbortWithArgs{Code: 16, Message: "100%d sure %s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := newFakeRuntime(t)
			out := invoke(t, rt, MethodAbortWith, encode(t, &tc.args))
			if out.aborted == nil || out.crashed != nil {
				t.Fatalf("outcome %+v, want a runtime abort", out)
			}
			if out.aborted.code != tc.args.Code || out.aborted.msg != tc.args.Message {
				t.Errorf("abort %+v, want code %d message %q", *out.aborted, tc.args.Code, tc.args.Message)
			}
			if len(rt.validations) != 0 {
				t.Errorf("validations %v, want none", rt.validations)
			}
		})
	}
	t.Run("uncontrolled", func(t *testing.T) {
		rt := newFakeRuntime(t)
		out := invoke(t, rt, MethodAbortWith, encode(t, &AbortWithArgs{Code: 42, Message: "boom", Uncontrolled: true}))
		if out.crashed == nil || out.aborted != nil {
			t.Fatalf("outcome %+v, want an uncontrolled panic", out)
		}
		if c, ok := out.crashed.(crash); !ok || !strings.Contains(c.String(), "boom") {
			t.Errorf("crash value %#v, want one carrying the message", out.crashed)
		}
	})
}

func TestInspectRuntime(t *testing.T) {
	rt := newFakeRuntime(t)
	rt.head = rt.StorePut(&State{Value: "v"})
	out := invoke(t, rt, MethodInspectRuntime, nil)
	if out.crashed != nil || out.aborted != nil {
		t.Fatalf("outcome %+v, want a normal return", out)
	}
	// [h'0064' caller f0100, h'0062' receiver f098, h'0007' value 7,
	//  1234 epoch, h'0003e8' balance 1000, ["v", []] state]
	want := "86" + "420064" + "420062" + "420007" + "1904d2" + "430003e8" + "82617680"
	if got := hex.EncodeToString(out.ret); got != want {
		t.Errorf("return %s, want %s", got, want)
	}
	if len(rt.validations) != 1 {
		t.Errorf("validations %v, want one accept-any", rt.validations)
	}
}
