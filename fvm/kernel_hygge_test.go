package fvm

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm"
)

// hyggeMachine is an nv18 machine on a built state-tree v5 with the v10
// bundle's codes: an init actor, accounts 100 and 101 holding balances and
// a placeholder 102 holding an f410 address.
func hyggeMachine(t *testing.T) (*Machine, address.Address) {
	t.Helper()
	ctx := context.Background()
	bs := chain.NewMemBlocks()
	b, err := testBundles.Get(10)
	if err != nil {
		t.Fatal(err)
	}
	initCode, _ := b.ByName("init")
	acct, _ := b.ByName("account")
	ph, _ := b.ByName("placeholder")
	tr, err := state.New(ctx, ipldcbor.NewCborStore(bs), 5, initCode.Code, 103, "built")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{100, 101, burntFundsActorID, rewardActorID} {
		tr.SetActor(id, &state.Actor{Code: acct.Code, Head: vm.EmptyObjectCID(), Balance: big.NewInt(1000)})
	}
	f410, err := address.NewDelegatedAddress(eamActorID, []byte("0123456789abcdefghij"))
	if err != nil {
		t.Fatal(err)
	}
	tr.SetActor(102, &state.Actor{Code: ph.Code, Head: vm.EmptyObjectCID(), Balance: big.Zero(), Delegated: f410.Bytes()})
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(ctx, bs, root, Config{NetworkVersion: 18, ActorsVersion: 10, PriceEra: "hygge", Epoch: 2700000,
		BaseFee: big.NewInt(100), TraceGas: true, Bundles: testBundles})
	if err != nil {
		t.Fatal(err)
	}
	return m, f410
}

// hyggeKernel is actor self's invocation by 100 of method 2 with 5 attoFIL,
// in a message from 100 (nonce 7, premium 30 of which the fee cap leaves
// 20 above the base fee).
func hyggeKernel(t *testing.T, m *Machine, self uint64) *kernel {
	from, _ := address.NewIDAddress(100)
	msg := &vm.Message{From: from, To: from, Nonce: 7, GasLimit: 1_000_000_000, GasPremium: big.NewInt(30), GasFeeCap: big.NewInt(120)}
	cm := newCallManager(context.Background(), m, msg, 100)
	a, _, _ := m.tree.GetActor(self)
	code := cid.Undef
	if a != nil {
		code = a.Code
	}
	return newKernel(cm, 100, self, code, 2, big.NewInt(5))
}

func TestHyggeContexts(t *testing.T) {
	m, _ := hyggeMachine(t)
	k := hyggeKernel(t, m, 101)
	mem := make(flatMemory, 256)
	if e := call(t, k, mem, "vm", "message_context", 0); e != 0 {
		t.Fatalf("message_context errno %d", e)
	}
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(mem[off:]) }
	// origin, nonce, caller, receiver, method, value (u128), premium (u128), flags
	if u64(0) != 100 || u64(8) != 7 || u64(16) != 100 || u64(24) != 101 || u64(32) != 2 || u64(40) != 5 || u64(48) != 0 || u64(56) != 20 || u64(72) != 0 {
		t.Errorf("message context %x", mem[:80])
	}
	k.readOnly = true
	call(t, k, mem, "vm", "message_context", 0)
	if u64(72) != flagReadOnly {
		t.Errorf("read-only flags %d", u64(72))
	}
	if e := call(t, k, mem, "network", "context", 100); e != 0 {
		t.Fatalf("network context errno %d", e)
	}
	// epoch, timestamp, base fee (u128), chain ID, network version
	if u64(100) != 2700000 || u64(116) != 100 || u64(132) != mainnetChainID || binary.LittleEndian.Uint32(mem[140:]) != 18 {
		t.Errorf("network context %x", mem[100:144])
	}
	if e := call(t, k, mem, "gas", "available", 200); e != 0 || u64(200) != uint64(k.cm.gas.AvailableMilli()/1000) {
		t.Errorf("gas available: errno %d, %d", e, u64(200))
	}
}

