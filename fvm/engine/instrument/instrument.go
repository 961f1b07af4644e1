// Package instrument rewrites an actor's Wasm module the way the FVM does
// before compiling it: every metered block is preceded by a charge against
// a gas counter global, which traps once it goes below zero. Costs come
// from an era's table in fvm/gas. The rewritten module keeps every
// function, global and type index of the original (what it adds is
// appended), so the original code is copied through byte for byte
// between the inserted charges.
package instrument

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tvx-project/tvx/fvm/gas"
)

// Names under which the instrumented module exports what the engine needs.
const (
	GasGlobalExport   = "__tvx_gas"
	StackGlobalExport = "__tvx_stack"
	StartExport       = "__tvx_start"
)

// Rules configure the instrumentation.
type Rules struct {
	Costs    *gas.InstructionCosts
	MaxStack uint32
}

// Info describes an instrumented module.
type Info struct {
	HasMemory        bool
	MinMemoryPages   uint32
	HasTable         bool
	MinTableElements uint32
	// MemoryExported and TableExported: the module exports its memory
	// as "memory" and its table as "table", the exports the FVM reads
	// the initial sizes it charges for from.
	MemoryExported, TableExported bool
	// HasStart: the module's start function was removed from the start
	// section and is exported as StartExport, to run metered after the
	// gas counter is set.
	HasStart bool
	MaxStack uint32
}

type funcType struct {
	params, results int
}

// module is what instrumentation reads of a module.
type module struct {
	secs          []section
	types         []funcType
	importedFuncs int
	importTypes   []uint32 // type of each imported function
	importedGlobs int
	funcTypes     []uint32 // type of each defined function
	globalCount   int      // defined globals
	info          Info
}

// Instrument returns wasm with gas metering injected per rules.
func Instrument(wasm []byte, rules Rules) ([]byte, Info, error) {
	if rules.Costs == nil {
		return nil, Info{}, errors.New("instrument: no instruction costs")
	}
	m, err := parse(wasm)
	if err != nil {
		return nil, Info{}, fmt.Errorf("instrument: %w", err)
	}
	m.info.MaxStack = rules.MaxStack
	err = m.walkExports(func(name []byte, kind byte, _ uint32) {
		switch {
		case kind == 1 && string(name) == "table":
			m.info.TableExported = true
		case kind == 2 && string(name) == "memory":
			m.info.MemoryExported = true
		}
	})
	if err != nil {
		return nil, Info{}, fmt.Errorf("instrument: export section: %w", err)
	}
	out, err := m.rewrite(newPricer(rules.Costs))
	if err != nil {
		return nil, Info{}, fmt.Errorf("instrument: %w", err)
	}
	return out, m.info, nil
}

func parse(wasm []byte) (*module, error) {
	secs, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{secs: secs}
	for _, s := range secs {
		r := &reader{b: s.data}
		var err error
		switch s.id {
		case 1:
			err = m.parseTypes(r)
		case 2:
			err = m.parseImports(r)
		case 3:
			var n uint32
			if n, err = r.u32(); err == nil {
				for i := uint32(0); i < n && err == nil; i++ {
					var t uint32
					t, err = r.u32()
					m.funcTypes = append(m.funcTypes, t)
				}
			}
		case 4:
			err = m.parseTables(r)
		case 5:
			err = m.parseMemories(r)
		case 6:
			var n uint32
			n, err = r.u32()
			m.globalCount = int(n)
		case 8:
			m.info.HasStart = true
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
	}
	for _, t := range m.funcTypes {
		if int(t) >= len(m.types) {
			return nil, fmt.Errorf("function type %d out of range", t)
		}
	}
	return m, nil
}

func (m *module) parseTypes(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d: form 0x%02x", i, form)
		}
		var ft funcType
		for j := 0; j < 2; j++ {
			k, err := r.u32()
			if err != nil {
				return err
			}
			if _, err := r.bytes(int(k)); err != nil {
				return err
			}
			if j == 0 {
				ft.params = int(k)
			} else {
				ft.results = int(k)
			}
		}
		m.types = append(m.types, ft)
	}
	return nil
}

