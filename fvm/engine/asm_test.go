package engine

// A tiny Wasm assembler for the tests: enough to write modules with known
// instruction counts by hand.

type wfunc struct {
	typ    uint32
	locals []byte // encoded local declarations, without their count
	groups uint32
	code   []byte // instructions, including the final end
}

type wimport struct {
	module, name string
	typ          uint32
}

type wmod struct {
	types   [][]byte // encoded function types (0x60 ...)
	imports []wimport
	funcs   []wfunc
	memory  bool
	// memPages is the memory's initial size (1 when zero); exportMemory
	// exports it as "memory".
	memPages     uint32
	exportMemory bool
	// table, when set, is a funcref table of that many elements exported
	// as "table".
	table   *uint32
	exports map[string]uint32 // function exports
	start   *uint32
}

func leb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func vec(items ...[]byte) []byte {
	out := leb(uint32(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func name(s string) []byte { return append(leb(uint32(len(s))), s...) }

func sect(id byte, payload []byte) []byte {
	return append(append([]byte{id}, leb(uint32(len(payload)))...), payload...)
}

func (m wmod) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, sect(1, vec(m.types...))...)
	if len(m.imports) > 0 {
		var items [][]byte
		for _, im := range m.imports {
			items = append(items, append(append(append(name(im.module), name(im.name)...), 0), leb(im.typ)...))
		}
		out = append(out, sect(2, vec(items...))...)
	}
	var fs, bodies [][]byte
	for _, f := range m.funcs {
		fs = append(fs, leb(f.typ))
		body := append(leb(f.groups), f.locals...)
		body = append(body, f.code...)
		bodies = append(bodies, append(leb(uint32(len(body))), body...))
	}
	out = append(out, sect(3, vec(fs...))...)
	if m.table != nil {
		out = append(out, sect(4, vec(append([]byte{0x70, 0}, leb(*m.table)...)))...)
	}
	if m.memory {
		out = append(out, sect(5, vec(append([]byte{0}, leb(max(m.memPages, 1))...)))...)
	}
	var ex [][]byte
	if m.table != nil {
		ex = append(ex, append(name("table"), 1, 0))
	}
	if m.memory && m.exportMemory {
		ex = append(ex, append(name("memory"), 2, 0))
	}
	for _, n := range sortedKeys(m.exports) {
		ex = append(ex, append(append(name(n), 0), leb(m.exports[n])...))
	}
	out = append(out, sect(7, vec(ex...))...)
	if m.start != nil {
		out = append(out, sect(8, leb(*m.start))...)
	}
	out = append(out, sect(10, vec(bodies...))...)
	return out
}

func sortedKeys(m map[string]uint32) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// Opcodes used by the tests.
const (
	opUnreachable = 0x00
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opElse        = 0x05
	opEnd         = 0x0B
	opBr          = 0x0C
	opBrIf        = 0x0D
	opReturn      = 0x0F
	opCall        = 0x10
	opDrop        = 0x1A
	opLocalGet    = 0x20
	opLocalSet    = 0x21
	opLocalTee    = 0x22
	opI32Const    = 0x41
	opI32Add      = 0x6A
	opI32LtU      = 0x49
	opMemoryGrow  = 0x40
	tI32          = 0x7F
	tEmpty        = 0x40
)

var typeI32toI32 = []byte{0x60, 1, tI32, 1, tI32}
