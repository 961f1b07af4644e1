package vm

import (
	"bytes"
	"context"
	"errors"
	"github.com/tvx-project/tvx/builtin"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
)

// callContext is what all the frames of one top-level message share: the
// gas tank, the origin (for actor address derivation) and the count of
// actors created so far.
type callContext struct {
	m             *Machine
	limit         int64
	used          int64
	origin        address.Address
	originNonce   uint64
	actorsCreated uint64
	tracing       bool
	trace         []TracedCharge
	// frames holds the parent frame of every frame opened, in order (-1 for
	// the top frame), so a trace can be regrouped by call frame.
	frames []int
}

func newCallContext(m *Machine, msg *Message, limit int64) *callContext {
	return &callContext{m: m, limit: limit, origin: msg.From, originNonce: msg.Nonce, tracing: m.cfg.TraceGas}
}

// charge consumes gas; running out uses up the whole limit and fails the
// send with SysErrOutOfGas. Negative charges (refunds) are allowed.
func (c *callContext) charge(g gas.Charge, frame int) *actorError {
	if c.tracing {
		c.trace = append(c.trace, TracedCharge{Charge: g, Frame: frame})
	}
	total := g.Total()
	if c.used > c.limit-total {
		used := c.used
		c.used = c.limit
		return abortf(exitcode.SysErrOutOfGas, "out of gas: used %d, limit %d, charge %s %d", used, c.limit, g.Name, total)
	}
	c.used += total
	return nil
}

// sendParams describe one send, top-level or internal.
type sendParams struct {
	from, to address.Address
	method   abi.MethodNum
	value    abi.TokenAmount
	params   []byte
}

// send runs one send in a new frame below parent (nil for a top-level
// message): implicit account creation for an unknown key-address receiver,
// the invocation charge, the value transfer and the method call. initial,
// when set, is charged first (the top-level message's on-chain cost).
//
// Aborts raised while setting up the frame (call depth, sends inside a
// state transaction) belong to the parent and are returned as errPanic to
// be re-raised there.
func (m *Machine) send(ctx context.Context, call *callContext, parent *Runtime, p sendParams, initial *gas.Charge) ([]byte, *actorError) {
	rt, aerr := m.newFrame(ctx, call, parent, p)
	if aerr != nil {
		return nil, aerr
	}
	if initial != nil {
		if err := rt.chargeSafe(*initial); err != nil {
			return nil, wrapAE(err, "gas limit does not cover the message's on-chain cost")
		}
	}
	ret, aerr := m.dispatch(rt, p)
	return ret, aerr
}

func (m *Machine) dispatch(rt *Runtime, p sendParams) ([]byte, *actorError) {
	_ = rt.chargeSafe(gas.Named(gas.NameOnGetActor))
	to, err := m.tree.GetActor(p.to)
	if err != nil {
		if !errors.Is(err, state.ErrActorNotFound) {
			return nil, escalate(err, "get receiver actor")
		}
		created, id, aerr := m.createAccount(rt, p.to)
		if aerr != nil {
			return nil, wrapAE(aerr, "could not create account")
		}
		to = created
		if m.rules.ResolveReceiver {
			rt.receiver = id
		}
	}

	if aerr := rt.chargeSafe(m.prices.OnMethodInvocation(p.value, p.method)); aerr != nil {
		return nil, wrapAE(aerr, "not enough gas for method invocation")
	}
	// A zero charge marking the end of the invocation, for trace alignment.
	defer func() { _ = rt.chargeSafe(gas.Named(gas.NameOnMethodInvocationDone)) }()

	if !p.value.IsZero() {
		if aerr := m.transfer(p.from, p.to, p.value); aerr != nil {
			return nil, wrapAE(aerr, "failed to transfer funds")
		}
	}
	if p.method == 0 {
		return nil, nil
	}
	_ = rt.chargeSafe(gas.Named(gas.NameOnActorExec))
	return m.invoke(rt, to, p.method, p.params)
}

// newFrame makes the runtime for a send. The caller is always resolved to
// an ID address; the receiver is resolved where the network version says so
// (and may be undefined if the receiver does not exist yet).
func (m *Machine) newFrame(ctx context.Context, call *callContext, parent *Runtime, p sendParams) (*Runtime, *actorError) {
	rt := &Runtime{ctx: ctx, m: m, call: call, value: p.value, allowInternal: true, frame: len(call.frames)}
	parentFrame := -1
	if parent != nil {
		parentFrame = parent.frame
	}
	call.frames = append(call.frames, parentFrame)
	if parent != nil {
		if !parent.allowInternal && m.rules.ForbidSendInTransaction {
			return nil, &actorError{code: exitcode.SysErrForbidden, msg: "internal calls currently disabled", raiseInParent: true}
		}
		rt.depth = parent.depth + 1
	}
	if rt.depth > protocol.MaxCallDepth && m.rules.CallDepthLimit {
		return nil, &actorError{code: exitcode.SysErrForbidden, msg: "message execution exceeds call depth", raiseInParent: parent != nil}
	}
	from, ok, aerr := rt.resolve(p.from)
	if aerr != nil {
		aerr.raiseInParent = parent != nil
		return nil, aerr
	}
	if !ok {
		return nil, &actorError{code: exitcode.SysErrInvalidReceiver, msg: "resolve message sender " + p.from.String(), raiseInParent: parent != nil}
	}
	rt.caller = from
	rt.receiver = p.to
	if m.rules.ResolveReceiver {
		to, _, aerr := rt.resolve(p.to)
		if aerr != nil {
			aerr.raiseInParent = parent != nil
			return nil, aerr
		}
		rt.receiver = to
	}
	return rt, nil
}