func skipName(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	_, err = r.bytes(int(n))
	return err
}

func readLimits(r *reader) (uint32, error) {
	flag, err := r.byte()
	if err != nil {
		return 0, err
	}
	lo, err := r.u32()
	if err != nil {
		return 0, err
	}
	if flag&1 != 0 {
		if _, err := r.u32(); err != nil {
			return 0, err
		}
	}
	return lo, nil
}

func (m *module) parseImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := skipName(r); err != nil {
			return err
		}
		if err := skipName(r); err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0:
			t, err := r.u32()
			if err != nil {
				return err
			}
			m.importTypes = append(m.importTypes, t)
			m.importedFuncs++
		case 1: // table
			if _, err := r.byte(); err != nil {
				return err
			}
			min, err := readLimits(r)
			if err != nil {
				return err
			}
			m.info.HasTable, m.info.MinTableElements = true, min
		case 2:
			min, err := readLimits(r)
			if err != nil {
				return err
			}
			m.info.HasMemory, m.info.MinMemoryPages = true, min
		case 3:
			if _, err := r.bytes(2); err != nil {
				return err
			}
			m.importedGlobs++
		default:
			return fmt.Errorf("import kind %d", kind)
		}
	}
	return nil
}

func (m *module) parseTables(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.byte(); err != nil {
			return err
		}
		min, err := readLimits(r)
		if err != nil {
			return err
		}
		if !m.info.HasTable {
			m.info.HasTable, m.info.MinTableElements = true, min
		}
	}
	return nil
}

func (m *module) parseMemories(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if n > 0 {
		min, err := readLimits(r)
		if err != nil {
			return err
		}
		m.info.HasMemory, m.info.MinMemoryPages = true, min
	}
	return nil
}

// body is one function of the rewritten module: its locals as declared
// (encoded, with their group count and total), and its instructions.
type body struct {
	typ     uint32
	locals  []byte // encoded declarations including the group count
	groups  uint32
	nlocals uint64
	code    []instr
	src     []byte // the original body the instructions' ranges refer to
}

