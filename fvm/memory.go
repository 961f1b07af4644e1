package fvm

import "github.com/tvx-project/tvx/fvm/gas"

// maxStackMemoryBytes bounds the linear memory and tables of every
// instance on one message's send stack together (nv18).
const maxStackMemoryBytes = 2 << 30

// tableElementBytes is what one table element counts for against the
// memory bound.
const tableElementBytes = 8

// memoryLimiter tracks the memory the instances of a send stack hold; a
// call frame's memory is released when the frame returns (stackFrame).
type memoryLimiter struct {
	max  uint64
	used uint64
}

func newMemoryLimiter(max uint64) *memoryLimiter { return &memoryLimiter{max: max} }

// grow takes delta more bytes, refusing past the bound.
func (l *memoryLimiter) grow(delta uint64) bool {
	if l.used+delta > l.max || l.used+delta < l.used {
		return false
	}
	l.used += delta
	return true
}

// GrowMemory implements InstanceHost: an instance's linear memory grows
// from current to desired bytes (current 0: its initial memory).
func (k *kernel) GrowMemory(current, desired uint64) bool {
	if k.cm.memory == nil {
		return true
	}
	if desired < current {
		return true
	}
	return k.cm.memory.grow(desired - current)
}

// StartInstance implements InstanceHost: from nv18 an instance pays for
// its initial memory before it is made, and its table counts against the
// send stack's memory bound. Builtin actors export no table, so the
// FVM's table charge (for an exported "table") never applies to them.
func (k *kernel) StartInstance(memoryBytes uint64, tableElements uint32) error {
	if k.cm.memory == nil {
		return nil
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnInitMemory(memoryBytes)); err != nil {
		return err
	}
	if !k.cm.memory.grow(uint64(tableElements) * tableElementBytes) {
		return &actorAbort{code: exitIllegalInstruction, msg: "table exceeds the memory limit"}
	}
	return nil
}

// AvailableMilli implements Host. The engine asks after instantiation and
// after every syscall, which is also when the FVM takes the memory mark
// later growth is measured from.
func (k *kernel) AvailableMilli() int64 {
	if k.cm.memory != nil {
		k.memMark = k.cm.memory.used
	}
	return k.cm.gas.AvailableMilli()
}

// ChargeExec implements Host. From nv18 the part of the Wasm gas that
// paid for memory growth since the last mark is named apart (its total
// is the same).
func (k *kernel) ChargeExec(milli int64) error {
	if k.cm.memory == nil || k.cm.memory.used <= k.memMark {
		return k.cm.gas.ChargeMilli("wasm_exec", milli)
	}
	grow := k.cm.m.prices.OnGrowMemory(k.cm.memory.used - k.memMark).Total()
	if grow > milli {
		grow = max(milli, 0)
	}
	if err := k.cm.gas.ChargeMilli("wasm_exec", milli-grow); err != nil {
		return err
	}
	if grow == 0 {
		return nil
	}
	return k.cm.gas.Charge(gas.Charge{Name: "wasm_memory_grow", Compute: grow})
}
