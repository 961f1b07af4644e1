package vm

import (
	"bytes"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	runtime2 "github.com/filecoin-project/specs-actors/v2/actors/runtime"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/chaos"
	"github.com/tvx-project/tvx/vm/state"
)

// The tests in this file cover the rules by which tvx departs from Lotus
// v1.15.3 (see the package documentation of protocol): each runs the chaos
// actor, or the small relay actor below, on a hand-built genesis-era state.

// relayActor is a test actor that makes a failing send and then aborts, to
// tell a propagated system exit code from an invented one, and that uses
// its state the way the specs-actors do (read-only, then in a transaction).
type relayActor struct{}

var relayCode = func() cid.Cid {
	c, err := cid.V1Builder{Codec: cid.Raw, MhType: mh.IDENTITY}.Sum([]byte("fil/test/relay"))
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return c
}()

var relayAddr = func() address.Address {
	a, err := address.NewIDAddress(200)
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return a
}()

const (
	relayMethodReRaise          abi.MethodNum = 2
	relayMethodRaiseOther       abi.MethodNum = 3
	relayMethodRaiseUnprompted  abi.MethodNum = 4
	relayMethodReadThenTransact abi.MethodNum = 5
)

func (a relayActor) Exports() []interface{} {
	return []interface{}{
		relayMethodReRaise:          a.ReRaise,
		relayMethodRaiseOther:       a.RaiseOther,
		relayMethodRaiseUnprompted:  a.RaiseUnprompted,
		relayMethodReadThenTransact: a.ReadThenTransact,
	}
}
func (relayActor) Code() cid.Cid     { return relayCode }
func (relayActor) State() cbor.Er    { return new(chaos.State) }
func (relayActor) IsSingleton() bool { return true }

// overdraw sends to target more than the relay holds, which the VM fails
// with SysErrInsufficientFunds.
func overdraw(rt runtime2.Runtime, target address.Address) exitcode.ExitCode {
	rt.ValidateImmediateCallerAcceptAny()
	value := big.Add(rt.CurrentBalance(), big.NewInt(1))
	return rt.Send(target, 0, nil, value, &abi.EmptyValue{})
}

// ReRaise aborts with the code its failed send returned, as the specs-actors'
// builtin.RequireSuccess does.
func (relayActor) ReRaise(rt runtime2.Runtime, target *address.Address) *abi.EmptyValue {
	code := overdraw(rt, *target)
	rt.Abortf(code, "send failed")
	return nil
}

// RaiseOther aborts with a system code other than the one its send returned.
func (relayActor) RaiseOther(rt runtime2.Runtime, target *address.Address) *abi.EmptyValue {
	overdraw(rt, *target)
	rt.Abortf(exitcode.SysErrInvalidReceiver, "made up")
	return nil
}

// RaiseUnprompted aborts with a system code without having sent anything.
func (relayActor) RaiseUnprompted(rt runtime2.Runtime, _ *abi.EmptyValue) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	rt.Abortf(exitcode.SysErrInsufficientFunds, "made up")
	return nil
}

// ReadThenTransact reads its state read-only and then updates the same
// object in a transaction: legal.
func (relayActor) ReadThenTransact(rt runtime2.Runtime, _ *abi.EmptyValue) *abi.EmptyValue {
	rt.ValidateImmediateCallerAcceptAny()
	var st chaos.State
	rt.StateReadonly(&st)
	rt.StateTransaction(&st, func() { st.Value = "updated " + st.Value })
	return nil
}

// departureWorld is a genesis-era state with the chaos actor (at f098) and
// the relay actor (at f0200, balance 10), and a funded sender.
type departureWorld struct {
	*world
	sender   address.Address
	other    address.Address
	registry *actors.Registry
	root     cid.Cid
}

func newDepartureWorld(t *testing.T, chaosBalance abi.TokenAmount) *departureWorld {
	t.Helper()
	w := newWorld(t)
	_, sender := w.account(1, fil)
	_, other := w.account(2, big.Zero())
	w.setActor(chaos.Address, chaos.CodeCID, w.put(&chaos.State{Value: "initial"}), chaosBalance)
	w.setActor(relayAddr, relayCode, w.put(&chaos.State{Value: "initial"}), big.NewInt(10))
	reg, err := actors.NewBuiltinRegistry()
	if err != nil {
		t.Fatal(err)
	}
	reg = reg.Clone()
	if err := reg.Register(0, true, chaos.Actor{}, relayActor{}); err != nil {
		t.Fatal(err)
	}
	return &departureWorld{world: w, sender: sender, other: other, registry: reg, root: w.root()}
}