// rewrite produces the instrumented module: stack limiting first, then
// gas metering over the result, as the FVM orders them (so the limiter's
// own instructions are metered too).
func (m *module) rewrite(p pricer) ([]byte, error) {
	bodies, err := m.decodeBodies()
	if err != nil {
		return nil, err
	}
	// Stack costs of the original functions.
	costs := make([]uint32, m.importedFuncs+len(bodies))
	for i, b := range bodies {
		h, err := m.maxHeight(b.code, m.types[b.typ])
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", m.importedFuncs+i, err)
		}
		locals := b.nlocals
		if p.costs.Metering >= gas.MeteringV2 {
			// The second generation counts declarations, not locals.
			locals = uint64(b.groups)
		}
		if locals+uint64(h) > 0xffffffff {
			return nil, fmt.Errorf("function %d: stack cost overflows", m.importedFuncs+i)
		}
		costs[m.importedFuncs+i] = uint32(locals) + h
	}
	totalFuncs := uint32(len(costs))
	gasGlobal := uint32(m.importedGlobs + m.globalCount)
	heightGlobal := gasGlobal + 1
	limit := m.info.MaxStack

	// Calls to defined functions go through the height check. The
	// sequences are shared per callee: their bytes are only read.
	guards := map[uint32][]instr{}
	guard := func(callee uint32) []instr {
		g, ok := guards[callee]
		if !ok {
			g = guardedCall(callee, costs[callee], limit, heightGlobal)
			guards[callee] = g
		}
		return g
	}
	for i := range bodies {
		guarded := 0
		for _, in := range bodies[i].code {
			if in.op == 0x10 && int(in.idx) < len(costs) && costs[in.idx] > 0 {
				guarded++
			}
		}
		if guarded == 0 {
			continue
		}
		out := make([]instr, 0, len(bodies[i].code)+guarded*14)
		for _, in := range bodies[i].code {
			if in.op == 0x10 && int(in.idx) < len(costs) && costs[in.idx] > 0 {
				out = append(out, guard(in.idx)...)
				continue
			}
			out = append(out, in)
		}
		bodies[i].code = out
	}

	// Entry points reached from outside the code (exports, the table, the
	// start function) get thunks that do the check for their callers.
	exports, err := m.funcExports()
	if err != nil {
		return nil, err
	}
	elems, err := m.elementFuncs()
	if err != nil {
		return nil, err
	}
	var start *uint32
	if m.info.HasStart {
		idx, err := (&reader{b: m.section(8)}).u32()
		if err != nil {
			return nil, fmt.Errorf("start section: %w", err)
		}
		start = &idx
	}
	entry := map[uint32]bool{}
	for _, e := range exports {
		entry[e] = true
	}
	for _, e := range elems {
		entry[e] = true
	}
	if start != nil {
		entry[*start] = true
	}
	var thunked []uint32
	for f := range entry {
		if int(f) >= len(costs) {
			return nil, fmt.Errorf("entry function %d out of range", f)
		}
		if costs[f] != 0 {
			thunked = append(thunked, f)
		}
	}
	slices.Sort(thunked)
	thunkOf := map[uint32]uint32{}
	for k, f := range thunked {
		thunkOf[f] = totalFuncs + uint32(k)
		ft, _ := m.funcType(f)
		var code []instr
		for a := 0; a < ft.params; a++ {
			code = append(code, instr{op: 0x20, raw: appendU32([]byte{0x20}, uint32(a))})
		}
		code = append(code, guardedCall(f, costs[f], limit, heightGlobal)...)
		code = append(code, instr{op: 0x0B, raw: []byte{0x0B}})
		bodies = append(bodies, body{typ: m.funcTypes[f-uint32(m.importedFuncs)], locals: []byte{0}, code: code})
	}
	redirect := func(f uint32) uint32 {
		if t, ok := thunkOf[f]; ok {
			return t
		}
		return f
	}
	gasFunc := totalFuncs + uint32(len(thunked))

	code := appendU32(nil, uint32(len(bodies)+1))
	funcs := m.section(3)
	for i, b := range bodies {
		nb, err := emitBody(b, p, gasFunc, m.types[b.typ])
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", uint32(m.importedFuncs)+uint32(i), err)
		}
		code = appendU32(code, uint32(len(nb)))
		code = append(code, nb...)
		if i >= len(m.funcTypes) {
			funcs = appendVecItem(funcs, appendU32(nil, b.typ))
		}
	}
	code = m.appendGasFunc(code, gasGlobal)
	gasType := uint32(len(m.types))

	repl := map[byte][]byte{10: code}
	repl[1] = appendVecItem(m.section(1), []byte{0x60, 1, 0x7E, 0})
	repl[3] = appendVecItem(funcs, appendU32(nil, gasType))
	globals := appendVecItem(m.section(6), []byte{0x7E, 1, 0x42, 0, 0x0B})
	repl[6] = appendVecItem(globals, []byte{0x7F, 1, 0x41, 0, 0x0B})
	ex, err := m.rewriteExports(redirect)
	if err != nil {
		return nil, err
	}
	ex = appendVecItem(ex, exportEntry(GasGlobalExport, 3, gasGlobal))
	ex = appendVecItem(ex, exportEntry(StackGlobalExport, 3, heightGlobal))
	if start != nil {
		ex = appendVecItem(ex, exportEntry(StartExport, 0, redirect(*start)))
		repl[8] = nil
	}
	repl[7] = ex
	if len(elems) > 0 {
		el, err := m.rewriteElements(redirect)
		if err != nil {
			return nil, err
		}
		repl[9] = el
	}

	var out []section
	done := map[byte]bool{}
	emit := func(id byte) {
		if data, ok := repl[id]; ok && !done[id] {
			done[id] = true
			if data != nil {
				out = append(out, section{id: id, data: data})
			}
		}
	}
	needed := []byte{1, 3, 6, 7, 10}
	for _, s := range m.secs {
		if s.id != 0 {
			// Sections the rewrite needs but the module lacks go before
			// the first one that must follow them.
			for _, id := range needed {
				if sectionRank(id) < sectionRank(s.id) {
					emit(id)
				}
			}
			if _, ok := repl[s.id]; ok {
				emit(s.id)
				continue
			}
		}
		out = append(out, s)
	}
	for _, id := range needed {
		emit(id)
	}
	return encodeModule(out), nil
}

