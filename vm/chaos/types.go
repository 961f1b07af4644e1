package chaos

import (
	"errors"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
)

// The structs below are the chaos actor's ABI. Each encodes as a CBOR tuple of
// its fields in declaration order (see cbor_gen.go, produced by ./gen), so field
// order and Go types are part of the wire format and must match what test
// vectors contain. Do not reorder, rename types of, or add fields.

// State is the chaos actor's on-chain state: a CBOR tuple [Value, Unmarshallable].
type State struct {
	// Value is the string MutateState writes, so that a vector can check from
	// the post-state which of the legal or illegal writes the VM let through.
	Value string
	// Unmarshallable is empty in every legal state, which encodes as an empty
	// CBOR array. Any element makes encoding (and decoding) fail, a way to put
	// the runtime's state serialisation error paths under test.
	Unmarshallable []*UnmarshallableCBOR
}

// errUnmarshallable is what UnmarshallableCBOR reports for both directions.
var errUnmarshallable = errors.New("chaos: UnmarshallableCBOR never (un)marshals")

// UnmarshallableCBOR satisfies the CBOR interfaces but always fails, so that a
// State holding one cannot be stored or loaded.
type UnmarshallableCBOR struct{}

// MarshalCBOR always fails.
func (*UnmarshallableCBOR) MarshalCBOR(io.Writer) error { return errUnmarshallable }

// UnmarshalCBOR always fails.
func (*UnmarshallableCBOR) UnmarshalCBOR(io.Reader) error { return errUnmarshallable }

// CallerValidationBranch selects what CallerValidation asks the runtime to check.
type CallerValidationBranch int64

// CallerValidation branches; the numbers are on the wire.
const (
	// CallerValidationBranchNone validates nothing, which the VM must punish
	// because every method has to validate its caller.
	CallerValidationBranchNone CallerValidationBranch = 0
	// CallerValidationBranchTwice accepts any caller twice in a row, which the
	// VM must reject as a second validation.
	CallerValidationBranchTwice CallerValidationBranch = 1
	// CallerValidationBranchIsAddress requires the caller to be one of Addrs.
	CallerValidationBranchIsAddress CallerValidationBranch = 2
	// CallerValidationBranchIsType requires the caller's code to be one of Types.
	CallerValidationBranchIsType CallerValidationBranch = 3
)

// CallerValidationArgs are the parameters of MethodCallerValidation.
type CallerValidationArgs struct {
	Branch CallerValidationBranch
	Addrs  []address.Address
	Types  []cid.Cid
}

// CreateActorArgs are the parameters of MethodCreateActor. CBOR cannot carry an
// undefined CID or address, so the two flags stand in for them: when set, the
// matching field is ignored and the runtime receives cid.Undef / address.Undef.
type CreateActorArgs struct {
	UndefActorCID bool
	ActorCID      cid.Cid
	UndefAddress  bool
	Address       address.Address
}

// ResolveAddressResponse is the return of MethodResolveAddress. When Success is
// false the runtime found nothing and Address is f00, a placeholder (an undefined
// address would not encode).
type ResolveAddressResponse struct {
	Address address.Address
	Success bool
}

// SendArgs are the parameters of MethodSend: one message the chaos actor sends on
// its own behalf. Params are already-encoded bytes, passed through untouched.
type SendArgs struct {
	To     address.Address
	Value  abi.TokenAmount
	Method abi.MethodNum
	Params []byte
}

// SendReturn is the return of MethodSend: the callee's raw return bytes and exit
// code, so a vector can observe a failed inner send without the outer call failing.
type SendReturn struct {
	Return []byte
	Code   exitcode.ExitCode
}

// MutateStateBranch selects how MutateState writes its value.
type MutateStateBranch int64

// MutateState branches; the numbers are on the wire.
const (
	// MutateInTransaction writes inside a state transaction: legal.
	MutateInTransaction MutateStateBranch = 0
	// MutateReadonly writes to a copy obtained read-only: illegal.
	MutateReadonly MutateStateBranch = 1
	// MutateAfterTransaction commits Value+"-in" in a transaction and then keeps
	// writing to the same object after it closed: illegal.
	MutateAfterTransaction MutateStateBranch = 2
)

// MutateStateArgs are the parameters of MethodMutateState.
type MutateStateArgs struct {
	Value  string
	Branch MutateStateBranch
}

// AbortWithArgs are the parameters of MethodAbortWith. With Uncontrolled set
// the actor panics with Message instead of aborting through the runtime, and
// Code is ignored.
type AbortWithArgs struct {
	Code         exitcode.ExitCode
	Message      string
	Uncontrolled bool
}

// InspectRuntimeReturn is the return of MethodInspectRuntime: what the runtime
// told the actor about the current call, plus its state at that moment.
type InspectRuntimeReturn struct {
	Caller         address.Address
	Receiver       address.Address
	ValueReceived  abi.TokenAmount
	CurrEpoch      abi.ChainEpoch
	CurrentBalance abi.TokenAmount
	State          State
}

// ABITypes lists, as zero values, the types whose tuple encoders cbor_gen.go
// holds. The generator (./gen) and the drift test both read this one list, so
// adding a type here is all it takes to have it generated and checked.
func ABITypes() []interface{} {
	return []interface{}{
		State{},
		CallerValidationArgs{},
		CreateActorArgs{},
		ResolveAddressResponse{},
		SendArgs{},
		SendReturn{},
		MutateStateArgs{},
		AbortWithArgs{},
		InspectRuntimeReturn{},
	}
}