// call applies one message from the sender at network version nv on a
// fresh machine over the world's root.
func (d *departureWorld) call(nv network.Version, to address.Address, method abi.MethodNum, params cbor.Marshaler) (*Machine, *ApplyResult) {
	d.t.Helper()
	var enc []byte
	if params != nil {
		var buf bytes.Buffer
		if err := params.MarshalCBOR(&buf); err != nil {
			d.t.Fatal(err)
		}
		enc = buf.Bytes()
	}
	m := d.machine(d.root, Config{NetworkVersion: nv, Registry: d.registry})
	msg := &Message{
		From: d.sender, To: to, Method: method, Params: enc, Value: big.Zero(),
		GasLimit: 1_000_000_000, GasFeeCap: abi.NewTokenAmount(200), GasPremium: abi.NewTokenAmount(1),
	}
	return m, apply(d.t, m, msg)
}

func (d *departureWorld) stateValue(m *Machine, a address.Address) string {
	d.t.Helper()
	act, err := m.StateTree().GetActor(a)
	if err != nil {
		d.t.Fatal(err)
	}
	var st chaos.State
	if err := m.store.Get(d.ctx, act.Head, &st); err != nil {
		d.t.Fatal(err)
	}
	return st.Value
}

// versions are the network versions the departure tests run under: the
// last of actors v0.9, the first of actors v2 and the first with the
// checks Lotus added at version 7.
var departureVersions = []network.Version{network.Version0, network.Version3, network.Version4, network.Version7}

// worldFor returns a world whose state tree version suits nv.
func worldFor(t *testing.T, nv network.Version, chaosBalance abi.TokenAmount) *departureWorld {
	t.Helper()
	d := newDepartureWorld(t, chaosBalance)
	r, ok := protocol.Mainnet().Activation(nv)
	if !ok {
		t.Fatalf("no nv%d", nv)
	}
	if r.StateTreeVersion == 0 {
		return d
	}
	// Re-home the same actors in a state tree of the version nv expects.
	tree, err := state.New(d.ctx, d.store, r.StateTreeVersion)
	if err != nil {
		t.Fatal(err)
	}
	err = d.tree.ForEach(func(a address.Address, act *state.Actor) error {
		return tree.SetActor(a, act)
	})
	if err != nil {
		t.Fatal(err)
	}
	d.tree = tree
	d.root = d.world.root()
	return d
}

// Aborting with a system exit code (1..15) or a negative one is not the
// actor's to do: the call fails with SysErrorIllegalActor. Actor codes pass
// through unchanged, and a crash is an illegal actor too.
func TestActorAbortCodesArePoliced(t *testing.T) {
	cases := []struct {
		name string
		args chaos.AbortWithArgs
		want exitcode.ExitCode
	}{
		{"first-actor-code", chaos.AbortWithArgs{Code: exitcode.FirstActorErrorCode}, exitcode.FirstActorErrorCode},
		{"actor-code", chaos.AbortWithArgs{Code: exitcode.ErrIllegalState}, exitcode.ErrIllegalState},
		{"negative", chaos.AbortWithArgs{Code: -1}, exitcode.SysErrorIllegalActor},
		{"uncontrolled", chaos.AbortWithArgs{Uncontrolled: true, Message: "boom"}, exitcode.SysErrorIllegalActor},
	}
	for c := exitcode.SysErrSenderInvalid; c < exitcode.FirstActorErrorCode; c++ {
		cases = append(cases, struct {
			name string
			args chaos.AbortWithArgs
			want exitcode.ExitCode
		}{"system-" + c.String(), chaos.AbortWithArgs{Code: c}, exitcode.SysErrorIllegalActor})
	}
	for _, nv := range departureVersions {
		d := worldFor(t, nv, big.Zero())
		for _, tc := range cases {
			args := tc.args
			_, res := d.call(nv, chaos.Address, chaos.MethodAbortWith, &args)
			if res.ExitCode != tc.want {
				t.Errorf("nv%d %s: exit %d, want %d (%s)", nv, tc.name, res.ExitCode, tc.want, res.Error)
			}
		}
	}
}

// A system code that one of the actor's own sends returned may be re-raised
// (the Go actors propagate a failed send's code); any other system code may
// not, even after a failed send.
func TestReRaisedSendCodeIsAllowed(t *testing.T) {
	for _, nv := range departureVersions {
		d := worldFor(t, nv, big.Zero())
		target := d.other
		_, res := d.call(nv, relayAddr, relayMethodReRaise, &target)
		if res.ExitCode != exitcode.SysErrInsufficientFunds {
			t.Errorf("nv%d re-raise: exit %d, want %d (%s)", nv, res.ExitCode, exitcode.SysErrInsufficientFunds, res.Error)
		}
		_, res = d.call(nv, relayAddr, relayMethodRaiseOther, &target)
		if res.ExitCode != exitcode.SysErrorIllegalActor {
			t.Errorf("nv%d other code: exit %d, want %d (%s)", nv, res.ExitCode, exitcode.SysErrorIllegalActor, res.Error)
		}
		_, res = d.call(nv, relayAddr, relayMethodRaiseUnprompted, nil)
		if res.ExitCode != exitcode.SysErrorIllegalActor {
			t.Errorf("nv%d unprompted: exit %d, want %d (%s)", nv, res.ExitCode, exitcode.SysErrorIllegalActor, res.Error)
		}
	}
}

