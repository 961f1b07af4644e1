package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/tvx-project/tvx/fvm/engine/instrument"
	"github.com/tvx-project/tvx/fvm/gas"
)

// Account is the kernel's gas tracker as one invocation sees it.
type Account interface {
	// AvailableMilli is the milligas the invocation may still use.
	AvailableMilli() int64
	// ChargeExec charges milli milligas of Wasm execution since the last
	// settlement (gas.ChargeWasmExec); an error (out of gas) aborts the
	// invocation. milli may exceed what was available when the code ran
	// out of gas. In an era that prices memory (gas.MemoryCosts) the part
	// paying for memory growth since the last settlement is not in milli
	// but charged after it as gas.ChargeWasmMemoryGrow, as the FVM's
	// trace shows it; the two add up to what the Wasm code used.
	ChargeExec(milli int64) error
}

// NamedAccount is an Account that takes the engine's other charges
// (gas.ChargeWasmMemoryInit, gas.ChargeWasmTableInit,
// gas.ChargeWasmMemoryGrow) under those names. An Account without it is
// charged them through ChargeExec: the same gas, under one name.
type NamedAccount interface {
	Account
	// ChargeNamed charges milli milligas under name; an error (out of
	// gas) aborts the invocation.
	ChargeNamed(name string, milli int64) error
}

// MemoryLimiter approves linear memory growth: the FVM bounds the memory
// of a whole call stack, not only of one instance. Sizes are in bytes.
type MemoryLimiter interface {
	// GrowMemory reports whether memory may grow from current to desired
	// bytes (current is 0 for the initial memory at instantiation). A
	// refused memory.grow returns -1 to the Wasm code.
	GrowMemory(current, desired uint64) bool
}

// InstanceConfig is one invocation's side of an instance.
type InstanceConfig struct {
	// Account is settled with at every host call and when Invoke ends.
	Account Account
	// Memory, when set, approves every memory growth.
	Memory MemoryLimiter
	// Host is the invocation's kernel, for host functions (Instance.Host).
	Host any
}

// Errors an invocation ends with, besides a host function's own error.
var (
	// ErrOutOfGas: the Wasm gas counter went below zero.
	ErrOutOfGas = errors.New("engine: out of gas")
	// ErrStackOverflow: a call went past the instrumented stack limit.
	ErrStackOverflow = errors.New("engine: wasm stack overflow")
	// ErrMemoryLimit: the module's initial memory is more than allowed.
	ErrMemoryLimit = errors.New("engine: memory limit exceeded")
)

// TrapError is a Wasm trap other than out of gas or stack overflow
// (unreachable, out-of-bounds access, division by zero, ...).
type TrapError struct {
	Err error
}

func (e *TrapError) Error() string { return "engine: wasm trap: " + e.Err.Error() }
func (e *TrapError) Unwrap() error { return e.Err }

// Instance is one instantiation of a Module, for one invocation. It is
// not safe for concurrent use; host functions receive it.
type Instance struct {
	mod     api.Module
	cfg     InstanceConfig
	info    *instrument.Info
	gasG    api.MutableGlobal
	stackG  api.Global
	settled int64 // the gas counter's value at the last settlement
	// memCosts prices memory (nil when the era does not); memSettled is
	// the memory size in bytes when the gas counter was last set.
	memCosts   *gas.MemoryCosts
	memSettled uint64
}

// Host is InstanceConfig.Host.
func (i *Instance) Host() any { return i.cfg.Host }

// Memory is the instance's linear memory (nil when it has none). Views it
// returns are valid until the Wasm code runs again.
func (i *Instance) Memory() api.Memory { return i.mod.Memory() }

// GasCounter is the Wasm gas counter: the milligas the code may still use
// before the next settlement (negative once it ran out).
func (i *Instance) GasCounter() int64 { return int64(i.gasG.Get()) }

// instanceKey finds the running Instance in a host call's context.
type instanceKey struct{}

