package vm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/builtin"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	rtt "github.com/filecoin-project/go-state-types/rt"
	"github.com/ipfs/go-cid"

	rt0 "github.com/filecoin-project/specs-actors/actors/runtime"
	rt2 "github.com/filecoin-project/specs-actors/v2/actors/runtime"
	rt3 "github.com/filecoin-project/specs-actors/v3/actors/runtime"
	rt4 "github.com/filecoin-project/specs-actors/v4/actors/runtime"
	rt5 "github.com/filecoin-project/specs-actors/v5/actors/runtime"
	rt6 "github.com/filecoin-project/specs-actors/v6/actors/runtime"
	rt7 "github.com/filecoin-project/specs-actors/v7/actors/runtime"

	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
)

// Runtime is what one actor invocation sees: its caller, receiver and
// value, the state tree through gas-charged operations, syscalls and sends.
// It satisfies the runtime interfaces of specs-actors v0.9 and v2 (which
// have the same method set) and of v3 to v7 (which add syscalls), so later
// actors versions need only registering. Failures are reported the way actors expect: by
// panicking with an abort that the invocation boundary recovers.
type Runtime struct {
	ctx  context.Context
	m    *Machine
	call *callContext

	caller   address.Address
	receiver address.Address
	value    abi.TokenAmount
	depth    int
	frame    int

	// allowInternal is false while a state transaction is open: sending
	// then could re-enter the actor and observe or clobber its state.
	allowInternal   bool
	callerValidated bool

	// entry is the executing actor's registry entry (nil until invoked).
	entry *actors.Entry
	// sendCodes holds the failure codes this invocation's sends returned:
	// the system codes the actor may legitimately re-raise (see
	// protocol.Rules.PoliceAbortCodes).
	sendCodes []exitcode.ExitCode
	// loans are the state objects handed to the actor that it must not
	// mutate any more (see protocol.Rules.CheckStateMutation).
	loans []stateLoan
}

var (
	_ rt0.Runtime = (*Runtime)(nil)
	_ rt2.Runtime = (*Runtime)(nil)
	_ rt3.Runtime = (*Runtime)(nil)
	_ rt4.Runtime = (*Runtime)(nil)
	_ rt5.Runtime = (*Runtime)(nil)
	_ rt6.Runtime = (*Runtime)(nil)
	_ rt7.Runtime = (*Runtime)(nil)
)

func (rt *Runtime) chargeSafe(g gas.Charge) *actorError { return rt.call.charge(g, rt.frame) }

func (rt *Runtime) charge(g gas.Charge) {
	if err := rt.chargeSafe(g); err != nil {
		panic(err)
	}
}

// resolve maps addr to an ID address; ok is false when it has none.
func (rt *Runtime) resolve(addr address.Address) (address.Address, bool, *actorError) {
	id, err := rt.m.tree.LookupID(addr)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return address.Undef, false, nil
	case err != nil:
		return address.Undef, false, escalate(err, "resolve address "+addr.String())
	}
	return id, true, nil
}

// Caller is the ID address of the immediate caller.
func (rt *Runtime) Caller() address.Address { return rt.caller }

// Receiver is the address of the executing actor (an ID address from
// network version 4; before, as the message addressed it).
func (rt *Runtime) Receiver() address.Address { return rt.receiver }

// ValueReceived is the value sent with the invocation.
func (rt *Runtime) ValueReceived() abi.TokenAmount { return rt.value }

// NetworkVersion is the network version in force.
func (rt *Runtime) NetworkVersion() network.Version { return rt.m.cfg.NetworkVersion }

// CurrEpoch is the epoch of execution.
func (rt *Runtime) CurrEpoch() abi.ChainEpoch { return rt.m.cfg.Epoch }

// BaseFee is the base fee of the executing tipset.
func (rt *Runtime) BaseFee() abi.TokenAmount { return rt.m.cfg.BaseFee }