// TestHyggeReadOnly: a read-only invocation may not move value, change
// its state or emit events.
func TestHyggeReadOnly(t *testing.T) {
	m, _ := hyggeMachine(t)
	k := hyggeKernel(t, m, 101)
	k.readOnly = true
	mem := make(flatMemory, 1024)
	to, _ := address.NewIDAddress(100)
	copy(mem[800:], to.Bytes())
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 7, ^uint64(0), 0); e != uint32(ErrReadOnly) {
		t.Errorf("read-only value send errno %d", e)
	}
	copy(mem[0:], vm.EmptyObjectCID().Bytes())
	if e := call(t, k, mem, "self", "set_root", 0); e != uint32(ErrReadOnly) {
		t.Errorf("read-only set_root errno %d", e)
	}
	if e := call(t, k, mem, "event", "emit_event", 0, 1); e != uint32(ErrReadOnly) {
		t.Errorf("read-only emit_event errno %d", e)
	}
	// Undefined flag bits are refused.
	k.readOnly = false
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 0, ^uint64(0), 2); e != uint32(ErrIllegalArgument) {
		t.Errorf("send with flag 2: errno %d", e)
	}
}

// TestHyggeSendGasLimit: a send whose own gas limit runs out gives the
// caller exit 7 and uses only that limit; nothing it did stays.
func TestHyggeSendGasLimit(t *testing.T) {
	m, _ := hyggeMachine(t)
	k := hyggeKernel(t, m, 101)
	mem := make(flatMemory, 1024)
	to, _ := address.NewIDAddress(100)
	copy(mem[800:], to.Bytes())
	used := k.cm.gas.UsedMilli()
	// The value transfer alone costs more than 1 gas.
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 7, 1, 0); e != 0 {
		t.Fatalf("limited send errno %d", e)
	}
	if code := binary.LittleEndian.Uint32(mem[900:]); exitcode.ExitCode(code) != exitcode.SysErrOutOfGas {
		t.Errorf("limited send exit %d, want 7", code)
	}
	if got, want := k.cm.gas.UsedMilli()-used, m.prices.OnSyscall().Total()+1000; got != want {
		t.Errorf("limited send used %d milligas, want %d (the syscall and the 1 gas limit)", got, want)
	}
	if a, _, _ := m.tree.GetActor(101); !a.Balance.Equals(big.NewInt(1000)) {
		t.Errorf("balance after the failed send %s", a.Balance)
	}
	// Unlimited, the same send goes through.
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 7, ^uint64(0), 0); e != 0 || binary.LittleEndian.Uint32(mem[900:]) != 0 {
		t.Errorf("send: errno %d exit %d", e, binary.LittleEndian.Uint32(mem[900:]))
	}
}

// TestHyggeCreateActor: only the init actor creates actors, over nothing
// or over a placeholder holding the same f4 address, whose delegated
// address the new actor keeps; the next f2 address counts creations.
func TestHyggeCreateActor(t *testing.T) {
	m, f410 := hyggeMachine(t)
	evm, _ := m.bundle.ByName("evm")
	ph, _ := m.bundle.ByName("placeholder")
	mem := make(flatMemory, 1024)
	copy(mem[0:], evm.Code.Bytes())
	copy(mem[200:], ph.Code.Bytes())
	copy(mem[400:], f410.Bytes())
	other, _ := address.NewDelegatedAddress(eamActorID, []byte("another-address-0000"))
	copy(mem[500:], other.Bytes())
	n := uint64(len(f410.Bytes()))

	if e := call(t, hyggeKernel(t, m, 101), mem, "actor", "create_actor", 200, 0, 400, n); e != uint32(ErrForbidden) {
		t.Errorf("create_actor by a non-init actor: errno %d", e)
	}
	k := hyggeKernel(t, m, initActorID)
	call(t, k, mem, "actor", "next_actor_address", 590, 600, 100)
	first := string(mem[600:621])
	if e := call(t, k, mem, "actor", "create_actor", 102, 200, 400, n); e != uint32(ErrForbidden) {
		t.Errorf("create_actor of a placeholder: errno %d", e)
	}
	if e := call(t, k, mem, "actor", "create_actor", 102, 0, 500, n); e != uint32(ErrForbidden) {
		t.Errorf("create_actor over a placeholder with another address: errno %d", e)
	}
	if e := call(t, k, mem, "actor", "create_actor", 102, 0, 400, n); e != 0 {
		t.Fatalf("create_actor over the placeholder: errno %d", e)
	}
	if a, _, _ := m.tree.GetActor(102); a.Code != evm.Code || string(a.Delegated) != string(f410.Bytes()) {
		t.Errorf("actor 102 after create: %s %x", a.Code, a.Delegated)
	}
	if e := call(t, k, mem, "actor", "create_actor", 101, 0, 0, 0); e != uint32(ErrForbidden) {
		t.Errorf("create_actor over an account: errno %d", e)
	}
	if e := call(t, k, mem, "actor", "lookup_delegated_address", 700, 102, 800, 100); e != 0 || string(mem[800:800+binary.LittleEndian.Uint32(mem[700:])]) != string(f410.Bytes()) {
		t.Errorf("lookup_delegated_address: errno %d %x", e, mem[800:830])
	}
	if e := call(t, k, mem, "actor", "lookup_delegated_address", 700, 101, 800, 100); e != 0 || binary.LittleEndian.Uint32(mem[700:]) != 0 {
		t.Errorf("lookup_delegated_address of an account: errno %d", e)
	}
	call(t, k, mem, "actor", "next_actor_address", 590, 600, 100)
	if string(mem[600:621]) == first {
		t.Error("next actor address unchanged by a creation")
	}
	from, _ := address.NewIDAddress(100)
	want, _ := k.cm.nextActorAddress()
	if got, _ := address.NewFromBytes(mem[600:621]); got != want || k.cm.originAddr != from {
		t.Errorf("next actor address %s, want %s", got, want)
	}
}

