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
			if _, err := r.u32(); err != nil {
				return err
			}
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

// rewrite produces the instrumented module.
func (m *module) rewrite(p pricer) ([]byte, error) {
	gasType := uint32(len(m.types))
	gasFunc := uint32(m.importedFuncs + len(m.funcTypes))
	gasGlobal := uint32(m.importedGlobs + m.globalCount)

	var code []byte
	var haveCode bool
	for _, s := range m.secs {
		if s.id == 10 {
			c, err := m.rewriteCode(s.data, p, gasFunc, gasGlobal)
			if err != nil {
				return nil, err
			}
			code, haveCode = c, true
		}
	}
	if !haveCode {
		code = m.appendGasFunc(appendU32(nil, 1), gasGlobal)
	}

	repl := map[byte][]byte{10: code}
	repl[1] = appendVecItem(m.section(1), []byte{0x60, 1, 0x7E, 0})
	repl[3] = appendVecItem(m.section(3), appendU32(nil, gasType))
	repl[6] = appendVecItem(m.section(6), []byte{0x7E, 1, 0x42, 0, 0x0B})
	exports := appendVecItem(m.section(7), exportEntry(GasGlobalExport, 3, gasGlobal))
	if m.info.HasStart {
		start := m.section(8)
		idx, err := (&reader{b: start}).u32()
		if err != nil {
			return nil, fmt.Errorf("start section: %w", err)
		}
		exports = appendVecItem(exports, exportEntry(StartExport, 0, idx))
		repl[8] = nil
	}
	repl[7] = exports

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
	for _, s := range m.secs {
		if s.id != 0 {
			// Sections the rewrite needs but the module lacks go before
			// the first one that must follow them.
			for _, id := range []byte{1, 3, 6, 7, 10} {
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
	for _, id := range []byte{1, 3, 6, 7, 10} {
		emit(id)
	}
	return encodeModule(out), nil
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

func (m *module) rewriteCode(data []byte, p pricer, gasFunc, gasGlobal uint32) ([]byte, error) {
	r := &reader{b: data}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if int(n) != len(m.funcTypes) {
		return nil, fmt.Errorf("code section has %d bodies for %d functions", n, len(m.funcTypes))
	}
	out := appendU32(nil, n+1)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		nb, err := m.rewriteBody(body, m.types[m.funcTypes[i]], p, gasFunc)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", uint32(m.importedFuncs)+i, err)
		}
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	return m.appendGasFunc(out, gasGlobal), nil
}

func (m *module) rewriteBody(body []byte, ft funcType, p pricer, gasFunc uint32) ([]byte, error) {
	r := &reader{b: body}
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	var locals uint64
	for g := uint32(0); g < groups; g++ {
		k, err := r.u32()
		if err != nil {
			return nil, err
		}
		if _, err := r.byte(); err != nil {
			return nil, err
		}
		locals += uint64(k)
	}
	localsEnd := r.pos
	code, err := decodeBody(body, localsEnd)
	if err != nil {
		return nil, err
	}
	blocks, dyn, err := meter(code, p)
	if err != nil {
		return nil, err
	}
	var out []byte
	temp := uint32(uint64(ft.params) + locals)
	if len(dyn) > 0 {
		out = appendU32(out, groups+1)
		out = append(out, body[(&reader{b: body}).skipU32():localsEnd]...)
		out = append(out, 1, 0x7F)
	} else {
		out = append(out, body[:localsEnd]...)
	}
	bi, di := 0, 0
	for i, in := range code {
		if bi < len(blocks) && blocks[bi].start == i {
			out = append(out, 0x42)
			out = appendS64(out, blocks[bi].cost)
			out = append(out, 0x10)
			out = appendU32(out, gasFunc)
			bi++
		}
		if di < len(dyn) && dyn[di].at == i {
			// size operand: keep it, charge it times the unit price.
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
		out = append(out, body[in.start:in.end]...)
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