// TotalFilCircSupply is the configured circulating supply.
func (rt *Runtime) TotalFilCircSupply() abi.TokenAmount { return rt.m.cfg.CircSupply }

// Context is the context of the message being applied.
func (rt *Runtime) Context() context.Context { return rt.ctx }

// StartSpan is a tracing hook; the VM does not trace spans.
func (rt *Runtime) StartSpan(string) func() { return func() {} }

// Abortf aborts the invocation with an exit code. It is the actors' way to
// fail; the runtime's own checks use fail instead. Where the rules police
// abort codes (protocol.Rules.PoliceAbortCodes), a code the actor may not
// raise (see mayAbortWith) fails the call as an illegal actor instead.
func (rt *Runtime) Abortf(code exitcode.ExitCode, msg string, args ...interface{}) {
	if rt.m.rules.PoliceAbortCodes && !rt.mayAbortWith(code) {
		panic(abortf(exitcode.SysErrorIllegalActor, "actor aborted with exit code %d, which actors may not raise: %s",
			code, fmt.Sprintf(msg, args...)))
	}
	panic(abortf(code, msg, args...))
}

// mayAbortWith reports whether actor code may abort with code: an actor
// code, a system code one of its sends returned, or one of the few system
// codes builtin actors raise themselves (which chain history records). Zero
// is let through: abortf turns it into a fatal error of its own.
func (rt *Runtime) mayAbortWith(code exitcode.ExitCode) bool {
	if code == exitcode.Ok || code >= exitcode.FirstActorErrorCode {
		return true
	}
	if code < 0 {
		return false
	}
	if rt.entry != nil && rt.entry.RaisesSystemCode(code) {
		return true
	}
	for _, c := range rt.sendCodes {
		if c == code {
			return true
		}
	}
	return false
}

// fail aborts the invocation on behalf of the runtime itself (a failed
// caller validation, a forbidden operation): system exit codes are the
// runtime's to raise.
func (rt *Runtime) fail(code exitcode.ExitCode, msg string, args ...interface{}) {
	panic(abortf(code, msg, args...))
}

// ChargeGas lets actor code charge compute gas itself.
func (rt *Runtime) ChargeGas(name string, compute int64, virtual int64) {
	rt.charge(gas.Charge{Name: name, Compute: compute, VirtualCompute: virtual})
}

// Log forwards actor log lines to the configured logger.
func (rt *Runtime) Log(level rtt.LogLevel, msg string, args ...interface{}) {
	if rt.m.cfg.Logger != nil {
		rt.m.cfg.Logger.Logf("actor %s [%d]: %s", rt.receiver, level, fmt.Sprintf(msg, args...))
	}
}

func (rt *Runtime) validateOnce() {
	if rt.callerValidated {
		rt.fail(exitcode.SysErrorIllegalActor, "method must validate its caller exactly once")
	}
	rt.callerValidated = true
}

// ValidateImmediateCallerAcceptAny accepts any caller.
func (rt *Runtime) ValidateImmediateCallerAcceptAny() { rt.validateOnce() }

// ValidateImmediateCallerIs aborts unless the caller is one of addrs.
func (rt *Runtime) ValidateImmediateCallerIs(addrs ...address.Address) {
	rt.validateOnce()
	for _, a := range addrs {
		if a == rt.caller {
			return
		}
	}
	rt.fail(exitcode.SysErrForbidden, "caller %s is not one of %v", rt.caller, addrs)
}

// ValidateImmediateCallerType aborts unless the caller's code is one of types.
func (rt *Runtime) ValidateImmediateCallerType(types ...cid.Cid) {
	rt.validateOnce()
	code, ok := rt.GetActorCodeCID(rt.caller)
	if !ok {
		panic(fatalf("caller %s has no actor", rt.caller))
	}
	for _, t := range types {
		if t == code {
			return
		}
	}
	rt.fail(exitcode.SysErrForbidden, "caller code %s is not one of %v", code, types)
}

