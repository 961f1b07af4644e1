package fvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/vm"
	vmgas "github.com/tvx-project/tvx/vm/gas"
)

// methodSend and methodConstructor are the method numbers the call manager
// treats specially.
const (
	methodSend        = 0
	methodConstructor = 1
)

// callManager runs one message's send stack: it owns the gas tracker, the
// call depth, the count of actors created (for deterministic new addresses)
// and the frames recorded for the gas trace.
type callManager struct {
	ctx    context.Context
	m      *Machine
	gas    *gas.Tracker
	origin uint64
	// originAddr is the message's From address as sent.
	originAddr address.Address
	nonce      uint64
	depth      int
	created    uint64
	// frames[i] is the parent of call frame i (-1 for the top frame).
	frames []int
	// invocations counts actor code invocations (not plain transfers).
	invocations uint64
	// access tracks state access for Hygge's charges (nil before nv18).
	access *accessTracker
	// From nv18: the events actors emitted (kept or dropped with their
	// transactions) and the memory the send stack's instances hold.
	events *eventAccumulator
	memory *memoryLimiter
	// premium is the message's effective gas premium (its premium, at
	// most what its fee cap leaves above the base fee, never negative).
	premium abi.TokenAmount
}

// sendOptions are what a send from nv18 on may ask besides its target: a
// gas limit for the callee (limited false: none) and read-only execution.
type sendOptions struct {
	gasLimit int64
	limited  bool
	readOnly bool
}

func newCallManager(ctx context.Context, m *Machine, msg *vm.Message, origin uint64) *callManager {
	cm := &callManager{ctx: ctx, m: m, gas: gas.NewTracker(msg.GasLimit, m.cfg.TraceGas), origin: origin, originAddr: msg.From, nonce: msg.Nonce, frames: []int{-1}}
	if m.prices.Era == gas.Hygge {
		// The preloaded actors, the sender and the receiver are paid for
		// by the message's inclusion.
		cm.access = newAccessTracker(m.prices.PreloadedActors)
		cm.access.recordUpdate(origin)
		cm.access.recordAddress(msg.From)
		if id, ok, err := m.tree.LookupID(msg.To); err == nil && ok {
			cm.access.recordRead(id)
		}
		cm.access.recordAddress(msg.To)
		cm.events = &eventAccumulator{}
		cm.memory = newMemoryLimiter(maxStackMemoryBytes)
	}
	cm.premium = big.Zero()
	if msg.GasPremium.Int != nil && msg.GasFeeCap.Int != nil {
		cm.premium = big.Max(big.Min(msg.GasPremium, big.Sub(msg.GasFeeCap, m.cfg.BaseFee)), big.Zero())
	}
	return cm
}

// nextActorAddress is the f2 address the next actor created by the
// message gets (nv18): a hash of the sender's address as the message
// names it, the message nonce and the count of actors created so far.
func (cm *callManager) nextActorAddress() (address.Address, error) {
	var buf bytes.Buffer
	if err := addrBytes(cm.originAddr).MarshalCBOR(&buf); err != nil {
		return address.Undef, &fatalError{err: err}
	}
	b := binary.BigEndian.AppendUint64(buf.Bytes(), cm.nonce)
	b = binary.BigEndian.AppendUint64(b, cm.created)
	a, err := address.NewActorAddress(b)
	if err != nil {
		return address.Undef, &fatalError{err: err}
	}
	return a, nil
}

// createActor puts a new actor of code, with its delegated address if any
// (address bytes), at an ID the init actor assigned (nv18): over nothing,
// or over a placeholder holding the same delegated address.
func (cm *callManager) createActor(code cid.Cid, id uint64, delegated []byte) error {
	if e, ok := cm.m.bundle.ByCode(code); ok && e.Name == "placeholder" {
		return sysErr(ErrForbidden, "cannot explicitly construct a placeholder actor")
	}
	a, ok, err := cm.getActor(id)
	if err != nil {
		return err
	}
	switch {
	case ok:
		if e, isBuiltin := cm.m.bundle.ByCode(a.Code); !isBuiltin || e.Name != "placeholder" {
			return sysErr(ErrForbidden, "Actor address already exists")
		}
		if a.Delegated == nil {
			return fatalf("placeholder %d has no delegated address", id)
		}
		if !bytes.Equal(a.Delegated, delegated) {
			return sysErr(ErrForbidden, "placeholder has a different delegated address")
		}
		a.Code = code
	default:
		if err := cm.gas.Charge(cm.m.prices.OnCreateActorHygge(false)); err != nil {
			return err
		}
		a = &state.Actor{Code: code, Head: vm.EmptyObjectCID(), Balance: big.Zero(), Delegated: delegated}
	}
	if err := cm.setActor(id, a); err != nil {
		return err
	}
	cm.created++
	return nil
}

