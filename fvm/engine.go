package fvm

import (
	"context"

	"github.com/ipfs/go-cid"
)

// Engine instantiates actor modules and runs them; fvm/engine implements it
// on wazero. An Engine is shared by every Machine of a process and must be
// safe for concurrent use.
type Engine interface {
	// Invoke instantiates wasm (the module whose CID is code), linked to the
	// host functions of Syscalls, and calls the module's "invoke" export with paramsID,
	// returning the block ID it returns. The engine meters Wasm execution
	// and settles it with host.ChargeExec before every host call and on
	// return; it stops execution once host.AvailableMilli is exhausted and
	// then returns an error wrapping gas.ErrOutOfGas. An error a host
	// function returns ends the invocation and is returned as it is (errors.As
	// finds it); a trap is any other error.
	Invoke(ctx context.Context, code cid.Cid, wasm []byte, host Host, paramsID uint32) (uint32, error)
}

// Host is what one invocation's kernel offers its engine: the gas account
// Wasm execution is settled with, and the invocation the syscalls of
// Syscalls act on (the engine passes it to every HostFunction.Call).
type Host interface {
	// AvailableMilli is the milligas the invocation may still use.
	AvailableMilli() int64
	// ChargeExec charges milligas used by Wasm execution since the last
	// settlement.
	ChargeExec(milli int64) error
}

// MemoryHost is a Host that bounds the linear memory of the instances of
// a send stack together (every kernel is one; before nv18 it allows any
// growth). An engine asks it for an instance's initial memory and every
// growth.
type MemoryHost interface {
	Host
	// GrowMemory reports whether linear memory may grow from current to
	// desired bytes.
	GrowMemory(current, desired uint64) bool
}

// ValueKind is the Wasm type of a host function parameter.
type ValueKind uint8

// The parameter kinds syscalls use.
const (
	I32 ValueKind = iota
	I64
)

// Memory is an instance's linear memory.
type Memory interface {
	// Size is the memory's length in bytes.
	Size() uint32
	// Read returns a view of n bytes at offset (false when out of bounds).
	Read(offset, n uint32) ([]byte, bool)
	// Write copies b to offset (false when out of bounds).
	Write(offset uint32, b []byte) bool
}

// HostFunction is one syscall in the FVM's ABI: parameters of the given
// kinds and one i32 result, the error number (0 for success). A syscall
// that returns a value takes, as its first parameter, the address where the
// kernel writes it. Call acts on the invocation h (the Host given to
// Engine.Invoke); its error is an abort: it ends the invocation.
type HostFunction struct {
	Module, Name string
	Params       []ValueKind
	Call         func(ctx context.Context, h Host, mem Memory, args []uint64) (errno uint32, err error)
}
