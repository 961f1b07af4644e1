package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/tvx-project/tvx/fvm/gas"
)

// namedAccount is an account that also records the engine's named charges.
type namedAccount struct {
	account
	names []string
}

func (a *namedAccount) ChargeExec(milli int64) error {
	a.names = append(a.names, gas.ChargeWasmExec)
	return a.account.ChargeExec(milli)
}

func (a *namedAccount) ChargeNamed(name string, milli int64) error {
	a.names = append(a.names, name)
	return a.account.ChargeExec(milli)
}

type namedCharge struct {
	name  string
	milli int64
}

func (a *namedAccount) log() []namedCharge {
	out := make([]namedCharge, len(a.names))
	for i, n := range a.names {
		out[i] = namedCharge{n, a.charges[i]}
	}
	return out
}

func equalCharges(a, b []namedCharge) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runNamed is run with a namedAccount and a MemoryLimiter.
func runNamed(t *testing.T, e *Engine, m wmod, avail int64, lim MemoryLimiter, param uint64) (uint32, *namedAccount, error) {
	t.Helper()
	wasm := m.bytes()
	mod, err := e.Compile(context.Background(), codeCID(t, wasm), wasm)
	if err != nil {
		t.Fatal(err)
	}
	acct := &namedAccount{account: account{avail: avail}}
	inst, err := e.Instantiate(context.Background(), mod, InstanceConfig{Account: acct, Memory: lim})
	if err != nil {
		return 0, acct, err
	}
	defer inst.Close(context.Background())
	ret, err := inst.Invoke(context.Background(), "invoke", param)
	return ret, acct, err
}

const pageMilli = 65536 * 400 // Hygge: 0.4 gas a byte of memory

// growModule is invoke(n): memory.grow by n pages from 2, returning the old
// size; it exports its memory and a 10-element table.
func growModule() wmod {
	m := oneFunc(opLocalGet, 0, opMemoryGrow, 0, opEnd)
	m.memory, m.memPages, m.exportMemory = true, 2, true
	elems := uint32(10)
	m.table = &elems
	return m
}

// TestHyggeInstantiationCharges: at nv18 the initial table (8 bytes an
// element) and memory are charged before the instance exists, table
// first, under the FVM's names; nv16-17 charge neither.
func TestHyggeInstantiationCharges(t *testing.T) {
	m := growModule()
	ret, acct, err := runNamed(t, newEngine(t, gas.Hygge), m, 1e12, nil, 0)
	// invoke(0): the thunk, local.get and memory.grow (4 gas, nothing per
	// page for zero pages).
	want := []namedCharge{
		{gas.ChargeWasmTableInit, 10 * 8 * 400},
		{gas.ChargeWasmMemoryInit, 2 * pageMilli},
		{gas.ChargeWasmExec, thunk1 + 2*ins},
	}
	if err != nil || ret != 2 || !equalCharges(acct.log(), want) {
		t.Errorf("hygge: got %d %v (%v), want 2 %v", ret, acct.log(), err, want)
	}
	ret, acct, err = runNamed(t, newEngine(t, gas.Skyr), m, 1e12, nil, 0)
	want = []namedCharge{{gas.ChargeWasmExec, thunk1 + 2*ins}}
	if err != nil || ret != 2 || !equalCharges(acct.log(), want) {
		t.Errorf("skyr: got %d %v (%v), want 2 %v", ret, acct.log(), err, want)
	}
	// Only the exports count: the same module without them is charged
	// nothing at instantiation.
	m.exportMemory, m.table = false, nil
	_, acct, err = runNamed(t, newEngine(t, gas.Hygge), m, 1e12, nil, 0)
	if want := []namedCharge{{gas.ChargeWasmExec, thunk1 + 2*ins}}; err != nil || !equalCharges(acct.log(), want) {
		t.Errorf("hygge, nothing exported: got %v (%v), want %v", acct.log(), err, want)
	}
}

// TestHyggeInstantiationOutOfGas: gas for less than the initial memory is
// out of gas before the module runs, the whole limit used.
func TestHyggeInstantiationOutOfGas(t *testing.T) {
	m := growModule()
	_, acct, err := runNamed(t, newEngine(t, gas.Hygge), m, 10*8*400+2*pageMilli-1, nil, 0)
	if !errors.Is(err, ErrOutOfGas) || acct.avail != 0 || len(acct.names) != 2 || acct.names[1] != gas.ChargeWasmMemoryInit {
		t.Errorf("got %v, charges %v, %d left", err, acct.log(), acct.avail)
	}
}

