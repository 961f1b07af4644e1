package vm_test

import (
	"context"
	"errors"
	"github.com/tvx-project/tvx/builtin"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/chaos"
	"github.com/tvx-project/tvx/vm/state"
	"github.com/tvx-project/tvx/vm/vmtest"
)

// The behaviour switches that flip at network version 6 and later are
// never exercised by the public corpus (it stops at version 5), so each is
// checked here on both sides of its upgrade, on hand-built states of the
// actors version in force, with the chaos actor driving the runtime.

// chaosFlow is a World at nv with the chaos actor installed (with state)
// and a funded secp account whose key it returns.
func chaosFlow(t *testing.T, nv network.Version) (*flow, address.Address) {
	t.Helper()
	ctx := context.Background()
	base, err := actors.NewBuiltinRegistry()
	if err != nil {
		t.Fatal(err)
	}
	reg := base.Clone()
	if err := reg.Register(0, true, chaos.Actor{}); err != nil {
		t.Fatal(err)
	}
	w, err := vmtest.New(ctx, nv, vmtest.Options{MainnetPrices: true, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	w.Epoch = 5
	tree, err := w.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.SetActor(chaos.Address, &state.Actor{Code: chaos.CodeCID, Head: vm.EmptyObjectCID(), Balance: big.Zero()}); err != nil {
		t.Fatal(err)
	}
	if w.Root, err = tree.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f := &flow{t: t, ctx: ctx, w: w, nonce: map[address.Address]uint64{}}
	key := vmtest.SecpAddress(1)
	f.account(key, vmtest.FIL(1000))
	f.send(key, chaos.Address, big.Zero(), chaos.MethodCreateState, nil, exitcode.Ok)
	return f, key
}

// try applies a message and returns the VM's error instead of failing.
func (f *flow) try(from, to address.Address, value abi.TokenAmount, method abi.MethodNum, params []byte) (*vm.ApplyResult, error) {
	msg := &vm.Message{
		From: from, To: to, Nonce: f.nonce[from], Value: value, Method: method, Params: params,
		GasLimit: 3_000_000_000, GasFeeCap: abi.NewTokenAmount(300), GasPremium: abi.NewTokenAmount(7),
	}
	res, err := f.w.Apply(f.ctx, msg)
	if err == nil {
		f.nonce[from]++
	}
	return res, err
}

// Version 6 bounds the depth of nested sends at 4096: an actor whose send
// would open frame 4097 fails itself with SysErrForbidden (its caller sees
// that code); before, any depth ran.
func TestCallDepthLimitFromV6(t *testing.T) {
	for _, c := range []struct {
		nv        network.Version
		depth     int
		failLevel int // index of the chaos frame whose send reports SysErrForbidden; -1 none
	}{
		{network.Version5, netMaxDepth + 1, -1},
		{network.Version6, netMaxDepth, -1},
		{network.Version6, netMaxDepth + 1, netMaxDepth - 1},
		{network.Version15, netMaxDepth + 1, netMaxDepth - 1},
	} {
		f, key := chaosFlow(t, c.nv)
		sink := f.idOf(key)
		// Frames 0..depth-1 are chaos sends, each to the next; the last one
		// sends to an account, at depth `depth`.
		args := &chaos.SendArgs{To: sink, Value: big.Zero()}
		for i := 1; i < c.depth; i++ {
			args = &chaos.SendArgs{To: chaos.Address, Value: big.Zero(), Method: chaos.MethodSend, Params: encode(t, args)}
		}
		res := f.send(key, chaos.Address, big.Zero(), chaos.MethodSend, encode(t, args), exitcode.Ok)
		level, ret := 0, res.Return
		failed := -1
		for {
			var r chaos.SendReturn
			decode(t, ret, &r)
			if r.Code != 0 {
				failed = level
				if r.Code != exitcode.SysErrForbidden {
					t.Errorf("nv%d depth %d: level %d exit %d", c.nv, c.depth, level, r.Code)
				}
				break
			}
			if len(r.Return) == 0 {
				break
			}
			ret = r.Return
			level++
		}
		if failed != c.failLevel {
			t.Errorf("nv%d depth %d: send failed at level %d, want %d", c.nv, c.depth, failed, c.failLevel)
		}
		if failed < 0 && level != c.depth-1 {
			t.Errorf("nv%d depth %d: %d levels returned", c.nv, c.depth, level+1)
		}
	}
}

// netMaxDepth is the protocol's maximum call depth (Lotus MaxCallDepth).
const netMaxDepth = 4096

// Version 7 rejects CreateActor with an undefined address as an illegal
// argument; before, the VM could not store the actor, a fatal error.
func TestCreateActorUndefinedAddressFromV7(t *testing.T) {
	for _, nv := range []network.Version{network.Version6, network.Version7, network.Version15} {
		f, key := chaosFlow(t, nv)
		code := f.code(builtin.KindMultisig)
		res, err := f.try(key, chaos.Address, big.Zero(), chaos.MethodCreateActor,
			encode(t, &chaos.CreateActorArgs{ActorCID: code, UndefAddress: true, Address: mustIDAddr(t, 0)}))
		if nv < network.Version7 {
			if !errors.Is(err, vm.ErrFatal) {
				t.Errorf("nv%d: %v %+v, want a fatal error", nv, err, res)
			}
			continue
		}
		if err != nil || res.ExitCode != exitcode.SysErrorIllegalArgument {
			t.Errorf("nv%d: %v %+v", nv, err, res)
		}
	}
}

// Version 7 checks DeleteActor's beneficiary when there is a balance to
// move: a key address with no actor is an illegal argument (before, the
// transfer to it was a fatal error). An ID address is taken as it is at
// every version, as Lotus v1.15.3 resolves it, so an ID with no actor
// behind it still fails the transfer fatally.
func TestDeleteActorUnknownBeneficiaryFromV7(t *testing.T) {
	for _, nv := range []network.Version{network.Version6, network.Version7, network.Version14} {
		f, key := chaosFlow(t, nv)
		f.send(key, chaos.Address, abi.NewTokenAmount(10), 0, nil, exitcode.Ok)
		nobody := vmtest.SecpAddress(99)
		res, err := f.try(key, chaos.Address, big.Zero(), chaos.MethodDeleteActor, encode(t, &nobody))
		switch {
		case nv < network.Version7 && !errors.Is(err, vm.ErrFatal):
			t.Errorf("nv%d: %v %+v, want a fatal error", nv, err, res)
		case nv >= network.Version7 && (err != nil || res.ExitCode != exitcode.SysErrorIllegalArgument):
			t.Errorf("nv%d: %v %+v", nv, err, res)
		}
		noID := mustIDAddr(t, 7777)
		if res, err := f.try(key, chaos.Address, big.Zero(), chaos.MethodDeleteActor, encode(t, &noID)); !errors.Is(err, vm.ErrFatal) {
			t.Errorf("nv%d: unknown ID beneficiary: %v %+v, want a fatal error", nv, err, res)
		}
		if nv < network.Version7 {
			continue
		}
		// A known beneficiary takes the balance and the actor is gone.
		sink := f.account(vmtest.SecpAddress(3), big.Zero())
		f.send(key, chaos.Address, big.Zero(), chaos.MethodDeleteActor, encode(t, &sink), exitcode.Ok)
		if _, err := f.w.Actor(f.ctx, chaos.Address); !errors.Is(err, state.ErrActorNotFound) {
			t.Errorf("nv%d: chaos actor still there (%v)", nv, err)
		}
		if got := f.balance(sink); !got.Equals(abi.NewTokenAmount(10)) {
			t.Errorf("nv%d: beneficiary got %s", nv, got)
		}
	}
}

// Undecodable parameters exit with code 1 before version 7 and
// ErrSerialization from it.
func TestParamsDecodeExitFromV7(t *testing.T) {
	for _, c := range []struct {
		nv   network.Version
		exit exitcode.ExitCode
	}{{network.Version6, 1}, {network.Version7, exitcode.ErrSerialization}, {network.Version13, exitcode.ErrSerialization}} {
		f, key := chaosFlow(t, c.nv)
		f.send(key, chaos.Address, big.Zero(), chaos.MethodCreateActor, []byte{0x01}, c.exit)
	}
}

// From version 10 no account may be created for the zero BLS key (the
// network's burn address); before, a send to it created one.
func TestZeroBLSAccountFromV10(t *testing.T) {
	zero := make([]byte, 48)
	zero[0] = 0xc0
	zeroBLS, err := address.NewBLSAddress(zero)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		nv   network.Version
		exit exitcode.ExitCode
	}{{network.Version9, 0}, {network.Version10, exitcode.ErrIllegalArgument}, {network.Version15, exitcode.ErrIllegalArgument}} {
		f, key := chaosFlow(t, c.nv)
		f.send(key, zeroBLS, abi.NewTokenAmount(1), 0, nil, c.exit)
		bal := f.balance(zeroBLS)
		if created := !bal.IsZero(); created != (c.exit == 0) {
			t.Errorf("nv%d: zero BLS account balance %s", c.nv, bal)
		}
	}
}

// From version 15 a transfer checks the balance before the self-send short
// cut: sending oneself more than one has fails; before, it was a no-op
// that succeeded (whether the receiver is named by key or by ID).
func TestSelfSendBeyondBalanceFromV15(t *testing.T) {
	for _, c := range []struct {
		nv   network.Version
		exit exitcode.ExitCode
	}{{network.Version14, 0}, {network.Version15, exitcode.SysErrInsufficientFunds}} {
		f, key := chaosFlow(t, c.nv)
		id := f.idOf(key)
		for _, to := range []address.Address{key, id} {
			f.send(key, to, vmtest.FIL(5000), 0, nil, c.exit)
		}
	}
}