// CurrentBalance is the executing actor's balance.
func (rt *Runtime) CurrentBalance() abi.TokenAmount {
	a, err := rt.m.tree.GetActor(rt.receiver)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return big.Zero()
	case err != nil:
		panic(escalate(err, "get current balance"))
	}
	return a.Balance
}

// ResolveAddress maps addr to its ID address.
func (rt *Runtime) ResolveAddress(addr address.Address) (address.Address, bool) {
	id, ok, aerr := rt.resolve(addr)
	if aerr != nil {
		panic(aerr)
	}
	return id, ok
}

// GetActorCodeCID returns the code of the actor at addr.
func (rt *Runtime) GetActorCodeCID(addr address.Address) (cid.Cid, bool) {
	a, err := rt.m.tree.GetActor(addr)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return cid.Undef, false
	case err != nil:
		panic(escalate(err, "get actor code"))
	}
	return a.Code, true
}

// GetRandomnessFromTickets draws chain randomness.
func (rt *Runtime) GetRandomnessFromTickets(dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) abi.Randomness {
	if rt.m.cfg.Rand == nil {
		panic(fatalf("no randomness source configured"))
	}
	r, err := rt.m.cfg.Rand.ChainRandomness(rt.ctx, dst, epoch, entropy)
	if err != nil {
		panic(escalate(err, "chain randomness"))
	}
	return r
}

// GetRandomnessFromBeacon draws beacon randomness.
func (rt *Runtime) GetRandomnessFromBeacon(dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) abi.Randomness {
	if rt.m.cfg.Rand == nil {
		panic(fatalf("no randomness source configured"))
	}
	r, err := rt.m.cfg.Rand.BeaconRandomness(rt.ctx, dst, epoch, entropy)
	if err != nil {
		panic(escalate(err, "beacon randomness"))
	}
	return r
}

// Send sends a message from the executing actor and returns its exit code;
// on success the return value is decoded into out.
func (rt *Runtime) Send(to address.Address, method abi.MethodNum, params cbor.Marshaler, value abi.TokenAmount, out cbor.Er) exitcode.ExitCode {
	if !rt.allowInternal {
		rt.fail(exitcode.SysErrorIllegalActor, "send is not allowed inside a state transaction")
	}
	var enc []byte
	if params != nil {
		var buf bytes.Buffer
		if err := params.MarshalCBOR(&buf); err != nil {
			rt.fail(exitcode.ErrSerialization, "encode send parameters: %v", err)
		}
		enc = buf.Bytes()
	}
	ret, aerr := rt.internalSend(rt.receiver, to, method, value, enc)
	if aerr != nil {
		if aerr.fatal || aerr.raiseInParent {
			raised := *aerr
			raised.raiseInParent = false
			panic(&raised)
		}
		rt.sendCodes = append(rt.sendCodes, aerr.code)
		return aerr.code
	}
	_ = rt.chargeSafe(gas.Named(gas.NameOnActorExec))
	if err := out.UnmarshalCBOR(bytes.NewReader(ret)); err != nil {
		rt.fail(exitcode.ErrSerialization, "decode send return value: %v", err)
	}
	return exitcode.Ok
}

// internalSend runs a nested send in a snapshot that is reverted if it fails.
func (rt *Runtime) internalSend(from, to address.Address, method abi.MethodNum, value abi.TokenAmount, params []byte) ([]byte, *actorError) {
	tree := rt.m.tree
	tree.Snapshot()
	defer func() {
		if err := tree.ClearSnapshot(); err != nil {
			panic(escalate(err, "close send snapshot"))
		}
	}()
	ret, aerr := rt.m.send(rt.ctx, rt.call, rt, sendParams{from: from, to: to, method: method, value: value, params: params}, nil)
	if aerr != nil {
		tree.Revert()
	}
	return ret, aerr
}

