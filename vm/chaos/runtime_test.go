package chaos

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/filecoin-project/specs-actors/v2/actors/runtime"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// fakeRuntime is the smallest v2 runtime the chaos actor's methods need. The
// embedded nil interface makes it satisfy runtime.Runtime; any method the actor
// should not use is left unimplemented and crashes the call if reached, which
// the tests treat as a failure.
type fakeRuntime struct {
	runtime.Runtime

	caller     address.Address
	callerCode cid.Cid
	receiver   address.Address
	value      abi.TokenAmount
	balance    abi.TokenAmount
	epoch      abi.ChainEpoch

	// head is the actor's state root, cid.Undef until a state exists.
	head  cid.Cid
	store map[cid.Cid][]byte

	// resolve maps addresses the fake init actor knows to ID addresses.
	resolve map[address.Address]address.Address
	// callee answers Send: it sees the encoded params and returns the callee's
	// encoded return and exit code.
	callee func(to address.Address, method abi.MethodNum, params []byte, value abi.TokenAmount) ([]byte, exitcode.ExitCode)

	// Observations.
	validations []string
	created     []createdActor
	deleted     []address.Address
	sends       []sentMessage
}

type createdActor struct {
	code cid.Cid
	addr address.Address
}

type sentMessage struct {
	to     address.Address
	method abi.MethodNum
	params []byte
	value  abi.TokenAmount
}

// abortSignal is what fakeRuntime.Abortf panics with, as a real runtime would.
type abortSignal struct {
	code exitcode.ExitCode
	msg  string
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	t.Helper()
	return &fakeRuntime{
		caller:     idAddr(t, 100),
		callerCode: fakeAccountCode(t),
		receiver:   Address,
		value:      big.NewInt(7),
		balance:    big.NewInt(1000),
		epoch:      1234,
		head:       cid.Undef,
		store:      map[cid.Cid][]byte{},
		resolve:    map[address.Address]address.Address{},
	}
}

func idAddr(t *testing.T, id uint64) address.Address {
	t.Helper()
	a, err := address.NewIDAddress(id)
	if err != nil {
		t.Fatalf("id address %d: %v", id, err)
	}
	return a
}

func fakeAccountCode(t *testing.T) cid.Cid {
	t.Helper()
	c, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.IDENTITY}.Sum([]byte("fil/2/account"))
	if err != nil {
		t.Fatalf("account code cid: %v", err)
	}
	return c
}

func (r *fakeRuntime) Caller() address.Address         { return r.caller }
func (r *fakeRuntime) Receiver() address.Address       { return r.receiver }
func (r *fakeRuntime) ValueReceived() abi.TokenAmount  { return r.value }
func (r *fakeRuntime) CurrEpoch() abi.ChainEpoch       { return r.epoch }
func (r *fakeRuntime) CurrentBalance() abi.TokenAmount { return r.balance }
func (r *fakeRuntime) NetworkVersion() network.Version { return network.Version4 }
func (r *fakeRuntime) ValidateImmediateCallerAcceptAny() {
	r.validations = append(r.validations, "any")
}

func (r *fakeRuntime) ValidateImmediateCallerIs(addrs ...address.Address) {
	r.validations = append(r.validations, isEntry(addrs...))
	for _, a := range addrs {
		if a == r.caller {
			return
		}
	}
	r.Abortf(exitcode.SysErrForbidden, "caller %s not in %v", r.caller, addrs)
}

func (r *fakeRuntime) ValidateImmediateCallerType(types ...cid.Cid) {
	r.validations = append(r.validations, typeEntry(types...))
	for _, c := range types {
		if c.Equals(r.callerCode) {
			return
		}
	}
	r.Abortf(exitcode.SysErrForbidden, "caller code %s not in %v", r.callerCode, types)
}

// isEntry and typeEntry describe one validation call in fakeRuntime.validations.
func isEntry(addrs ...address.Address) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = hex.EncodeToString(a.Bytes())
	}
	return "is[" + strings.Join(parts, " ") + "]"
}

func typeEntry(types ...cid.Cid) string {
	parts := make([]string, len(types))
	for i, c := range types {
		parts[i] = c.String()
	}
	return "type[" + strings.Join(parts, " ") + "]"
}

func (r *fakeRuntime) Abortf(code exitcode.ExitCode, msg string, args ...interface{}) {
	panic(abortSignal{code: code, msg: fmt.Sprintf(msg, args...)})
}

func (r *fakeRuntime) ResolveAddress(a address.Address) (address.Address, bool) {
	if a.Protocol() == address.ID {
		return a, true
	}
	id, ok := r.resolve[a]
	return id, ok
}