func (m *module) decodeBodies() ([]body, error) {
	data := m.section(10)
	if data == nil {
		if len(m.funcTypes) != 0 {
			return nil, errors.New("functions without a code section")
		}
		return nil, nil
	}
	r := &reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if int(n) != len(m.funcTypes) {
		return nil, fmt.Errorf("code section has %d bodies for %d functions", n, len(m.funcTypes))
	}
	out := make([]body, 0, n)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		src, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		br := &reader{b: src}
		groups, err := br.u32()
		if err != nil {
			return nil, err
		}
		var locals uint64
		for g := uint32(0); g < groups; g++ {
			k, err := br.u32()
			if err != nil {
				return nil, err
			}
			if _, err := br.byte(); err != nil {
				return nil, err
			}
			locals += uint64(k)
		}
		code, err := decodeBody(src, br.pos)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", uint32(m.importedFuncs)+i, err)
		}
		out = append(out, body{typ: m.funcTypes[i], locals: src[:br.pos], groups: groups, nlocals: locals, code: code, src: src})
	}
	return out, nil
}

// funcExports lists the functions the module exports.
func (m *module) funcExports() ([]uint32, error) {
	var out []uint32
	err := m.walkExports(func(name []byte, kind byte, idx uint32) {
		if kind == 0 {
			out = append(out, idx)
		}
	})
	return out, err
}

func (m *module) walkExports(f func(name []byte, kind byte, idx uint32)) error {
	data := m.section(7)
	if data == nil {
		return nil
	}
	r := &reader{b: data}
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		l, err := r.u32()
		if err != nil {
			return err
		}
		name, err := r.bytes(int(l))
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		idx, err := r.u32()
		if err != nil {
			return err
		}
		f(name, kind, idx)
	}
	return nil
}