// NewActorAddress derives a fresh actor address from the origin of the
// message, its nonce and the number of actors created so far.
func (rt *Runtime) NewActorAddress() address.Address {
	origin := rt.originKey()
	var buf bytes.Buffer
	if err := origin.MarshalCBOR(&buf); err != nil {
		panic(escalate(err, "encode origin address"))
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], rt.call.originNonce)
	buf.Write(n[:])
	binary.BigEndian.PutUint64(n[:], rt.call.actorsCreated)
	buf.Write(n[:])
	a, err := address.NewActorAddress(buf.Bytes())
	if err != nil {
		panic(escalate(err, "derive actor address"))
	}
	rt.call.actorsCreated++
	return a
}

// originKey is the key address of the message's origin (undefined if it
// cannot be found), read without charging gas.
func (rt *Runtime) originKey() address.Address {
	o := rt.call.origin
	if o.Protocol() == address.BLS || o.Protocol() == address.SECP256K1 {
		return o
	}
	a, err := rt.m.tree.GetActor(o)
	if err != nil {
		return address.Undef
	}
	k, err := builtin.AccountPubkey(rt.ctx, rt.m.store, a.Code, a.Head)
	if err != nil {
		return address.Undef
	}
	return k
}

// CreateActor creates an actor of a builtin code at addr.
func (rt *Runtime) CreateActor(code cid.Cid, addr address.Address) {
	if addr == address.Undef && rt.m.rules.CheckCreateActorAddress {
		rt.fail(exitcode.SysErrorIllegalArgument, "create actor with undefined address")
	}
	e, ok := rt.m.registry.Lookup(code)
	if !ok {
		rt.fail(exitcode.SysErrorIllegalArgument, "can only create builtin actors, not %s", code)
	}
	if !e.RunsUnder(rt.m.rules.ActorsVersion) {
		rt.fail(exitcode.SysErrorIllegalArgument, "actor code %s is actors version %d, network uses %d", code, e.Version, rt.m.rules.ActorsVersion)
	}
	if rtt.IsSingletonActor(e.Actor) {
		rt.fail(exitcode.SysErrorIllegalArgument, "singleton actor %s cannot be created", code)
	}
	if _, err := rt.m.tree.GetActor(addr); err == nil {
		rt.fail(exitcode.SysErrorIllegalArgument, "actor address %s already exists", addr)
	}
	rt.charge(rt.m.prices.OnCreateActor())
	if err := rt.m.tree.SetActor(addr, &state.Actor{Code: code, Head: emptyObjectCID, Balance: big.Zero()}); err != nil {
		panic(escalate(err, "store created actor"))
	}
	_ = rt.chargeSafe(gas.Named(gas.NameOnActorExec))
}

// DeleteActor deletes the executing actor, moving its balance to beneficiary.
func (rt *Runtime) DeleteActor(beneficiary address.Address) {
	rt.charge(rt.m.prices.OnDeleteActor())
	a, err := rt.m.tree.GetActor(rt.receiver)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		rt.fail(exitcode.SysErrorIllegalActor, "delete actor: %v", err)
	case err != nil:
		panic(escalate(err, "delete actor: get actor"))
	}
	if !a.Balance.IsZero() {
		if rt.m.rules.CheckDeleteBeneficiary || rt.m.rules.RejectSelfBeneficiary {
			id, ok := rt.ResolveAddress(beneficiary)
			if !ok && rt.m.rules.CheckDeleteBeneficiary {
				rt.fail(exitcode.SysErrorIllegalArgument, "beneficiary %s does not exist", beneficiary)
			}
			if self, _ := rt.ResolveAddress(rt.receiver); ok && id == self {
				rt.fail(exitcode.SysErrorIllegalArgument, "actor cannot be its own beneficiary")
			}
		}
		if aerr := rt.m.transfer(rt.receiver, beneficiary, a.Balance); aerr != nil {
			panic(&actorError{fatal: true, msg: "move balance to beneficiary", cause: aerr})
		}
	}
	if err := rt.m.tree.DeleteActor(rt.receiver); err != nil {
		panic(escalate(err, "delete actor"))
	}
	_ = rt.chargeSafe(gas.Named(gas.NameOnActorExec))
}
