package engine

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/fvm/gas"
)

// account is a gas tracker like the kernel's: charging more than is
// available is out of gas, and uses up what was left.
type account struct {
	avail   int64
	charges []int64
}

var errAccountOutOfGas = errors.New("account: out of gas")

func (a *account) AvailableMilli() int64 { return a.avail }
func (a *account) ChargeExec(milli int64) error {
	a.charges = append(a.charges, milli)
	if milli > a.avail {
		a.avail = 0
		return errAccountOutOfGas
	}
	a.avail -= milli
	return nil
}

func (a *account) total() int64 {
	var t int64
	for _, c := range a.charges {
		t += c
	}
	return t
}

func codeCID(t *testing.T, b []byte) cid.Cid {
	t.Helper()
	h, err := multihash.Sum(b, multihash.IDENTITY, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

func newEngine(t *testing.T, era gas.Era, host ...HostFunc) *Engine {
	t.Helper()
	costs, ok := gas.Instructions(era)
	if !ok {
		t.Fatalf("no instruction costs for %s", era)
	}
	e, err := New(context.Background(), Config{Instructions: costs, MaxWasmStack: 2048, Host: host, NoDiskCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// run compiles m, instantiates it with avail milligas and invokes
// "invoke"(param).
func run(t *testing.T, e *Engine, m wmod, avail int64, param uint64) (uint32, *account, error) {
	t.Helper()
	wasm := m.bytes()
	mod, err := e.Compile(context.Background(), codeCID(t, wasm), wasm)
	if err != nil {
		t.Fatal(err)
	}
	acct := &account{avail: avail}
	inst, err := e.Instantiate(context.Background(), mod, InstanceConfig{Account: acct})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(context.Background())
	ret, err := inst.Invoke(context.Background(), "invoke", param)
	return ret, acct, err
}

func oneFunc(code ...byte) wmod {
	return wmod{
		types:   [][]byte{typeI32toI32},
		funcs:   []wfunc{{typ: 0, code: code}},
		exports: map[string]uint32{"invoke": 0},
	}
}

const ins = 4000 // Skyr and Hygge: 4 gas per priced instruction, in milligas

// thunk1 is what entering a one-parameter export costs before its own
// code: the stack limiter routes exports through a thunk,
//
//	local.get 0; global.get h; i32.const c; i32.add; global.set h;
//	global.get h; i32.const limit; i32.gt_u; if; unreachable; end;
//	call f; global.get h; i32.const c; i32.sub; global.set h; end
//
// one metered block (the if only traps) of 14 priced instructions.
const thunk1 = 14 * ins

func TestStraightLine(t *testing.T) {
	// local.get, i32.const, i32.add are priced; end is free: one block of 3.
	m := oneFunc(opLocalGet, 0, opI32Const, 1, opI32Add, opEnd)
	for _, era := range []gas.Era{gas.Skyr, gas.Hygge} {
		ret, acct, err := run(t, newEngine(t, era), m, 1e9, 41)
		if err != nil {
			t.Fatal(err)
		}
		if ret != 42 || acct.total() != thunk1+3*ins {
			t.Errorf("%s: got %d using %d milligas, want 42 using %d", era, ret, acct.total(), thunk1+3*ins)
		}
	}
}

func TestBranches(t *testing.T) {
	// 0 local.get 0; 1 if (result i32); 2 i32.const 10; 3 i32.const 1;
	// 4 i32.add; 5 else; 6 i32.const 20; 7 end; 8 i32.const 1; 9 i32.add; 10 end
	// Blocks: {0: local.get, if, i32.const 1, i32.add} = 4 (the code after
	// the if is entered with the code before it), {2: then} = 3,
	// {6: else} = 1. Taken: 7 instructions; not taken: 5.
	m := oneFunc(opLocalGet, 0, opIf, tI32, opI32Const, 10, opI32Const, 1, opI32Add,
		opElse, opI32Const, 20, opEnd, opI32Const, 1, opI32Add, opEnd)
	e := newEngine(t, gas.Skyr)
	for _, c := range []struct {
		param       uint64
		ret         uint32
		instrs      int64
		description string
	}{{1, 12, 7, "taken"}, {0, 21, 5, "not taken"}} {
		ret, acct, err := run(t, e, m, 1e9, c.param)
		if err != nil {
			t.Fatal(err)
		}
		if ret != c.ret || acct.total() != thunk1+c.instrs*ins {
			t.Errorf("%s: got %d using %d, want %d using %d", c.description, ret, acct.total(), c.ret, thunk1+c.instrs*ins)
		}
	}
}

func TestLoop(t *testing.T) {
	// (local i32) 0 loop; 1 local.get 1; 2 i32.const 1; 3 i32.add;
	// 4 local.tee 1; 5 local.get 0; 6 i32.lt_u; 7 br_if 0; 8 end;
	// 9 local.get 1; 10 end
	// The loop body {1..7} is 7 priced instructions charged per iteration;
	// the function's own block is the free loop opcode plus local.get 1.
	m := oneFunc(opLoop, tEmpty, opLocalGet, 1, opI32Const, 1, opI32Add, opLocalTee, 1,
		opLocalGet, 0, opI32LtU, opBrIf, 0, opEnd, opLocalGet, 1, opEnd)
	m.funcs[0].groups, m.funcs[0].locals = 1, []byte{1, tI32}
	e := newEngine(t, gas.Skyr)
	for _, n := range []uint64{1, 5, 100} {
		ret, acct, err := run(t, e, m, 1e9, n)
		if err != nil {
			t.Fatal(err)
		}
		want := thunk1 + int64(1+7*n)*ins
		if ret != uint32(n) || acct.total() != want {
			t.Errorf("n=%d: got %d using %d, want %d using %d", n, ret, acct.total(), n, want)
		}
	}
}

func TestEarlyReturn(t *testing.T) {
	// 0 local.get 0; 1 if; 2 i32.const 7; 3 return; 4 end; 5 i32.const 9;
	// 6 i32.const 1; 7 i32.add; 8 end
	// The return branches out of the if, so the code after it is a block
	// of its own: {0: local.get, if} = 2, {2: i32.const} = 1 (return is
	// free), {5: 3 instructions}. Return: 3; fall through: 5.
	m := oneFunc(opLocalGet, 0, opIf, tEmpty, opI32Const, 7, opReturn, opEnd,
		opI32Const, 9, opI32Const, 1, opI32Add, opEnd)
	e := newEngine(t, gas.Skyr)
	ret, acct, err := run(t, e, m, 1e9, 1)
	if err != nil || ret != 7 || acct.total() != thunk1+3*ins {
		t.Errorf("return: got %d using %d (%v), want 7 using %d", ret, acct.total(), err, thunk1+3*ins)
	}
	ret, acct, err = run(t, e, m, 1e9, 0)
	if err != nil || ret != 10 || acct.total() != thunk1+5*ins {
		t.Errorf("fall through: got %d using %d (%v), want 10 using %d", ret, acct.total(), err, thunk1+5*ins)
	}
}

func TestOutOfGasMidBlock(t *testing.T) {
	// The whole block (the thunk's 14 instructions, then the body's 3) is
	// charged on entry: one milligas short of it and nothing of it runs.
	m := oneFunc(opLocalGet, 0, opI32Const, 1, opI32Add, opEnd)
	e := newEngine(t, gas.Skyr)
	_, acct, err := run(t, e, m, thunk1+3*ins-1, 1)
	if !errors.Is(err, ErrOutOfGas) {
		t.Fatalf("got %v, want out of gas", err)
	}
	if !errors.Is(err, errAccountOutOfGas) || acct.avail != 0 {
		t.Errorf("account not settled as out of gas: %v, %d left", err, acct.avail)
	}
	if _, acct, err = run(t, e, m, thunk1+3*ins, 1); err != nil || acct.avail != 0 {
		t.Errorf("exactly enough gas: %v, %d left", err, acct.avail)
	}
}

func TestHostCallSettlesGas(t *testing.T) {
	// invoke: 0 local.get 0; 1 call $probe; 2 i32.const 1; 3 i32.add; 4 end
	// One block of 4 after the export's thunk, charged before the call (a
	// call to an import is not stack-guarded); the host then charges 1000
	// itself, which the Wasm counter must see afterwards.
	var seen []int64
	probe := HostFunc{Module: "test", Name: "probe", Params: []ValueType{I32},
		Call: func(ctx context.Context, inst *Instance, args []uint64) (uint32, error) {
			acct := inst.cfg.Account.(*account)
			seen = append(seen, acct.total())
			acct.avail -= 1000
			return uint32(args[0]) * 2, nil
		}}
	m := wmod{
		types:   [][]byte{typeI32toI32},
		imports: []wimport{{"test", "probe", 0}},
		funcs:   []wfunc{{typ: 0, code: []byte{opLocalGet, 0, opCall, 0, opI32Const, 1, opI32Add, opEnd}}},
		exports: map[string]uint32{"invoke": 1},
	}
	e := newEngine(t, gas.Skyr, probe)
	ret, acct, err := run(t, e, m, 1e6, 20)
	if err != nil {
		t.Fatal(err)
	}
	if ret != 41 || len(seen) != 1 || seen[0] != thunk1+4*ins {
		t.Errorf("got %d, settled %v before the call; want 41, [%d]", ret, seen, thunk1+4*ins)
	}
	if want := int64(1e6 - thunk1 - 4*ins - 1000); acct.avail != want {
		t.Errorf("left %d, want %d", acct.avail, want)
	}
}

func TestHostAbortPassesThrough(t *testing.T) {
	boom := errors.New("kernel abort")
	probe := HostFunc{Module: "test", Name: "probe", Params: []ValueType{I32},
		Call: func(context.Context, *Instance, []uint64) (uint32, error) { return 0, boom }}
	m := wmod{
		types:   [][]byte{typeI32toI32},
		imports: []wimport{{"test", "probe", 0}},
		funcs:   []wfunc{{typ: 0, code: []byte{opLocalGet, 0, opCall, 0, opEnd}}},
		exports: map[string]uint32{"invoke": 1},
	}
	_, _, err := run(t, newEngine(t, gas.Skyr, probe), m, 1e6, 1)
	if err != boom {
		t.Errorf("got %v, want the host's error unchanged", err)
	}
}

func TestTrap(t *testing.T) {
	m := oneFunc(opUnreachable, opEnd)
	_, _, err := run(t, newEngine(t, gas.Skyr), m, 1e6, 1)
	var trap *TrapError
	if !errors.As(err, &trap) || errors.Is(err, ErrOutOfGas) {
		t.Errorf("got %v, want a trap", err)
	}
}

func TestCompileOncePerCID(t *testing.T) {
	e := newEngine(t, gas.Skyr)
	wasm := oneFunc(opLocalGet, 0, opEnd).bytes()
	c := codeCID(t, wasm)
	var wg sync.WaitGroup
	mods := make([]*Module, 8)
	for i := range mods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := e.Compile(context.Background(), c, wasm)
			if err != nil {
				t.Error(err)
			}
			mods[i] = m
		}()
	}
	wg.Wait()
	for _, m := range mods[1:] {
		if m != mods[0] {
			t.Fatal("one CID compiled twice")
		}
	}
}

// guardedCall1 is the priced part of a stack-guarded call: the 14
// instructions of thunk1 but the local.get.
const guardedCall1 = 13 * ins

func TestCalls(t *testing.T) {
	// invoke: local.get 0; call $inc; end — one block: local.get and the
	// guarded call. inc: local.get 0; i32.const 1; i32.add; end — 3.
	m := wmod{
		types: [][]byte{typeI32toI32},
		funcs: []wfunc{
			{typ: 0, code: []byte{opLocalGet, 0, opCall, 1, opEnd}},
			{typ: 0, code: []byte{opLocalGet, 0, opI32Const, 1, opI32Add, opEnd}},
		},
		exports: map[string]uint32{"invoke": 0},
	}
	ret, acct, err := run(t, newEngine(t, gas.Skyr), m, 1e9, 1)
	if want := int64(thunk1 + ins + guardedCall1 + 3*ins); err != nil || ret != 2 || acct.total() != want {
		t.Errorf("got %d using %d (%v), want 2 using %d", ret, acct.total(), err, want)
	}
}

func TestStackOverflow(t *testing.T) {
	// f: local.get 0; call $f; end, exported. Its stack cost is 3: the
	// activation's 2 plus the one value it pushes (no locals). The thunk
	// raises the height to 3, each entry of f by 3 more before calling
	// again: entry j checks 3(j+1) against the limit 2048, so entry 682
	// traps. Each of the 682 entries paid its whole block (local.get plus
	// the guarded call, 14) on entry, the thunk 14.
	m := wmod{
		types:   [][]byte{typeI32toI32},
		funcs:   []wfunc{{typ: 0, code: []byte{opLocalGet, 0, opCall, 0, opEnd}}},
		exports: map[string]uint32{"invoke": 0},
	}
	for _, era := range []gas.Era{gas.Skyr, gas.Hygge} {
		_, acct, err := run(t, newEngine(t, era), m, 1e9, 1)
		if !errors.Is(err, ErrStackOverflow) {
			t.Fatalf("%s: got %v, want stack overflow", era, err)
		}
		if want := int64(thunk1 + 682*(ins+guardedCall1)); acct.total() != want {
			t.Errorf("%s: used %d, want %d", era, acct.total(), want)
		}
	}
}

func TestStackCostCountsLocalsByEra(t *testing.T) {
	// f (local i32 i32 i32, one declaration): local.get 0; call $f; end.
	// Its max height is 3 (see TestStackOverflow). nv16-17 count its 3
	// locals: cost 6, so entry j checks 6(j+1) > 2048 and entry 341
	// traps. nv18 counts 1 declaration: cost 4, entry 512 traps.
	m := wmod{
		types:   [][]byte{typeI32toI32},
		funcs:   []wfunc{{typ: 0, groups: 1, locals: []byte{3, tI32}, code: []byte{opLocalGet, 0, opCall, 0, opEnd}}},
		exports: map[string]uint32{"invoke": 0},
	}
	for _, c := range []struct {
		era     gas.Era
		entries int64
	}{{gas.Skyr, 341}, {gas.Hygge, 512}} {
		_, acct, err := run(t, newEngine(t, c.era), m, 1e9, 1)
		if !errors.Is(err, ErrStackOverflow) {
			t.Fatalf("%s: got %v, want stack overflow", c.era, err)
		}
		if want := thunk1 + c.entries*(ins+guardedCall1); acct.total() != want {
			t.Errorf("%s: used %d, want %d (%d entries)", c.era, acct.total(), want, c.entries)
		}
	}
}

func TestBrTableDefaultByEra(t *testing.T) {
	//  0 block A; 1 block B; 2 local.get 0; 3 br_table [0] default 1;
	//  4 end B; 5 i32.const 1; 6 drop; 7 end A; 8 local.get 0; 9 end
	// nv16-17 see that the default target leaves A, so the code after B
	// is its own block: {0: local.get, br_table, local.get 0} = 3 and
	// {5: i32.const} = 1; index 0 runs both (4), index 1 skips it (3).
	// nv18's analysis ignores the default target and keeps one block of 4
	// whichever way the br_table goes.
	m := oneFunc(opBlock, tEmpty, opBlock, tEmpty, opLocalGet, 0, 0x0E, 1, 0, 1, opEnd,
		opI32Const, 1, opDrop, opEnd, opLocalGet, 0, opEnd)
	for _, c := range []struct {
		era        gas.Era
		p          uint64
		priced     int64
		descripton string
	}{{gas.Skyr, 0, 4, "skyr, table target"}, {gas.Skyr, 1, 3, "skyr, default"},
		{gas.Hygge, 0, 4, "hygge, table target"}, {gas.Hygge, 1, 4, "hygge, default"}} {
		ret, acct, err := run(t, newEngine(t, c.era), m, 1e9, c.p)
		if want := thunk1 + c.priced*ins; err != nil || ret != uint32(c.p) || acct.total() != want {
			t.Errorf("%s: got %d using %d (%v), want %d using %d", c.descripton, ret, acct.total(), err, c.p, want)
		}
	}
}

func TestNaNCanonical(t *testing.T) {
	// 0.0/0.0, reinterpreted, high 32 bits: the canonical NaN's 0x7ff80000
	// whatever the hardware makes. 7 priced instructions.
	m := oneFunc(0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0xA3,
		0xBD, 0x42, 32, 0x88, 0xA7, opEnd)
	ret, acct, err := run(t, newEngine(t, gas.Skyr), m, 1e9, 0)
	if err != nil || ret != 0x7ff80000 || acct.total() != thunk1+7*ins {
		t.Errorf("got %#x using %d (%v), want 0x7ff80000 using %d", ret, acct.total(), err, thunk1+7*ins)
	}
}

func TestLinearMemoryGrowHygge(t *testing.T) {
	// i32.const 2; memory.grow; end. nv18 prices memory.grow with a
	// constant operand statically: 4 gas + 2 pages x 65536 x 0.4 gas, plus
	// 4 gas for the i32.const. nv16-17: 2 instructions.
	m := oneFunc(opI32Const, 2, opMemoryGrow, 0, opEnd)
	m.memory = true
	for _, c := range []struct {
		era  gas.Era
		want int64
	}{{gas.Skyr, thunk1 + 2*ins}, {gas.Hygge, thunk1 + 2*ins + 2*65536*400}} {
		ret, acct, err := run(t, newEngine(t, c.era), m, 1e12, 0)
		if err != nil || ret != 1 || acct.total() != c.want {
			t.Errorf("%s: got %d using %d (%v), want 1 (old size) using %d", c.era, ret, acct.total(), err, c.want)
		}
	}
	// With the size from a local the charge is made at run time.
	m = oneFunc(opLocalGet, 0, opMemoryGrow, 0, opEnd)
	m.memory = true
	ret, acct, err := run(t, newEngine(t, gas.Hygge), m, 1e12, 3)
	if want := int64(thunk1 + 2*ins + 3*65536*400); err != nil || ret != 1 || acct.total() != want {
		t.Errorf("dynamic: got %d using %d (%v), want 1 using %d", ret, acct.total(), err, want)
	}
}

type recordingLimiter struct {
	calls [][2]uint64
	allow func(current, desired uint64) bool
}

func (l *recordingLimiter) GrowMemory(current, desired uint64) bool {
	l.calls = append(l.calls, [2]uint64{current, desired})
	return l.allow(current, desired)
}

func TestMemoryLimits(t *testing.T) {
	// invoke(n): local.get 0; memory.grow; end — the old size in pages, or
	// -1 when refused. The module starts with 1 page.
	m := oneFunc(opLocalGet, 0, opMemoryGrow, 0, opEnd)
	m.memory = true
	wasm := m.bytes()
	costs, _ := gas.Instructions(gas.Hygge)
	e, err := New(context.Background(), Config{Instructions: costs, MaxWasmStack: 2048, MaxInstanceMemoryBytes: 3 * 65536, NoDiskCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	mod, err := e.Compile(context.Background(), codeCID(t, wasm), wasm)
	if err != nil {
		t.Fatal(err)
	}
	grow := func(lim MemoryLimiter, pages uint64) uint32 {
		t.Helper()
		cfg := InstanceConfig{Account: &account{avail: 1e12}}
		if lim != nil {
			cfg.Memory = lim
		}
		inst, err := e.Instantiate(context.Background(), mod, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Close(context.Background())
		ret, err := inst.Invoke(context.Background(), "invoke", pages)
		if err != nil {
			t.Fatal(err)
		}
		return ret
	}
	if got := grow(nil, 2); got != 1 {
		t.Errorf("growing to the instance limit: got %d, want 1", got)
	}
	if got := grow(nil, 3); got != 0xffffffff {
		t.Errorf("growing past the instance limit: got %d, want -1", int32(got))
	}
	lim := &recordingLimiter{allow: func(cur, want uint64) bool { return want <= 65536 }}
	if got := grow(lim, 1); got != 0xffffffff {
		t.Errorf("growth the limiter refuses: got %d, want -1", int32(got))
	}
	if want := [][2]uint64{{0, 65536}, {65536, 2 * 65536}}; len(lim.calls) != 2 || lim.calls[0] != want[0] || lim.calls[1] != want[1] {
		t.Errorf("limiter asked %v, want %v", lim.calls, want)
	}
	lim = &recordingLimiter{allow: func(uint64, uint64) bool { return false }}
	if _, err := e.Instantiate(context.Background(), mod, InstanceConfig{Account: &account{}, Memory: lim}); !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("initial memory refused: got %v, want ErrMemoryLimit", err)
	}
}

func TestSharedDiskCache(t *testing.T) {
	// Engines sharing a cache directory (as processes on one machine do)
	// compile concurrently; wazero writes each entry to a temporary file
	// and renames it, so readers never see a partial entry. Afterwards
	// the directory holds the entry and a fresh engine runs from it.
	dir := t.TempDir()
	costs, _ := gas.Instructions(gas.Skyr)
	m := oneFunc(opLocalGet, 0, opI32Const, 1, opI32Add, opEnd)
	wasm := m.bytes()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := New(context.Background(), Config{Instructions: costs, MaxWasmStack: 2048, CacheDir: dir})
			if err != nil {
				t.Error(err)
				return
			}
			defer e.Close(context.Background())
			if _, err := e.Compile(context.Background(), codeCID(t, wasm), wasm); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var files int
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Fatal("nothing written to the compilation cache")
	}
	e, err := New(context.Background(), Config{Instructions: costs, MaxWasmStack: 2048, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	ret, acct, err := run(t, e, m, 1e9, 1)
	if err != nil || ret != 2 || acct.total() != thunk1+3*ins {
		t.Errorf("from the cache: got %d using %d (%v)", ret, acct.total(), err)
	}
}