// Instantiate makes a fresh instance of m, its gas counter set from
// cfg.Account.AvailableMilli. The module's start function, if any, runs
// metered as part of this.
func (e *Engine) Instantiate(ctx context.Context, m *Module, cfg InstanceConfig) (*Instance, error) {
	if cfg.Account == nil {
		return nil, errors.New("engine: InstanceConfig.Account is required")
	}
	inst := &Instance{cfg: cfg, info: &m.info, memCosts: e.cfg.Instructions.Memory}
	if err := inst.chargeInit(); err != nil {
		return nil, fmt.Errorf("%w: instantiating %s: %w", ErrOutOfGas, m.code, err)
	}
	if m.info.HasMemory {
		// Growth is checked as the FVM's engine checks it: against the
		// per-instance maximum, then the limiter; a refusal makes
		// memory.grow return -1.
		limit := e.cfg.MaxInstanceMemoryBytes
		if limit == 0 {
			limit = 1 << 32
		}
		if m.MinMemoryBytes() > limit || (cfg.Memory != nil && !cfg.Memory.GrowMemory(0, m.MinMemoryBytes())) {
			return nil, fmt.Errorf("%w: initial memory of %d bytes", ErrMemoryLimit, m.MinMemoryBytes())
		}
		ctx = experimental.WithMemoryAllocator(ctx, &limitedAllocator{limit: limit, lim: cfg.Memory})
	}
	mod, err := e.rt.InstantiateModule(ctx, m.compiled,
		wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("engine: instantiating %s: %w", m.code, err)
	}
	inst.mod = mod
	g, ok := mod.ExportedGlobal(instrument.GasGlobalExport).(api.MutableGlobal)
	if !ok {
		_ = mod.Close(ctx)
		return nil, errors.New("engine: instrumented module lacks its gas counter")
	}
	inst.gasG = g
	inst.stackG = mod.ExportedGlobal(instrument.StackGlobalExport)
	inst.refill()
	if m.info.HasStart {
		// The start function runs once the gas counter is set, metered
		// like any other code; the instrumentation exported it for that.
		fn := mod.ExportedFunction(instrument.StartExport)
		_, err := fn.Call(context.WithValue(ctx, instanceKey{}, inst))
		settleErr := inst.settle()
		if err == nil {
			err = settleErr
		} else {
			err = inst.classify(err, settleErr)
		}
		if err != nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("engine: start function of %s: %w", m.code, err)
		}
	}
	return inst, nil
}

// chargeInit charges, in an era that prices memory, for the initial table
// and linear memory the instance is about to get, before it exists: the
// instrumentation prices only growth beyond them. Like the FVM it reads
// the sizes of the exports it looks for, "table" and "memory"; a module
// without a memory export gets nothing charged (the FVM refuses it, and
// the kernel's syscalls fail on it).
func (i *Instance) chargeInit() error {
	mc := i.memCosts
	if mc == nil {
		return nil
	}
	if i.info.TableExported && i.info.HasTable {
		if err := i.charge(gas.ChargeWasmTableInit, mc.InitTable(i.info.MinTableElements)); err != nil {
			return err
		}
	}
	if i.info.MemoryExported && i.info.HasMemory {
		return i.charge(gas.ChargeWasmMemoryInit, mc.InitMemory(uint64(i.info.MinMemoryPages)*65536))
	}
	return nil
}

// charge charges the account under name (through ChargeExec when it does
// not take names).
func (i *Instance) charge(name string, milli int64) error {
	if na, ok := i.cfg.Account.(NamedAccount); ok {
		return na.ChargeNamed(name, milli)
	}
	return i.cfg.Account.ChargeExec(milli)
}

// memorySize is the instance's linear memory in bytes.
func (i *Instance) memorySize() uint64 {
	if !i.info.HasMemory {
		return 0
	}
	return uint64(i.mod.Memory().Size())
}

