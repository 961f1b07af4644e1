package fvm

import "github.com/tvx-project/tvx/fvm/gas"

// maxStackMemoryBytes bounds the linear memory and tables of every
// instance on one message's send stack together (nv18).
const maxStackMemoryBytes = 2 << 30

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

// GrowMemory implements MemoryHost: an instance's linear memory grows
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

// AvailableMilli implements Host.
func (k *kernel) AvailableMilli() int64 { return k.cm.gas.AvailableMilli() }

// ChargeExec implements Host.
func (k *kernel) ChargeExec(milli int64) error {
	return k.cm.gas.ChargeMilli(gas.ChargeWasmExec, milli)
}