func (r *fakeRuntime) CreateActor(code cid.Cid, addr address.Address) {
	r.created = append(r.created, createdActor{code: code, addr: addr})
}

func (r *fakeRuntime) DeleteActor(beneficiary address.Address) {
	r.deleted = append(r.deleted, beneficiary)
}

func (r *fakeRuntime) Send(to address.Address, method abi.MethodNum, params cbor.Marshaler, value abi.TokenAmount, out cbor.Er) exitcode.ExitCode {
	var buf bytes.Buffer
	if err := params.MarshalCBOR(&buf); err != nil {
		r.Abortf(exitcode.ErrSerialization, "marshal send params: %v", err)
	}
	r.sends = append(r.sends, sentMessage{to: to, method: method, params: buf.Bytes(), value: value})
	ret, code := r.callee(to, method, buf.Bytes(), value)
	if code.IsSuccess() {
		if err := out.UnmarshalCBOR(bytes.NewReader(ret)); err != nil {
			r.Abortf(exitcode.ErrSerialization, "unmarshal send return: %v", err)
		}
	}
	return code
}

func (r *fakeRuntime) StorePut(x cbor.Marshaler) cid.Cid {
	var buf bytes.Buffer
	if err := x.MarshalCBOR(&buf); err != nil {
		r.Abortf(exitcode.ErrSerialization, "store put: %v", err)
	}
	c, err := cid.V1Builder{Codec: cid.DagCBOR, MhType: multihash.BLAKE2B_MIN + 31}.Sum(buf.Bytes())
	if err != nil {
		r.Abortf(exitcode.SysErrorIllegalArgument, "store put cid: %v", err)
	}
	r.store[c] = buf.Bytes()
	return c
}

func (r *fakeRuntime) StoreGet(c cid.Cid, o cbor.Unmarshaler) bool {
	raw, ok := r.store[c]
	if !ok {
		return false
	}
	if err := o.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		r.Abortf(exitcode.ErrSerialization, "store get %s: %v", c, err)
	}
	return true
}

func (r *fakeRuntime) StateCreate(obj cbor.Marshaler) {
	if r.head.Defined() {
		r.Abortf(exitcode.SysErrorIllegalActor, "state already exists")
	}
	r.head = r.StorePut(obj)
}

func (r *fakeRuntime) StateReadonly(obj cbor.Unmarshaler) {
	if !r.StoreGet(r.head, obj) {
		r.Abortf(exitcode.SysErrorIllegalArgument, "no state at %s", r.head)
	}
}

func (r *fakeRuntime) StateTransaction(obj cbor.Er, f func()) {
	r.StateReadonly(obj)
	f()
	r.head = r.StorePut(obj)
}

// storedState decodes the actor's current head.
func (r *fakeRuntime) storedState(t *testing.T) State {
	t.Helper()
	var st State
	raw, ok := r.store[r.head]
	if !ok {
		t.Fatalf("no state stored at head %s", r.head)
	}
	if err := st.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		t.Fatalf("decode stored state: %v", err)
	}
	return st
}

// outcome is how one invocation ended.
type outcome struct {
	ret     []byte       // encoded return; nil for an empty return
	aborted *abortSignal // set when the actor aborted through the runtime
	crashed interface{}  // set when it panicked with anything else
}

// invoke calls method num of Actor the way a reflection-based VM invoker does:
// params are decoded into the method's parameter type, and the returned
// pointer (if not nil) is encoded. It proves Exports is shaped for such an
// invoker as much as it drives the method.
func invoke(t *testing.T, rt *fakeRuntime, num abi.MethodNum, params []byte) (out outcome) {
	t.Helper()
	exports := Actor{}.Exports()
	if int(num) >= len(exports) || exports[num] == nil {
		t.Fatalf("method %d not exported", num)
	}
	fn := reflect.ValueOf(exports[num])
	arg := reflect.New(fn.Type().In(1).Elem())
	if err := arg.Interface().(cbor.Unmarshaler).UnmarshalCBOR(bytes.NewReader(params)); err != nil {
		t.Fatalf("method %d: decode params %x: %v", num, params, err)
	}
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(abortSignal); ok {
				out.aborted = &a
				return
			}
			out.crashed = r
		}
	}()
	res := fn.Call([]reflect.Value{reflect.ValueOf(runtime.Runtime(rt)), arg})[0]
	if res.IsNil() {
		return out
	}
	var buf bytes.Buffer
	if err := res.Interface().(cbor.Marshaler).MarshalCBOR(&buf); err != nil {
		t.Fatalf("method %d: encode return: %v", num, err)
	}
	out.ret = buf.Bytes()
	return out
}

// encode marshals v or fails the test.
func encode(t *testing.T, v cbor.Marshaler) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return buf.Bytes()
}