// TestHyggeEvents: an event is validated, charged and kept; a reverted
// transaction drops the events emitted in it; the events root is that of
// the kept ones.
func TestHyggeEvents(t *testing.T) {
	m, _ := hyggeMachine(t)
	k := hyggeKernel(t, m, 101)
	mem := make(flatMemory, 256)
	// [[flags 3, key "k", codec 0x55, value "v"]]
	ev := []byte{0x81, 0x84, 0x03, 0x61, 'k', 0x18, 0x55, 0x41, 'v'}
	copy(mem, ev)
	ctx := context.Background()
	if e := call(t, k, mem, "event", "emit_event", 0, uint64(len(ev))); e != 0 {
		t.Fatalf("emit_event errno %d", e)
	}
	one, err := k.cm.events.root(ctx)
	if err != nil || !one.Defined() {
		t.Fatalf("events root %s, %v", one, err)
	}
	_, _ = k.cm.transaction(func() (*block, error) {
		call(t, k, mem, "event", "emit_event", 0, uint64(len(ev)))
		return nil, &actorAbort{code: 16}
	})
	if again, _ := k.cm.events.root(ctx); again != one || len(k.cm.events.events) != 1 {
		t.Errorf("a reverted event stayed: %d events", len(k.cm.events.events))
	}
	bad := append([]byte(nil), ev...)
	bad[6] = 0x71 // DAG-CBOR values are refused
	copy(mem[100:], bad)
	if e := call(t, k, mem, "event", "emit_event", 100, uint64(len(bad))); e != uint32(ErrIllegalCodec) {
		t.Errorf("event with a DAG-CBOR value: errno %d", e)
	}
}

// TestHyggeExit: vm::exit with a system code is SYS_ILLEGAL_EXIT_CODE;
// exit 0 with a block is a return; a user code keeps its block.
func TestHyggeExit(t *testing.T) {
	m, _ := hyggeMachine(t)
	k := hyggeKernel(t, m, 101)
	mem := make(flatMemory, 64)
	copy(mem, "boom")
	_, err := hostFn(t, k, "vm", "exit").Call(context.Background(), k, mem, []uint64{5, 0, 0, 4})
	var ex *actorExit
	if !errors.As(err, &ex) || ex.code != exitIllegalExitCode {
		t.Fatalf("exit 5: %v", err)
	}
	id, _ := k.blocks.put(block{codec: dagCBOR, data: []byte{0x80}})
	_, err = hostFn(t, k, "vm", "exit").Call(context.Background(), k, mem, []uint64{18, uint64(id), 0, 4})
	if !errors.As(err, &ex) || ex.code != 18 || ex.msg != "boom" {
		t.Fatalf("exit 18: %v", err)
	}
	ret, err := k.exited(ex)
	var abort *actorAbort
	if !errors.As(err, &abort) || abort.ret == nil || string(abort.ret.data) != "\x80" || ret != nil {
		t.Errorf("exit 18 with a block: %v %v", ret, err)
	}
	if ret, err := k.exited(&actorExit{code: 0, block: id}); err != nil || ret == nil || ret.codec != dagCBOR {
		t.Errorf("exit 0 with a block: %v %v", ret, err)
	}
}