// transaction runs f in a state-tree transaction that is reverted when f
// fails (an actor exiting with a non-zero code is a failure).
func (cm *callManager) transaction(f func() (*block, error)) (*block, error) {
	cm.m.tree.Begin()
	if cm.access != nil {
		cm.access.begin()
	}
	if cm.events != nil {
		cm.events.begin()
	}
	ret, err := f()
	if endErr := cm.m.tree.End(err != nil); endErr != nil {
		return nil, &fatalError{err: endErr}
	}
	if cm.access != nil {
		cm.access.end(err != nil)
	}
	if cm.events != nil {
		cm.events.end(err != nil)
	}
	return ret, err
}

// send resolves to (creating an account actor for an unknown BLS or
// secp256k1 address, and from nv18 a placeholder for an unknown f410
// address), transfers value and invokes method. It returns the
// invocation's return block (nil for none); a failed invocation is an
// *actorAbort, a failed send a *syscallError, and out of gas
// gas.ErrOutOfGas.
func (cm *callManager) send(from uint64, to address.Address, method uint64, params *block, value abi.TokenAmount, o sendOptions) (*block, error) {
	if cm.access == nil {
		if cm.depth > maxCallDepth {
			return nil, sysErr(ErrLimitExceeded, "message execution exceeds call depth")
		}
		cm.depth++
		defer func() { cm.depth-- }()
		return cm.sendUnchecked(from, to, method, params, value, o)
	}
	if o.limited {
		cm.gas.PushLimit(o.gasLimit)
	}
	ret, err := cm.stackFrame(func() (*block, error) {
		return cm.sendUnchecked(from, to, method, params, value, o)
	})
	if o.limited {
		if perr := cm.gas.PopLimit(); perr != nil {
			return nil, &fatalError{err: perr}
		}
	}
	// Running out of a limit the caller set is the callee's failure, not
	// the caller's: it sees an exit code.
	if errors.Is(err, gas.ErrOutOfGas) && cm.gas.AvailableMilli() > 0 {
		return nil, &actorAbort{code: exitcode.SysErrOutOfGas, msg: "out of gas (the send's gas limit)"}
	}
	return ret, err
}

// stackFrame runs f one call deeper, refusing past the deepest stack the
// FVM allows; the memory f's instances took is released when it returns.
func (cm *callManager) stackFrame(f func() (*block, error)) (*block, error) {
	if cm.depth >= maxCallDepth {
		return nil, sysErr(ErrLimitExceeded, "message execution exceeds call depth")
	}
	cm.depth++
	mark := cm.memory.used
	defer func() {
		cm.depth--
		cm.memory.used = mark
	}()
	return f()
}

func (cm *callManager) sendUnchecked(from uint64, to address.Address, method uint64, params *block, value abi.TokenAmount, o sendOptions) (*block, error) {
	id, ok, err := cm.resolve(to)
	if err != nil {
		return nil, err
	}
	if !ok {
		switch {
		case to.Protocol() == address.BLS || to.Protocol() == address.SECP256K1:
			if o.readOnly {
				return nil, sysErr(ErrReadOnly, "cannot auto-create account %s in read-only calls", to)
			}
			if id, err = cm.createAccount(to); err != nil {
				return nil, err
			}
		case cm.access != nil && isEthAddress(to.Bytes()):
			if o.readOnly {
				return nil, sysErr(ErrReadOnly, "cannot auto-create account %s in read-only calls", to)
			}
			if id, err = cm.createPlaceholder(to); err != nil {
				return nil, err
			}
		default:
			return nil, sysErr(ErrNotFound, "actor does not exist: %s", to)
		}
	}
	return cm.sendResolved(from, id, method, params, value, o.readOnly)
}