// createAccount creates an account actor for a key address that has none,
// registering a new ID for it and running the account constructor.
func (m *Machine) createAccount(rt *Runtime, addr address.Address) (*state.Actor, address.Address, *actorError) {
	if aerr := rt.chargeSafe(m.prices.OnCreateActor()); aerr != nil {
		return nil, address.Undef, aerr
	}
	if m.rules.RejectZeroBLSAccount && addr == builtin.ZeroBLSKey() {
		return nil, address.Undef, abortf(exitcode.ErrIllegalArgument, "cannot create the zero BLS account")
	}
	id, err := m.tree.RegisterNewAddress(addr)
	if err != nil {
		return nil, address.Undef, escalate(err, "register account address")
	}
	switch addr.Protocol() {
	case address.BLS, address.SECP256K1:
	case address.ID:
		return nil, address.Undef, abortf(exitcode.SysErrInvalidReceiver, "no actor with ID %s", addr)
	case address.Actor:
		return nil, address.Undef, abortf(exitcode.SysErrInvalidReceiver, "no actor at %s", addr)
	default:
		return nil, address.Undef, abortf(exitcode.SysErrInvalidReceiver, "address %s has unsupported protocol %d", addr, addr.Protocol())
	}
	code, err := builtin.AccountCode(m.rules.ActorsVersion)
	if err != nil {
		return nil, address.Undef, escalate(err, "account code")
	}
	if err := m.tree.SetActor(id, &state.Actor{Code: code, Head: emptyObjectCID, Balance: big.Zero()}); err != nil {
		return nil, address.Undef, escalate(err, "store new account actor")
	}
	var params bytes.Buffer
	if err := addr.MarshalCBOR(&params); err != nil {
		return nil, address.Undef, escalate(err, "encode account constructor params")
	}
	if _, aerr := rt.internalSend(builtin0.SystemActorAddr, id, builtin0.MethodConstructor, big.Zero(), params.Bytes()); aerr != nil {
		return nil, address.Undef, wrapAE(aerr, "account constructor failed")
	}
	act, err := m.tree.GetActor(id)
	if err != nil {
		return nil, address.Undef, escalate(err, "load new account actor")
	}
	return act, id, nil
}

// transfer moves value between two actors. Sends to self (by address or by
// ID) move nothing; the order of the checks is consensus-relevant and set
// by the network version.
func (m *Machine) transfer(from, to address.Address, amt abi.TokenAmount) *actorError {
	var fromID, toID address.Address
	var f *state.Actor
	var err error
	if m.rules.TransferChecksBalanceFirst {
		if amt.Sign() < 0 {
			return abortf(exitcode.SysErrForbidden, "attempted to transfer negative value %s", amt)
		}
		if fromID, err = m.tree.LookupID(from); err != nil {
			return escalate(err, "resolve transfer sender")
		}
		if f, err = m.tree.GetActor(fromID); err != nil {
			return escalate(err, "load transfer sender")
		}
		if f.Balance.LessThan(amt) {
			return abortf(exitcode.SysErrInsufficientFunds, "insufficient balance %s to transfer %s", f.Balance, amt)
		}
		if from == to {
			return nil
		}
		if toID, err = m.tree.LookupID(to); err != nil {
			return escalate(err, "resolve transfer receiver")
		}
		if fromID == toID {
			return nil
		}
	} else {
		if from == to {
			return nil
		}
		if fromID, err = m.tree.LookupID(from); err != nil {
			return escalate(err, "resolve transfer sender")
		}
		if toID, err = m.tree.LookupID(to); err != nil {
			return escalate(err, "resolve transfer receiver")
		}
		if fromID == toID {
			return nil
		}
		if amt.Sign() < 0 {
			return abortf(exitcode.SysErrForbidden, "attempted to transfer negative value %s", amt)
		}
		if f, err = m.tree.GetActor(fromID); err != nil {
			return escalate(err, "load transfer sender")
		}
	}
	t, err := m.tree.GetActor(toID)
	if err != nil {
		return escalate(err, "load transfer receiver")
	}
	if f.Balance.LessThan(amt) {
		return abortf(exitcode.SysErrInsufficientFunds, "insufficient balance %s to transfer %s", f.Balance, amt)
	}
	f.Balance = big.Sub(f.Balance, amt)
	t.Balance = big.Add(t.Balance, amt)
	if err := m.tree.SetActor(fromID, f); err != nil {
		return escalate(err, "store transfer sender")
	}
	if err := m.tree.SetActor(toID, t); err != nil {
		return escalate(err, "store transfer receiver")
	}
	return nil
}
