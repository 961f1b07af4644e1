// Package chaos implements the chaos actor: a test-only actor that misbehaves on
// request so that conformance vectors can check how the VM enforces its
// invariants (caller validation, state transactions, actor creation and
// deletion, aborts, address resolution).
//
// The actor is not part of any network. Vectors that need it carry the selector
// chaos_actor=true, and their pre-state already holds it at Address with code
// CodeCID. A VM that wants to run them registers Actor under CodeCID; its
// methods are written against the specs-actors v2 runtime interface.
//
// Method numbers, encodings and behaviour follow the actor the public vectors
// were generated with (Lotus conformance/chaos at v1.15.3); each is on the wire
// or observable in a vector's receipts and post-state.
package chaos

//go:generate go run ./gen

import (
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/rt"
	"github.com/filecoin-project/specs-actors/v2/actors/builtin"
	"github.com/filecoin-project/specs-actors/v2/actors/runtime"
	"github.com/ipfs/go-cid"
)

// Method numbers of the chaos actor, as carried by messages in the vectors.
const (
	MethodConstructor      abi.MethodNum = 1
	MethodCallerValidation abi.MethodNum = 2
	MethodCreateActor      abi.MethodNum = 3
	MethodResolveAddress   abi.MethodNum = 4
	MethodDeleteActor      abi.MethodNum = 5
	MethodSend             abi.MethodNum = 6
	MethodMutateState      abi.MethodNum = 7
	MethodAbortWith        abi.MethodNum = 8
	MethodInspectRuntime   abi.MethodNum = 9
	MethodCreateState      abi.MethodNum = 10
)

// Actor is the chaos actor. It has no fields: all it knows comes from the
// runtime and its parameters, so one value serves any number of concurrent VMs.
//
// Every method takes the v2 runtime and a pointer parameter and returns a
// pointer (nil for *abi.EmptyValue), the shape reflection-based invokers expect.
//
// Some methods panic with a value that is not a runtime abort: the Constructor,
// AbortWith with Uncontrolled set, and CallerValidation or MutateState given an
// unknown branch. That is deliberate: it is how the reference actor behaves and
// vectors record the exit code a VM gives an actor that crashes, so the VM must
// recover these panics at its invocation boundary.
type Actor struct{}

var _ rt.VMActor = Actor{}

// Exports returns the methods indexed by method number; index 0 (send) is nil.
func (a Actor) Exports() []interface{} {
	return []interface{}{
		MethodConstructor:      a.Constructor,
		MethodCallerValidation: a.CallerValidation,
		MethodCreateActor:      a.CreateActor,
		MethodResolveAddress:   a.ResolveAddress,
		MethodDeleteActor:      a.DeleteActor,
		MethodSend:             a.Send,
		MethodMutateState:      a.MutateState,
		MethodAbortWith:        a.AbortWith,
		MethodInspectRuntime:   a.InspectRuntime,
		MethodCreateState:      a.CreateState,
	}
}

// Code returns CodeCID.
func (Actor) Code() cid.Cid { return CodeCID }

// State returns a fresh State for decoding the actor's head.
func (Actor) State() cbor.Er { return new(State) }

// IsSingleton reports true: the actor only ever lives at Address, placed there
// by the vector, and cannot be created through the init actor.
func (Actor) IsSingleton() bool { return true }

// crash is the value the actor panics with when it fails outside the runtime's
// abort mechanism. Its text ends up in the VM's diagnostics only.
type crash string

// String gives VMs that log recovered values a readable line. crash is
// deliberately not an error, so a VM cannot mistake it for one of its own
// (possibly fatal) failures.
func (c crash) String() string { return "chaos actor crashed: " + string(c) }

// Constructor always crashes: the chaos actor is a singleton that exists only
// because a vector's pre-state contains it, never through construction.
func (Actor) Constructor(_ runtime.Runtime, _ *abi.EmptyValue) *abi.EmptyValue {
	panic(crash("the constructor must not be called; the actor is a singleton"))
}