func (m *module) rewriteExports(redirect func(uint32) uint32) ([]byte, error) {
	var items [][]byte
	err := m.walkExports(func(name []byte, kind byte, idx uint32) {
		if kind == 0 {
			idx = redirect(idx)
		}
		b := appendU32(nil, uint32(len(name)))
		b = append(b, name...)
		b = append(b, kind)
		items = append(items, appendU32(b, idx))
	})
	if err != nil {
		return nil, fmt.Errorf("export section: %w", err)
	}
	out := appendU32(nil, uint32(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out, nil
}

// walkElements visits each element segment: the bytes before its
// function index vector, and the indices (nil for expression segments,
// whose bytes are all in head).
func (m *module) walkElements(f func(head []byte, funcs []uint32)) error {
	data := m.section(9)
	if data == nil {
		return nil
	}
	r := &reader{b: data}
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		from := r.pos
		flags, err := r.u32()
		if err != nil {
			return err
		}
		if flags > 7 {
			return fmt.Errorf("element segment %d: flags %d", i, flags)
		}
		if flags&2 != 0 && flags&1 == 0 { // explicit table index
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		if flags&1 == 0 { // active: offset expression
			if err := skipConstExpr(r); err != nil {
				return fmt.Errorf("element segment %d offset: %w", i, err)
			}
		}
		if flags&3 != 0 { // element kind or reference type
			if _, err := r.byte(); err != nil {
				return err
			}
		}
		k, err := r.u32()
		if err != nil {
			return err
		}
		if flags&4 != 0 {
			for j := uint32(0); j < k; j++ {
				if err := skipConstExpr(r); err != nil {
					return fmt.Errorf("element segment %d: %w", i, err)
				}
			}
			f(data[from:r.pos], nil)
			continue
		}
		head := data[from:r.pos]
		// head ends with the vector's length; callers re-encode it.
		head = head[:len(head)-len(appendU32(nil, k))]
		funcs := make([]uint32, 0, min(k, uint32(len(data))))
		for j := uint32(0); j < k; j++ {
			x, err := r.u32()
			if err != nil {
				return err
			}
			funcs = append(funcs, x)
		}
		f(head, funcs)
	}
	return nil
}

func skipConstExpr(r *reader) error {
	for {
		c, err := r.byte()
		if err != nil {
			return err
		}
		switch c {
		case 0x0B:
			return nil
		case 0x41:
			_, err = r.sleb(32)
		case 0x42:
			_, err = r.sleb(64)
		case 0x23, 0xD2:
			_, err = r.u32()
		case 0xD0:
			_, err = r.byte()
		default:
			return fmt.Errorf("opcode 0x%02x in a constant expression", c)
		}
		if err != nil {
			return err
		}
	}
}

func (m *module) elementFuncs() ([]uint32, error) {
	var out []uint32
	err := m.walkElements(func(_ []byte, funcs []uint32) { out = append(out, funcs...) })
	if err != nil {
		return nil, fmt.Errorf("element section: %w", err)
	}
	return out, nil
}

func (m *module) rewriteElements(redirect func(uint32) uint32) ([]byte, error) {
	var segs [][]byte
	err := m.walkElements(func(head []byte, funcs []uint32) {
		b := append([]byte(nil), head...)
		if funcs != nil {
			b = appendU32(b, uint32(len(funcs)))
			for _, f := range funcs {
				b = appendU32(b, redirect(f))
			}
		}
		segs = append(segs, b)
	})
	if err != nil {
		return nil, fmt.Errorf("element section: %w", err)
	}
	out := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		out = append(out, s...)
	}
	return out, nil
}

func (m *module) section(id byte) []byte {
	for _, s := range m.secs {
		if s.id == id {
			return s.data
		}
	}
	return nil
}

// appendVecItem adds one encoded item to a vector section payload.
func appendVecItem(vec []byte, item []byte) []byte {
	var n uint32
	rest := []byte(nil)
	if len(vec) > 0 {
		r := &reader{b: vec}
		n, _ = r.u32()
		rest = vec[r.pos:]
	}
	out := appendU32(nil, n+1)
	out = append(out, rest...)
	return append(out, item...)
}

func exportEntry(name string, kind byte, idx uint32) []byte {
	b := appendName(nil, name)
	b = append(b, kind)
	return appendU32(b, idx)
}

// appendGasFunc appends the charging function's body: subtract the
// operand from the counter and trap when the result is negative.
func (m *module) appendGasFunc(b []byte, gasGlobal uint32) []byte {
	var body []byte
	body = append(body, 0)    // no locals
	body = append(body, 0x23) // global.get
	body = appendU32(body, gasGlobal)
	body = append(body, 0x20, 0, 0x7D, 0x24) // local.get 0; i64.sub; global.set
	body = appendU32(body, gasGlobal)
	body = append(body, 0x23)
	body = appendU32(body, gasGlobal)
	body = append(body, 0x42, 0, 0x53, 0x04, 0x40, 0x00, 0x0B, 0x0B) // i64.const 0; i64.lt_s; if; unreachable; end; end
	b = appendU32(b, uint32(len(body)))
	return append(b, body...)
}

// emitBody meters b and encodes it with its charges.
func emitBody(b body, p pricer, gasFunc uint32, ft funcType) ([]byte, error) {
	blocks, dyn, err := meter(b.code, p)
	if err != nil {
		return nil, err
	}
	var out []byte
	next := uint32(uint64(ft.params) + b.nlocals)
	extra := [][2]byte{} // added local groups: count, type
	temp := next
	if len(dyn) > 0 {
		// An i32 local holds a size operand while it is charged.
		extra = append(extra, [2]byte{1, 0x7F})
		next++
	}
	var f32Tmp, f64Tmp uint32
	var need32, need64 bool
	for _, in := range b.code {
		switch canonicalized(in.op) {
		case 0x7D:
			need32 = true
		case 0x7C:
			need64 = true
		}
	}
	if need32 {
		extra = append(extra, [2]byte{1, 0x7D})
		f32Tmp = next
		next++
	}
	if need64 {
		extra = append(extra, [2]byte{1, 0x7C})
		f64Tmp = next
	}
	if len(extra) > 0 {
		out = appendU32(out, b.groups+uint32(len(extra)))
		out = append(out, b.locals[(&reader{b: b.locals}).skipU32():]...)
		for _, e := range extra {
			out = append(out, e[0], e[1])
		}
	} else {
		out = append(out, b.locals...)
	}
	bi, di := 0, 0
	for i, in := range b.code {
		if bi < len(blocks) && blocks[bi].start == i {
			out = append(out, 0x42)
			out = appendS64(out, blocks[bi].cost)
			out = append(out, 0x10)
			out = appendU32(out, gasFunc)
			bi++
		}
		if di < len(dyn) && dyn[di].at == i {
			out = append(out, 0x22)
			out = appendU32(out, temp)
			out = append(out, 0x20)
			out = appendU32(out, temp)
			out = append(out, 0xAD, 0x42) // i64.extend_i32_u; i64.const
			out = appendS64(out, dyn[di].perUnit)
			out = append(out, 0x7E, 0x10) // i64.mul; call
			out = appendU32(out, gasFunc)
			di++
		}
		if in.raw != nil {
			out = append(out, in.raw...)
			continue
		}
		out = append(out, b.src[in.start:in.end]...)
		switch canonicalized(in.op) {
		case 0x7D:
			out = appendCanonicalNaN(out, f32Tmp, []byte{0x43, 0x00, 0x00, 0xC0, 0x7F}, 0x5B)
		case 0x7C:
			out = appendCanonicalNaN(out, f64Tmp, []byte{0x44, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F}, 0x61)
		}
	}
	if bi != len(blocks) || di != len(dyn) {
		return nil, errors.New("charges left unplaced")
	}
	return out, nil
}

// skipU32 returns the position after one LEB128 at the reader's start.
func (r *reader) skipU32() int {
	_, _ = r.u32()
	return r.pos
}

// NaN canonicalisation. The FVM's compiler replaces every NaN a float
// operation produces with the canonical NaN, so that results do not depend
// on the hardware's NaN bits. wazero has no such mode, so the rewrite does
// it in Wasm: after each such operation, keep the result if it equals
// itself and take the canonical NaN otherwise. These instructions are the
// engine's, not the actor's: they are not metered.

// canonicalized is the value type (0x7D f32, 0x7C f64) of an operation
// whose NaN results are canonicalised, or 0. Bitwise operations (abs,
// neg, copysign), loads, reinterpretations and integer conversions never
// make a new NaN and are left alone.
func canonicalized(op gas.Op) byte {
	switch {
	case (op >= 0x8D && op <= 0x97) || op == 0xB6: // ceil..max, demote
		return 0x7D
	case (op >= 0x9B && op <= 0xA5) || op == 0xBB: // ceil..max, promote
		return 0x7C
	}
	return 0
}

// appendCanonicalNaN appends: local.tee tmp; <canonical NaN const>;
// local.get tmp; local.get tmp; <eq>; select.
func appendCanonicalNaN(out []byte, tmp uint32, nan []byte, eq byte) []byte {
	out = append(out, 0x22)
	out = appendU32(out, tmp)
	out = append(out, nan...)
	out = append(out, 0x20)
	out = appendU32(out, tmp)
	out = append(out, 0x20)
	out = appendU32(out, tmp)
	return append(out, eq, 0x1B)
}