// createAccount creates the account actor of a BLS or secp256k1 address
// and runs its constructor.
func (cm *callManager) createAccount(addr address.Address) (uint64, error) {
	hygge := cm.access != nil
	if !hygge {
		if err := cm.gas.Charge(cm.m.prices.OnCreateActor()); err != nil {
			return 0, err
		}
	}
	if isBLSZero(addr) {
		return 0, sysErr(ErrIllegalArgument, "cannot create the bls zero address actor")
	}
	acct, ok := cm.m.bundle.ByName("account")
	if !ok {
		return 0, fatalf("bundle has no account actor")
	}
	var id uint64
	var err error
	if hygge {
		id, err = cm.createFromSend(addr, &state.Actor{Code: acct.Code, Head: vm.EmptyObjectCID(), Balance: big.Zero()})
		if err != nil {
			return 0, err
		}
	} else {
		if id, err = cm.m.tree.RegisterNewAddress(addr); err != nil {
			return 0, &fatalError{err: err}
		}
		if err := cm.setActor(id, &state.Actor{Code: acct.Code, Head: vm.EmptyObjectCID(), Balance: big.Zero()}); err != nil {
			return 0, err
		}
	}
	params, err := cborseq.Encode(addrBytes(addr))
	if err != nil {
		return 0, &fatalError{err: err}
	}
	if _, err := cm.sendResolved(systemActorID, id, methodConstructor, &block{codec: cm.messageCodec(methodConstructor), data: params}, big.Zero(), false); err != nil {
		return 0, err
	}
	return id, nil
}

// messageCodec is the codec of parameters that come from outside the
// actors (a message's, an account constructor's): DAG-CBOR before nv18;
// from nv18 plain CBOR, since such data's links were not checked, and raw
// bytes for a plain send.
func (cm *callManager) messageCodec(method uint64) uint64 {
	switch {
	case cm.access == nil:
		return dagCBOR
	case method == methodSend:
		return ipldRaw
	}
	return cborCodec
}

// createPlaceholder creates the placeholder actor of an f410 address a
// send reaches before anything is deployed there; no code runs.
func (cm *callManager) createPlaceholder(addr address.Address) (uint64, error) {
	ph, ok := cm.m.bundle.ByName("placeholder")
	if !ok {
		return 0, fatalf("bundle has no placeholder actor")
	}
	return cm.createFromSend(addr, &state.Actor{Code: ph.Code, Head: vm.EmptyObjectCID(), Balance: big.Zero(), Delegated: addr.Bytes()})
}

// createFromSend assigns addr an actor ID and stores a at it, charging
// (nv18) the address assignment and the actor's storage, then its first
// write.
func (cm *callManager) createFromSend(addr address.Address, a *state.Actor) (uint64, error) {
	if err := cm.gas.Charge(cm.m.prices.OnCreateActorHygge(true)); err != nil {
		return 0, err
	}
	id, err := cm.m.tree.RegisterNewAddress(addr)
	if err != nil {
		return 0, &fatalError{err: err}
	}
	cm.access.recordAddress(addr)
	if err := cm.setActor(id, a); err != nil {
		return 0, err
	}
	return id, nil
}

// sendResolved charges the invocation, transfers value and runs the
// receiver's code (unless the method is a plain send).
func (cm *callManager) sendResolved(from, to uint64, method uint64, params *block, value abi.TokenAmount, readOnly bool) (*block, error) {
	act, ok, err := cm.getActor(to)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sysErr(ErrNotFound, "actor does not exist: %d", to)
	}
	if cm.access != nil {
		// Hygge prices the transfer and the invocation apart.
		if !value.IsZero() {
			if err := cm.gas.Charge(cm.m.prices.OnValueTransfer()); err != nil {
				return nil, err
			}
			if err := cm.transfer(from, to, value); err != nil {
				return nil, err
			}
		}
		if method == methodSend {
			return nil, nil
		}
		if err := cm.gas.Charge(cm.m.prices.OnInvokeMethod()); err != nil {
			return nil, err
		}
		return cm.invoke(from, to, act, method, params, value, readOnly)
	}
	if err := cm.gas.Charge(cm.m.prices.OnMethodInvocation(!value.IsZero(), method)); err != nil {
		return nil, err
	}
	if !value.IsZero() {
		if err := cm.transfer(from, to, value); err != nil {
			return nil, err
		}
	}
	if method == methodSend {
		return nil, nil
	}
	return cm.invoke(from, to, act, method, params, value, false)
}