// CallerValidation performs the caller validation selected by args.Branch:
// none, accept-any twice, caller address in args.Addrs, or caller code in
// args.Types. Only the address and type branches can succeed under a correct VM.
func (Actor) CallerValidation(rt runtime.Runtime, args *CallerValidationArgs) *abi.EmptyValue {
	switch args.Branch {
	case CallerValidationBranchNone:
	case CallerValidationBranchTwice:
		rt.ValidateImmediateCallerAcceptAny()
		rt.ValidateImmediateCallerAcceptAny()
	case CallerValidationBranchIsAddress:
		rt.ValidateImmediateCallerIs(args.Addrs...)
	case CallerValidationBranchIsType:
		rt.ValidateImmediateCallerType(args.Types...)
	default:
		panic(crash(fmt.Sprintf("unknown caller validation branch %d", args.Branch)))
	}
	return nil
}

// CreateActor asks the runtime to create an actor, something only the init
// actor may normally do; the undef flags let a vector pass cid.Undef or
// address.Undef, which CBOR cannot express.
func (Actor) CreateActor(rt runtime.Runtime, args *CreateActorArgs) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	code, addr := args.ActorCID, args.Address
	if args.UndefActorCID {
		code = cid.Undef
	}
	if args.UndefAddress {
		addr = address.Undef
	}
	rt.CreateActor(code, addr)
	return nil
}

// ResolveAddress reports what the runtime resolves *target to. A failed lookup
// is a successful call returning Success=false and the f00 placeholder.
func (Actor) ResolveAddress(rt runtime.Runtime, target *address.Address) *ResolveAddressResponse {
	rt.ValidateImmediateCallerAcceptAny()
	resolved, ok := rt.ResolveAddress(*target)
	if !ok {
		resolved = mustIDAddress(0)
	}
	return &ResolveAddressResponse{Address: resolved, Success: ok}
}

// DeleteActor deletes the chaos actor itself, sending its balance to
// *beneficiary; the runtime decides whether that beneficiary is acceptable.
func (Actor) DeleteActor(rt runtime.Runtime, beneficiary *address.Address) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	rt.DeleteActor(*beneficiary)
	return nil
}

// Send performs one internal send and reports its exit code and raw return
// instead of failing, so a vector sees the inner call's outcome in the receipt.
func (Actor) Send(rt runtime.Runtime, args *SendArgs) *SendReturn {
	rt.ValidateImmediateCallerAcceptAny()
	var ret builtin.CBORBytes
	code := rt.Send(args.To, args.Method, builtin.CBORBytes(args.Params), args.Value, &ret)
	return &SendReturn{Return: ret, Code: code}
}

// CreateState installs an empty State as the actor's head.
func (Actor) CreateState(rt runtime.Runtime, _ *abi.EmptyValue) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	rt.StateCreate(&State{})
	return nil
}

// MutateState writes args.Value into the state the way args.Branch says (see
// MutateStateBranch). The two illegal branches only touch an object the runtime
// handed out: whether that reaches the state tree is what the vector checks.
func (Actor) MutateState(rt runtime.Runtime, args *MutateStateArgs) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	var st State
	switch args.Branch {
	case MutateInTransaction:
		rt.StateTransaction(&st, func() { st.Value = args.Value })
	case MutateReadonly:
		rt.StateReadonly(&st)
		st.Value = args.Value
	case MutateAfterTransaction:
		rt.StateTransaction(&st, func() { st.Value = args.Value + "-in" })
		st.Value = args.Value
	default:
		panic(crash(fmt.Sprintf("unknown state mutation branch %d", args.Branch)))
	}
	return nil
}

// AbortWith fails the call on purpose: through rt.Abortf with args.Code (any
// value, including system and negative codes the VM should police), or, when
// args.Uncontrolled is set, by crashing outside the runtime. It validates no
// caller, as it never returns normally.
func (Actor) AbortWith(rt runtime.Runtime, args *AbortWithArgs) *abi.EmptyValue {
	if args.Uncontrolled {
		panic(crash(args.Message))
	}
	rt.Abortf(args.Code, "%s", args.Message)
	return nil
}

// InspectRuntime returns what the runtime exposes about the current call and
// the actor's current state, so a vector can check e.g. that Caller and
// Receiver are always ID addresses.
func (Actor) InspectRuntime(rt runtime.Runtime, _ *abi.EmptyValue) *InspectRuntimeReturn {
	rt.ValidateImmediateCallerAcceptAny()
	var st State
	rt.StateReadonly(&st)
	return &InspectRuntimeReturn{
		Caller:         rt.Caller(),
		Receiver:       rt.Receiver(),
		ValueReceived:  rt.ValueReceived(),
		CurrEpoch:      rt.CurrEpoch(),
		CurrentBalance: rt.CurrentBalance(),
		State:          st,
	}
}