// The v0.9 multisig fails LockBalance before network version 2 with
// SysErrInvalidMethod, as the VM fails a missing method: a system code a
// builtin actor raises itself, which chain history records, so the policing
// of abort codes leaves it alone.
func TestBuiltinOwnSystemAbortIsKept(t *testing.T) {
	msig, err := address.NewIDAddress(300)
	if err != nil {
		t.Fatal(err)
	}
	for _, nv := range []network.Version{network.Version0, network.Version1} {
		d := worldFor(t, nv, big.Zero())
		// The method aborts before it reads any state.
		d.setActor(msig, builtin0.MultisigActorCodeID, emptyObjectCID, big.Zero())
		d.root = d.world.root()
		_, res := d.call(nv, msig, builtin0.MethodsMultisig.LockBalance,
			&multisig0.LockBalanceParams{StartEpoch: 1, UnlockDuration: 10, Amount: big.NewInt(1)})
		if res.ExitCode != exitcode.SysErrInvalidMethod {
			t.Errorf("nv%d: exit %d, want %d (%s)", nv, res.ExitCode, exitcode.SysErrInvalidMethod, res.Error)
		}
	}
}

// Mutating state obtained read-only, or after its transaction ended, fails
// the call as an illegal actor and leaves the state as it was; mutating it
// inside a transaction, including one that reuses an object first read
// read-only, is legal and persists.
func TestIllegalStateMutation(t *testing.T) {
	for _, nv := range departureVersions {
		d := worldFor(t, nv, big.Zero())
		cases := []struct {
			branch    chaos.MutateStateBranch
			wantExit  exitcode.ExitCode
			wantValue string
		}{
			{chaos.MutateInTransaction, exitcode.Ok, "new"},
			{chaos.MutateReadonly, exitcode.SysErrorIllegalActor, "initial"},
			{chaos.MutateAfterTransaction, exitcode.SysErrorIllegalActor, "initial"},
		}
		for _, tc := range cases {
			m, res := d.call(nv, chaos.Address, chaos.MethodMutateState, &chaos.MutateStateArgs{Value: "new", Branch: tc.branch})
			if res.ExitCode != tc.wantExit {
				t.Errorf("nv%d branch %d: exit %d, want %d (%s)", nv, tc.branch, res.ExitCode, tc.wantExit, res.Error)
			}
			if got := d.stateValue(m, chaos.Address); got != tc.wantValue {
				t.Errorf("nv%d branch %d: state value %q, want %q", nv, tc.branch, got, tc.wantValue)
			}
		}

		m, res := d.call(nv, relayAddr, relayMethodReadThenTransact, nil)
		if res.ExitCode != exitcode.Ok {
			t.Errorf("nv%d read then transact: exit %d (%s)", nv, res.ExitCode, res.Error)
		}
		if got := d.stateValue(m, relayAddr); got != "updated initial" {
			t.Errorf("nv%d read then transact: state value %q", nv, got)
		}
	}
}

// An actor with a balance cannot name itself as the beneficiary of its own
// deletion (the balance would vanish); with no balance to move, or another
// beneficiary, the deletion goes through.
func TestDeleteActorSelfBeneficiary(t *testing.T) {
	for _, nv := range departureVersions {
		for _, tc := range []struct {
			name        string
			balance     int64
			beneficiary func(d *departureWorld) address.Address
			wantExit    exitcode.ExitCode
		}{
			{"self-with-balance", 50, func(*departureWorld) address.Address { return chaos.Address }, exitcode.SysErrorIllegalArgument},
			{"self-without-balance", 0, func(*departureWorld) address.Address { return chaos.Address }, exitcode.Ok},
			{"other-with-balance", 50, func(d *departureWorld) address.Address { return d.other }, exitcode.Ok},
		} {
			d := worldFor(t, nv, big.NewInt(tc.balance))
			beneficiary := tc.beneficiary(d)
			m, res := d.call(nv, chaos.Address, chaos.MethodDeleteActor, &beneficiary)
			if res.ExitCode != tc.wantExit {
				t.Errorf("nv%d %s: exit %d, want %d (%s)", nv, tc.name, res.ExitCode, tc.wantExit, res.Error)
				continue
			}
			_, err := m.StateTree().GetActor(chaos.Address)
			if deleted := err != nil; deleted != (tc.wantExit == exitcode.Ok) {
				t.Errorf("nv%d %s: chaos actor deleted=%v (lookup error %v)", nv, tc.name, deleted, err)
			}
			if tc.wantExit == exitcode.Ok && tc.balance > 0 {
				if got := d.balance(m, d.other); !got.Equals(big.NewInt(tc.balance)) {
					t.Errorf("nv%d %s: beneficiary balance %s", nv, tc.name, got)
				}
			}
		}
	}
}