// refill sets the gas counter from the account.
func (i *Instance) refill() {
	avail := i.cfg.Account.AvailableMilli()
	i.gasG.Set(uint64(avail))
	i.settled = avail
	if i.memCosts != nil {
		i.memSettled = i.memorySize()
	}
}

// settle charges the account for what the Wasm code used since the last
// settlement: in an era that prices memory, the memory grown since then
// apart from the rest (never more than was used in all), as the FVM
// separates them.
func (i *Instance) settle() error {
	used := i.settled - i.GasCounter()
	i.settled = i.GasCounter()
	var grow int64
	if mc := i.memCosts; mc != nil {
		var delta uint64
		if size := i.memorySize(); size > i.memSettled {
			delta = size - i.memSettled
		}
		grow = min(mc.GrowMemory(delta), max(used, 0))
	}
	if err := i.cfg.Account.ChargeExec(used - grow); err != nil {
		return err
	}
	if grow != 0 {
		return i.charge(gas.ChargeWasmMemoryGrow, grow)
	}
	return nil
}

// Close releases the instance.
func (i *Instance) Close(ctx context.Context) error { return i.mod.Close(ctx) }

// Invoke calls the exported function name with params, which must take
// len(params) i32/i64 values and return one i32. Gas is settled with the
// account before it returns, whatever the outcome. Errors: a host
// function's own error, unchanged; ErrOutOfGas; ErrStackOverflow; a
// *TrapError; or a plain error when the export does not exist or has the
// wrong type.
func (i *Instance) Invoke(ctx context.Context, name string, params ...uint64) (uint32, error) {
	fn := i.mod.ExportedFunction(name)
	if fn == nil {
		return 0, fmt.Errorf("engine: module exports no function %q", name)
	}
	def := fn.Definition()
	if len(def.ParamTypes()) != len(params) || len(def.ResultTypes()) != 1 || def.ResultTypes()[0] != api.ValueTypeI32 {
		return 0, fmt.Errorf("engine: export %q has type %v -> %v", name, def.ParamTypes(), def.ResultTypes())
	}
	ctx = context.WithValue(ctx, instanceKey{}, i)
	res, callErr := fn.Call(ctx, params...)
	settleErr := i.settle()
	if callErr != nil {
		return 0, i.classify(callErr, settleErr)
	}
	if settleErr != nil {
		return 0, settleErr
	}
	return uint32(res[0]), nil
}

// classify names why a call failed. A host function's abort is returned
// as it is; a trap after the gas counter went negative is out of gas
// (the counter is decremented before the code it pays for runs), one with
// the stack height past the limit is a stack overflow.
func (i *Instance) classify(err, settleErr error) error {
	var ha *hostAbort
	if errors.As(err, &ha) {
		return ha.err
	}
	if i.GasCounter() < 0 {
		if settleErr != nil {
			return fmt.Errorf("%w: %w", ErrOutOfGas, settleErr)
		}
		return ErrOutOfGas
	}
	if i.stackG != nil && uint32(i.stackG.Get()) > i.info.MaxStack {
		return ErrStackOverflow
	}
	return &TrapError{Err: err}
}

// limitedAllocator backs a linear memory whose growth is bounded by the
// per-instance limit and approved by a MemoryLimiter (when set). The
// initial size was checked before instantiation.
type limitedAllocator struct {
	limit uint64
	lim   MemoryLimiter
}

func (a *limitedAllocator) Allocate(capacity, maximum uint64) experimental.LinearMemory {
	return &limitedMemory{limit: a.limit, lim: a.lim, buf: make([]byte, 0, capacity)}
}

type limitedMemory struct {
	limit   uint64
	lim     MemoryLimiter
	buf     []byte
	started bool
}

func (m *limitedMemory) Reallocate(size uint64) []byte {
	if m.started && (size > m.limit || (m.lim != nil && !m.lim.GrowMemory(uint64(len(m.buf)), size))) {
		return nil
	}
	m.started = true
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	nb := make([]byte, size, max(size, 2*uint64(cap(m.buf))))
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *limitedMemory) Free() { m.buf = nil }