// transfer moves value between two actors.
func (cm *callManager) transfer(from, to uint64, value abi.TokenAmount) error {
	if value.Sign() < 0 {
		return sysErr(ErrIllegalArgument, "attempted to transfer negative value %s", value)
	}
	src, ok, err := cm.getActor(from)
	if err != nil {
		return err
	}
	if !ok {
		return sysErr(ErrInsufficientFunds, "cannot transfer from non-existent sender %d", from)
	}
	if src.Balance.LessThan(value) {
		return sysErr(ErrInsufficientFunds, "sender %d does not have funds to transfer (balance %s, transfer %s)", from, src.Balance, value)
	}
	if from == to {
		return nil
	}
	dst, ok, err := cm.getActor(to)
	if err != nil {
		return err
	}
	if !ok {
		return sysErr(ErrNotFound, "cannot transfer to non-existent receiver %d", to)
	}
	src.Balance = big.Sub(src.Balance, value)
	dst.Balance = big.Add(dst.Balance, value)
	if err := cm.setActor(from, src); err != nil {
		return err
	}
	return cm.setActor(to, dst)
}

// invoke runs the receiver's Wasm code with a fresh kernel in a new call
// frame.
func (cm *callManager) invoke(from, to uint64, act *state.Actor, method uint64, params *block, value abi.TokenAmount, readOnly bool) (*block, error) {
	if cm.m.cfg.Engine == nil {
		return nil, fatalf("invoke actor %d method %d: no Wasm engine configured", to, method)
	}
	wasm, ok := cm.m.bundle.Module(act.Code)
	if !ok {
		return nil, fatalf("actor %d: code %s is not in bundle v%d", to, act.Code, cm.m.bundle.ActorsVersion)
	}
	cm.invocations++
	parent := cm.gas.Frame
	cm.frames = append(cm.frames, parent)
	cm.gas.Frame = len(cm.frames) - 1
	defer func() { cm.gas.Frame = parent }()

	k := newKernel(cm, from, to, act.Code, method, value)
	k.readOnly = readOnly
	return k.run(wasm, params)
}

// traceResult converts the recorded charges to the legacy VM's trace form
// in whole gas. Each part is converted cumulatively (a charge gets the
// whole gas its milligas carries the running total over), so the trace
// sums to the gas used even though most Wasm execution charges are
// fractions of a unit.
func (cm *callManager) traceResult() ([]vm.TracedCharge, []int) {
	tr := cm.gas.Trace()
	if len(tr) == 0 {
		return nil, cm.frames
	}
	out := make([]vm.TracedCharge, len(tr))
	var compute, other int64
	for i, c := range tr {
		dc := (compute+c.Compute)/gas.Milli - compute/gas.Milli
		do := (other+c.Other)/gas.Milli - other/gas.Milli
		compute += c.Compute
		other += c.Other
		out[i] = vm.TracedCharge{Charge: vmgas.Charge{Name: c.Name, Compute: dc, Storage: do}, Frame: c.Frame}
	}
	return out, cm.frames
}

// isBLSZero reports whether addr is the BLS address of the all-zero key
// (the point at infinity), which may never hold an actor.
func isBLSZero(addr address.Address) bool {
	if addr.Protocol() != address.BLS {
		return false
	}
	p := addr.Payload()
	if len(p) != 48 || p[0] != 0xc0 {
		return false
	}
	for _, b := range p[1:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// addrBytes CBOR-encodes an address as a byte string.
type addrBytes address.Address

func (a addrBytes) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Bytes(address.Address(a).Bytes())
	return cw.Err()
}
