package gas

// InstructionCosts is one FVM gas era's price table for Wasm execution,
// as the FVM's instrumentation charges it: in milligas, per instruction,
// summed over each metered block and charged on entering it.
type InstructionCosts struct {
	Era Era
	// Default is the milligas of every instruction not listed otherwise.
	Default int64
	// Free lists the opcodes that cost nothing (Op values).
	Free []Op
	// Linear lists the instructions priced by their size operand (the
	// i32 on top of the stack): Base plus PerUnit times the operand.
	Linear map[Op]LinearCost
	// Metering is the instrumentation generation the era's FVM used.
	Metering Metering
	// Memory prices linear memory and tables outside the instructions
	// (from Hygge); nil where memory is free.
	Memory *MemoryCosts
}

// MemoryCosts is what an era charges, in milligas, for the memory an
// instance is given: its initial linear memory and table when it is
// instantiated, and memory growth (which the linear memory.grow price
// already charges inside the Wasm gas; the engine only names that part
// apart in the trace).
type MemoryCosts struct {
	// FillBase is charged once per initialisation or growth, FillPerByte
	// per byte made available.
	FillBase, FillPerByte int64
}

// The FVM's trace names of the engine's charges.
const (
	// ChargeWasmExec is Wasm execution, settled at every syscall and when
	// an invocation ends.
	ChargeWasmExec = "wasm_exec"
	// ChargeWasmMemoryGrow is the part of a settlement paying for memory
	// growth since the previous one (Hygge).
	ChargeWasmMemoryGrow = "wasm_memory_grow"
	// ChargeWasmMemoryInit is an instance's initial linear memory (Hygge).
	ChargeWasmMemoryInit = "wasm_memory_init"
	// ChargeWasmTableInit is an instance's initial table (Hygge).
	ChargeWasmTableInit = "wasm_table_init"
)

// tableElementBytes is what the FVM counts a table element as: one
// pointer of its engine's table.
const tableElementBytes = 8

// InitMemory is the milligas for an instance's initial linear memory of
// bytes, charged before it is instantiated.
func (m *MemoryCosts) InitMemory(bytes uint64) int64 {
	return m.FillBase + m.FillPerByte*int64(bytes)
}

// GrowMemory is the milligas for growing linear memory by bytes.
func (m *MemoryCosts) GrowMemory(bytes uint64) int64 {
	return m.FillBase + m.FillPerByte*int64(bytes)
}

// InitTable is the milligas for an instance's initial table of elements,
// charged before it is instantiated (only for a table the module exports
// as "table", the one the FVM looks at).
func (m *MemoryCosts) InitTable(elements uint32) int64 {
	return m.FillBase + m.FillPerByte*int64(elements)*tableElementBytes
}

// LinearCost is a base price plus a price per unit of an operand, in
// milligas.
type LinearCost struct {
	Base, PerUnit int64
}

// Op names a Wasm instruction: its opcode, or 0xFC00|n for the 0xFC-
// prefixed instruction n.
type Op uint16

// The opcodes the price tables single out.
const (
	OpUnreachable Op = 0x00
	OpNop         Op = 0x01
	OpBlock       Op = 0x02
	OpLoop        Op = 0x03
	OpElse        Op = 0x05
	OpEnd         Op = 0x0B
	OpReturn      Op = 0x0F
	OpDrop        Op = 0x1A
	OpMemoryGrow  Op = 0x40
	OpMemoryInit  Op = 0xFC08
	OpMemoryCopy  Op = 0xFC0A
	OpMemoryFill  Op = 0xFC0B
	OpTableInit   Op = 0xFC0C
	OpTableCopy   Op = 0xFC0E
)

// Metering is a generation of the FVM's Wasm instrumentation. They place
// charges by the same block analysis but differ in details that change
// gas used, so each era names its own.
type Metering uint8

const (
	// MeteringV1 is the instrumentation of network versions 16 and 17
	// (ref-fvm v2, fvm-wasm-instrument 0.2): a br_table's branch analysis
	// includes its default target; a function's stack cost counts its
	// locals one by one; no linearly priced instructions.
	MeteringV1 Metering = iota + 1
	// MeteringV2 is that of network version 18 (ref-fvm v3,
	// fvm-wasm-instrument 0.4): a br_table's default target is left out of
	// the branch analysis; a function's stack cost counts its local
	// declarations (groups), not its locals; memory.grow and the bulk
	// memory instructions are priced linearly.
	MeteringV2
)

// wasmPage is the Wasm page size in bytes.
const wasmPage = 65536

// Skyr is the Wasm price table of network versions 16 and 17 (FIP-0032):
// 4 gas per instruction, nothing for the control and stack instructions
// that compile to no work, memory growth free.
var skyrInstructions = InstructionCosts{
	Era:      Skyr,
	Default:  g(4),
	Free:     []Op{OpNop, OpDrop, OpBlock, OpLoop, OpUnreachable, OpReturn, OpElse, OpEnd},
	Metering: MeteringV1,
}

// Hygge keeps 4 gas per instruction and the same free set and prices
// memory growth, fills and copies per byte (0.4 gas a byte; growth by the
// page), and an instance's initial memory and table by the byte too.
// Table fill/grow are reference-types instructions, which the engine does
// not enable.
var hyggeInstructions = InstructionCosts{
	Era:     Hygge,
	Default: g(4),
	Free:    []Op{OpNop, OpDrop, OpBlock, OpLoop, OpUnreachable, OpReturn, OpElse, OpEnd},
	Linear: map[Op]LinearCost{
		OpMemoryGrow: {Base: g(4), PerUnit: 400 * wasmPage},
		OpMemoryFill: {Base: g(4), PerUnit: 400},
		OpMemoryCopy: {Base: g(4), PerUnit: 400},
		OpMemoryInit: {Base: g(4), PerUnit: 400},
		// A table element counts 8 bytes.
		OpTableInit: {Base: g(4), PerUnit: 400 * tableElementBytes},
		OpTableCopy: {Base: g(4), PerUnit: 400 * tableElementBytes},
	},
	Metering: MeteringV2,
	Memory:   &MemoryCosts{FillBase: 0, FillPerByte: 400},
}

// Instructions returns era's Wasm price table (a copy the caller may keep),
// or false for an era without one.
func Instructions(era Era) (*InstructionCosts, bool) {
	var t InstructionCosts
	switch era {
	case Skyr:
		t = skyrInstructions
	case Hygge:
		t = hyggeInstructions
	default:
		return nil, false
	}
	t.Free = append([]Op(nil), t.Free...)
	lin := make(map[Op]LinearCost, len(t.Linear))
	for k, v := range t.Linear {
		lin[k] = v
	}
	t.Linear = lin
	if t.Memory != nil {
		m := *t.Memory
		t.Memory = &m
	}
	return &t, true
}