// TestHyggeMemoryGrowSplit: the settlement after memory.grow charges the
// growth (3 pages at 0.4 gas a byte) as wasm_memory_grow and the rest as
// wasm_exec; they add up to what the instrumentation charged. A refused
// growth charges the instruction's price the same way, all as execution.
func TestHyggeMemoryGrowSplit(t *testing.T) {
	m := growModule()
	exec := int64(thunk1 + 2*ins)
	ret, acct, err := runNamed(t, newEngine(t, gas.Hygge), m, 1e12, nil, 3)
	want := []namedCharge{
		{gas.ChargeWasmTableInit, 10 * 8 * 400},
		{gas.ChargeWasmMemoryInit, 2 * pageMilli},
		{gas.ChargeWasmExec, exec},
		{gas.ChargeWasmMemoryGrow, 3 * pageMilli},
	}
	if err != nil || ret != 2 || !equalCharges(acct.log(), want) {
		t.Errorf("growth: got %d %v (%v), want 2 %v", ret, acct.log(), err, want)
	}
	refuse := &recordingLimiter{allow: func(current, _ uint64) bool { return current == 0 }}
	ret, acct, err = runNamed(t, newEngine(t, gas.Hygge), m, 1e12, refuse, 3)
	want = []namedCharge{
		{gas.ChargeWasmTableInit, 10 * 8 * 400},
		{gas.ChargeWasmMemoryInit, 2 * pageMilli},
		{gas.ChargeWasmExec, exec + 3*pageMilli},
	}
	if err != nil || ret != 0xffffffff || !equalCharges(acct.log(), want) {
		t.Errorf("refused: got %#x %v (%v), want -1 %v", ret, acct.log(), err, want)
	}
	// An account without names is charged the same gas through ChargeExec.
	_, plain, err := run(t, newEngine(t, gas.Hygge), m, 1e12, 3)
	if total := 10*8*400 + 2*pageMilli + exec + 3*pageMilli; err != nil || plain.total() != total {
		t.Errorf("plain account: %d (%v), want %d", plain.total(), err, total)
	}
}

// TestHyggeBulkMemoryPricing: from nv18 memory.fill and memory.copy cost
// 4 gas plus 0.4 gas a byte — statically when the length is an i32.const
// just before, otherwise charged at run time from the operand; at nv16-17
// they are 4 gas like any instruction.
func TestHyggeBulkMemoryPricing(t *testing.T) {
	const (
		fill = 0x0B
		cp   = 0x0A
	)
	for _, c := range []struct {
		name  string
		code  []byte
		param uint64
		skyr  int64 // milligas after the thunk
		hygge int64
	}{
		// i32.const 0, 0, 100; memory.fill; i32.const 0: 5 priced instructions,
		// the fill of 100 bytes priced in its block.
		{"static fill", []byte{opI32Const, 0, opI32Const, 0, opI32Const, 0xE4, 0, 0xFC, fill, 0, opI32Const, 0, opEnd}, 0,
			5 * ins, 5*ins + 100*400},
		// local.get 0; i32.const 0; local.get 0; memory.fill: the length
		// comes from the parameter, charged when the fill runs.
		{"dynamic fill", []byte{opLocalGet, 0, opI32Const, 0, opLocalGet, 0, 0xFC, fill, 0, opI32Const, 0, opEnd}, 1000,
			5 * ins, 5*ins + 1000*400},
		// memory.copy of n bytes from 0 to n.
		{"dynamic copy", []byte{opLocalGet, 0, opI32Const, 0, opLocalGet, 0, 0xFC, cp, 0, 0, opI32Const, 0, opEnd}, 777,
			5 * ins, 5*ins + 777*400},
	} {
		m := oneFunc(c.code...)
		m.memory = true
		for _, e := range []struct {
			era  gas.Era
			want int64
		}{{gas.Skyr, c.skyr}, {gas.Hygge, c.hygge}} {
			_, acct, err := run(t, newEngine(t, e.era), m, 1e12, c.param)
			if err != nil || acct.total() != thunk1+e.want {
				t.Errorf("%s, %s: used %d (%v), want %d", c.name, e.era, acct.total(), err, thunk1+e.want)
			}
		}
	}
}
