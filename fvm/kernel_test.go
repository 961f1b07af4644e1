package fvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm"
)

// flatMemory is a linear memory for calling syscalls without an engine.
type flatMemory []byte

func (m flatMemory) Size() uint32 { return uint32(len(m)) }
func (m flatMemory) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m)) {
		return nil, false
	}
	return m[off : off+n], true
}
func (m flatMemory) Write(off uint32, b []byte) bool {
	if uint64(off)+uint64(len(b)) > uint64(len(m)) {
		return false
	}
	copy(m[off:], b)
	return true
}

// testBundles is shared by this package's tests: loading a bundle verifies
// every block, which is slow under the race detector.
var testBundles = bundle.NewSet()

// builtMachine is an nv17 machine on a built state: an init actor and two
// actors (IDs 100, 101) holding balances, with the v9 bundle's codes.
func builtMachine(t *testing.T) *Machine {
	t.Helper()
	ctx := context.Background()
	bs := chain.NewMemBlocks()
	store := ipldcbor.NewCborStore(bs)
	b, err := testBundles.Get(9)
	if err != nil {
		t.Fatal(err)
	}
	initCode, _ := b.ByName("init")
	acct, _ := b.ByName("account")
	tr, err := state.New(ctx, store, 4, initCode.Code, 102, "built")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{100, 101, burntFundsActorID, rewardActorID} {
		tr.SetActor(id, &state.Actor{Code: acct.Code, Head: vm.EmptyObjectCID(), Balance: big.NewInt(1000)})
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(ctx, bs, root, Config{NetworkVersion: 17, ActorsVersion: 9, PriceEra: "skyr", Epoch: 2683000, TraceGas: true, Bundles: testBundles})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func hostFn(t *testing.T, k *kernel, module, name string) HostFunction {
	t.Helper()
	for _, f := range Syscalls(k.cm.m.cfg.PriceEra) {
		if f.Module == module && f.Name == name {
			return f
		}
	}
	t.Fatalf("no host function %s::%s", module, name)
	return HostFunction{}
}

func call(t *testing.T, k *kernel, mem flatMemory, module, name string, args ...uint64) uint32 {
	t.Helper()
	errno, err := hostFn(t, k, module, name).Call(context.Background(), k, mem, args)
	if err != nil {
		t.Fatalf("%s::%s aborted: %v", module, name, err)
	}
	return errno
}

func testKernel(t *testing.T, m *Machine) *kernel {
	from, _ := address.NewIDAddress(100)
	cm := newCallManager(context.Background(), m, &vm.Message{From: from, GasLimit: 1_000_000_000}, 100)
	a, _, _ := m.tree.GetActor(101)
	return newKernel(cm, 100, 101, a.Code, 2, big.NewInt(5))
}

// TestIPLDSyscallsChargeSkyr creates, links, opens, reads and stats a
// block and checks each step's gas against the Skyr prices.
func TestIPLDSyscallsChargeSkyr(t *testing.T) {
	m := builtMachine(t)
	k := testKernel(t, m)
	mem := make(flatMemory, 4096)
	data := []byte{0x82, 0x01, 0x02} // CBOR [1, 2]
	copy(mem[1000:], data)
	p := m.prices

	used := k.cm.gas.UsedMilli()
	if e := call(t, k, mem, "ipld", "block_create", 0, dagCBOR, 1000, uint64(len(data))); e != 0 {
		t.Fatalf("block_create errno %d", e)
	}
	id := binary.LittleEndian.Uint32(mem[0:])
	want := p.OnSyscall().Total() + p.OnBlockCreate(len(data)).Total()
	if got := k.cm.gas.UsedMilli() - used; got != want {
		t.Errorf("block_create charged %d milligas, want %d", got, want)
	}

	used = k.cm.gas.UsedMilli()
	if e := call(t, k, mem, "ipld", "block_link", 8, uint64(id), blake2b256, 32, 2000, 100); e != 0 {
		t.Fatalf("block_link errno %d", e)
	}
	n := binary.LittleEndian.Uint32(mem[8:])
	_, c, err := cid.CidFromBytes(mem[2000 : 2000+n])
	if err != nil {
		t.Fatal(err)
	}
	wantCid, _ := cid.Prefix{Version: 1, Codec: dagCBOR, MhType: 0xb220, MhLength: 32}.Sum(data)
	if c != wantCid {
		t.Errorf("linked %s, want %s", c, wantCid)
	}
	if want := p.OnSyscall().Total() + p.OnBlockLink(len(data)).Total(); k.cm.gas.UsedMilli()-used != want {
		t.Errorf("block_link charged %d, want %d", k.cm.gas.UsedMilli()-used, want)
	}

	used = k.cm.gas.UsedMilli()
	if e := call(t, k, mem, "ipld", "block_open", 16, 2000); e != 0 {
		t.Fatalf("block_open errno %d", e)
	}
	if codec := binary.LittleEndian.Uint64(mem[16:]); codec != dagCBOR {
		t.Errorf("opened codec %x", codec)
	}
	opened := binary.LittleEndian.Uint32(mem[24:])
	if size := binary.LittleEndian.Uint32(mem[28:]); size != uint32(len(data)) {
		t.Errorf("opened size %d", size)
	}
	if want := p.OnSyscall().Total() + p.OnBlockOpenBase().Total() + p.OnBlockOpenPerByte(len(data)).Total(); k.cm.gas.UsedMilli()-used != want {
		t.Errorf("block_open charged %d, want %d", k.cm.gas.UsedMilli()-used, want)
	}

	// Read 2 bytes from offset 2 into a 2-byte buffer: 1 byte copied, and
	// the buffer reaches one byte past the end.
	if e := call(t, k, mem, "ipld", "block_read", 40, uint64(opened), 2, 3000, 2); e != 0 {
		t.Fatalf("block_read errno %d", e)
	}
	if rem := int32(binary.LittleEndian.Uint32(mem[40:])); rem != -1 || mem[3000] != 0x02 {
		t.Errorf("block_read remaining %d byte %x", rem, mem[3000])
	}
	if e := call(t, k, mem, "ipld", "block_stat", 44, 99); e != uint32(ErrInvalidHandle) {
		t.Errorf("stat of an unknown handle: errno %d", e)
	}
	if e := call(t, k, mem, "ipld", "block_link", 8, uint64(id), 0x12, 32, 2000, 100); e != uint32(ErrIllegalCid) {
		t.Errorf("sha2 link: errno %d", e)
	}
	if e := call(t, k, mem, "ipld", "block_open", uint64(len(mem)-4), 2000); e != uint32(ErrIllegalArgument) {
		t.Errorf("return pointer without room: errno %d", e)
	}
}

func TestContextRootAndSend(t *testing.T) {
	m := builtMachine(t)
	k := testKernel(t, m)
	mem := make(flatMemory, 4096)
	if e := call(t, k, mem, "vm", "context", 0); e != 0 {
		t.Fatal(e)
	}
	if v := binary.LittleEndian.Uint64(mem[0:]); v != 5 {
		t.Errorf("value received lo %d", v)
	}
	if c, r, mn := binary.LittleEndian.Uint64(mem[16:]), binary.LittleEndian.Uint64(mem[24:]), binary.LittleEndian.Uint64(mem[32:]); c != 100 || r != 101 || mn != 2 {
		t.Errorf("caller %d receiver %d method %d", c, r, mn)
	}
	if ep, nv := binary.LittleEndian.Uint64(mem[40:]), binary.LittleEndian.Uint32(mem[48:]); ep != 2683000 || nv != 17 {
		t.Errorf("epoch %d nv %d", ep, nv)
	}

	// set_root then root returns it.
	head := vm.EmptyObjectCID()
	copy(mem[500:], head.Bytes())
	if e := call(t, k, mem, "self", "set_root", 500); e != 0 {
		t.Fatal(e)
	}
	if e := call(t, k, mem, "self", "root", 60, 700, 100); e != 0 {
		t.Fatal(e)
	}
	if n := binary.LittleEndian.Uint32(mem[60:]); !bytes.Equal(mem[700:700+n], head.Bytes()) {
		t.Errorf("root after set_root: %x", mem[700:700+n])
	}

	// A nested plain send of 7 attoFIL from 101 to 100.
	to, _ := address.NewIDAddress(100)
	copy(mem[800:], to.Bytes())
	used := k.cm.gas.UsedMilli()
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 7); e != 0 {
		t.Fatalf("send errno %d", e)
	}
	if code := binary.LittleEndian.Uint32(mem[900:]); code != 0 {
		t.Errorf("send exit %d", code)
	}
	if want := m.prices.OnSyscall().Total() + m.prices.OnMethodInvocation(true, 0).Total(); k.cm.gas.UsedMilli()-used != want {
		t.Errorf("send charged %d, want %d", k.cm.gas.UsedMilli()-used, want)
	}
	a100, _, _ := m.tree.GetActor(100)
	a101, _, _ := m.tree.GetActor(101)
	if !a100.Balance.Equals(big.NewInt(1007)) || !a101.Balance.Equals(big.NewInt(993)) {
		t.Errorf("balances after send: %s %s", a100.Balance, a101.Balance)
	}
	// Sending more than the balance fails with InsufficientFunds and moves nothing.
	if e := call(t, k, mem, "send", "send", 900, 800, uint64(len(to.Bytes())), 0, 0, 0, 5000); e != uint32(ErrInsufficientFunds) {
		t.Errorf("overdrawn send errno %d", e)
	}
	if a, _, _ := m.tree.GetActor(101); !a.Balance.Equals(big.NewInt(993)) {
		t.Errorf("balance after failed send %s", a.Balance)
	}

	// abort with a user code ends the invocation with it; a system code
	// becomes SYS_ILLEGAL_EXIT_CODE.
	_, err := hostFn(t, k, "vm", "abort").Call(context.Background(), k, mem, []uint64{18, 0, 0})
	if a, ok := err.(*actorAbort); !ok || a.code != 18 {
		t.Errorf("abort 18: %v", err)
	}
	_, err = hostFn(t, k, "vm", "abort").Call(context.Background(), k, mem, []uint64{7, 0, 0})
	if a, ok := err.(*actorAbort); !ok || a.code != exitIllegalExitCode {
		t.Errorf("abort 7: %v", err)
	}
}

func TestGasChargeSyscallRunsOutOfGas(t *testing.T) {
	m := builtMachine(t)
	k := testKernel(t, m)
	mem := make(flatMemory, 64)
	copy(mem, "name")
	_, err := hostFn(t, k, "gas", "charge").Call(context.Background(), k, mem, []uint64{0, 4, 2_000_000_000})
	if err != gas.ErrOutOfGas {
		t.Fatalf("charge beyond the limit: %v", err)
	}
	if k.cm.gas.AvailableMilli() != 0 {
		t.Errorf("available after out of gas: %d", k.cm.gas.AvailableMilli())
	}
}

// TestNV16TransferOnBuiltState applies a message at network version 16
// (bundle v8, Skyr prices) on a built state: a plain transfer between two
// accounts, checking gas, fee settlement and balances.
func TestNV16TransferOnBuiltState(t *testing.T) {
	ctx := context.Background()
	bs := chain.NewMemBlocks()
	store := ipldcbor.NewCborStore(bs)
	b, err := testBundles.Get(8)
	if err != nil {
		t.Fatal(err)
	}
	initCode, _ := b.ByName("init")
	acct, _ := b.ByName("account")
	tr, err := state.New(ctx, store, 4, initCode.Code, 102, "built")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{100, 101, burntFundsActorID, rewardActorID} {
		tr.SetActor(id, &state.Actor{Code: acct.Code, Head: vm.EmptyObjectCID(), Balance: big.NewInt(1_000_000_000_000)})
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(ctx, bs, root, Config{NetworkVersion: 16, ActorsVersion: 8, PriceEra: "skyr", Epoch: 1960321, BaseFee: big.NewInt(100), Bundles: testBundles})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := address.NewIDAddress(100)
	to, _ := address.NewIDAddress(101)
	msg := &vm.Message{From: from, To: to, Value: big.NewInt(5000), GasLimit: 1_000_000, GasFeeCap: big.NewInt(200), GasPremium: big.NewInt(10)}
	n, err := msg.ChainLength()
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.ApplyMessage(ctx, msg, n)
	if err != nil {
		t.Fatal(err)
	}
	wantGas := 38863 + (36+int64(n))*1300 + 29233 + 27500 + 159672
	if res.ExitCode != 0 || res.GasUsed != wantGas {
		t.Fatalf("exit %d gas %d, want 0 and %d", res.ExitCode, res.GasUsed, wantGas)
	}
	a100, _, _ := m.tree.GetActor(100)
	a101, _, _ := m.tree.GetActor(101)
	cost := big.Add(big.Add(res.Outputs.BaseFeeBurn, res.Outputs.OverEstimationBurn), res.Outputs.MinerTip)
	if want := big.Sub(big.Sub(big.NewInt(1_000_000_000_000), big.NewInt(5000)), cost); !a100.Balance.Equals(want) || a100.Nonce != 1 {
		t.Errorf("sender balance %s nonce %d, want %s and 1", a100.Balance, a100.Nonce, want)
	}
	if !a101.Balance.Equals(big.NewInt(1_000_000_005_000)) {
		t.Errorf("receiver balance %s", a101.Balance)
	}
	if !res.Outputs.MinerTip.Equals(big.NewInt(10 * 1_000_000)) {
		t.Errorf("miner tip %s", res.Outputs.MinerTip)
	}
}
