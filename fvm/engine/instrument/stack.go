package instrument

import (
	"errors"
	"fmt"

	"github.com/tvx-project/tvx/fvm/gas"
)

// The stack limit: every call to a defined function adds the callee's
// stack cost to a height global before the call and takes it off after;
// past the limit the call traps. A function's cost is its locals plus the
// greatest operand-stack height its body can reach, computed as the FVM's
// instrumentation computes it (including where that computation is
// approximate, since the limit it yields is consensus).

// frameCost is what an activation adds to the height before any value.
const frameCost = 2

type heightFrame struct {
	polymorphic bool
	endArity    uint32
	branchArity uint32
	startHeight uint32
}

type heightStack struct {
	height uint32
	frames []heightFrame
}

func (s *heightStack) frame(depth uint32) (*heightFrame, error) {
	if int(depth) >= len(s.frames) {
		return nil, errors.New("control stack out of bounds")
	}
	return &s.frames[len(s.frames)-1-int(depth)], nil
}

func (s *heightStack) push(n uint32) error {
	if s.height+n < s.height {
		return errors.New("stack height overflows")
	}
	s.height += n
	return nil
}

// pop takes n values off. Popping at a frame's start height pops nothing
// once the frame is unreachable and is an error otherwise; below that the
// count is not checked against the frame (as in the FVM's analysis).
func (s *heightStack) pop(n uint32) error {
	if n == 0 {
		return nil
	}
	f, err := s.frame(0)
	if err != nil {
		return err
	}
	if s.height == f.startHeight {
		if f.polymorphic {
			return nil
		}
		return errors.New("popping more values than pushed")
	}
	if n > s.height {
		return errors.New("stack underflow")
	}
	s.height -= n
	return nil
}

func (s *heightStack) unreachable() error {
	f, err := s.frame(0)
	if err != nil {
		return err
	}
	f.polymorphic = true
	return nil
}

// effect is an instruction's plain stack effect: pops then pushes.
func effect(op gas.Op) (pop, push uint32, ok bool) {
	switch {
	case op == 0x01 || op == 0xFC09 || op == 0xFC0D: // nop, data.drop, elem.drop
		return 0, 0, true
	case op == 0x1A || op == 0x21 || op == 0x24: // drop, local.set, global.set
		return 1, 0, true
	case op == 0x20 || op == 0x23 || op == 0x3F || (op >= 0x41 && op <= 0x44) || op == 0xFC10:
		return 0, 1, true // local.get, global.get, memory.size, consts, table.size
	case op == 0x22 || op == 0x25 || op == 0x40 || (op >= 0x28 && op <= 0x35):
		return 1, 1, true // local.tee, table.get, memory.grow, loads
	case op == 0x26 || (op >= 0x36 && op <= 0x3E):
		return 2, 0, true // table.set, stores
	case op == 0x45 || op == 0x50 || (op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7B) ||
		(op >= 0x8B && op <= 0x91) || (op >= 0x99 && op <= 0x9F) || (op >= 0xA7 && op <= 0xC4) ||
		(op >= 0xFC00 && op <= 0xFC07):
		return 1, 1, true // eqz, unary math, conversions, sign extension, saturating truncation
	case (op >= 0x46 && op <= 0x4F) || (op >= 0x51 && op <= 0x66) || (op >= 0x6A && op <= 0x78) ||
		(op >= 0x7C && op <= 0x8A) || (op >= 0x92 && op <= 0x98) || (op >= 0xA0 && op <= 0xA6):
		return 2, 1, true // comparisons, binary math
	case op == 0xFC08 || op == 0xFC0A || op == 0xFC0B || op == 0xFC0C || op == 0xFC0E || op == 0xFC11:
		return 3, 0, true // memory.init/copy/fill, table.init/copy/fill
	case op == 0xFC0F:
		return 2, 1, true // table.grow
	}
	return 0, 0, false
}

// maxHeight is the greatest stack height body reaches, counting the
// activation frame.
func (m *module) maxHeight(code []instr, ft funcType) (uint32, error) {
	s := &heightStack{height: frameCost}
	arity := uint32(ft.results)
	s.frames = append(s.frames, heightFrame{endArity: arity, branchArity: arity})
	var max uint32
	for i, in := range code {
		if len(s.frames) == 0 {
			return 0, errors.New("code after the function's end")
		}
		if top := s.frames[len(s.frames)-1]; s.height > max && !top.polymorphic {
			max = s.height
		}
		var err error
		switch in.op {
		case 0x02, 0x03, 0x04:
			var end uint32
			if in.blockValue {
				end = 1
			}
			branch := end
			if in.op == 0x03 {
				branch = 0
			}
			if in.op == 0x04 {
				err = s.pop(1)
			}
			s.frames = append(s.frames, heightFrame{endArity: end, branchArity: branch, startHeight: s.height})
		case 0x05: // else: the analysis carries on from the then arm's height
		case 0x0B:
			f := s.frames[len(s.frames)-1]
			s.frames = s.frames[:len(s.frames)-1]
			s.height = f.startHeight
			err = s.push(f.endArity)
		case 0x00:
			err = s.unreachable()
		case 0x0C:
			var f *heightFrame
			if f, err = s.frame(in.idx); err == nil {
				if err = s.pop(f.branchArity); err == nil {
					err = s.unreachable()
				}
			}
		case 0x0D:
			var f *heightFrame
			if f, err = s.frame(in.idx); err == nil {
				a := f.branchArity
				if err = s.pop(a); err == nil {
					if err = s.pop(1); err == nil {
						err = s.push(a)
					}
				}
			}
		case 0x0E:
			def, e := s.frame(in.labels[len(in.labels)-1])
			if e != nil {
				err = e
				break
			}
			a := def.branchArity
			for _, l := range in.labels[:len(in.labels)-1] {
				f, e := s.frame(l)
				if e != nil {
					err = e
					break
				}
				if f.branchArity != a {
					err = errors.New("br_table targets of different arity")
					break
				}
			}
			if err == nil {
				if err = s.pop(a); err == nil {
					err = s.unreachable()
				}
			}
		case 0x0F:
			if err = s.pop(arity); err == nil {
				err = s.unreachable()
			}
		case 0x10:
			t, e := m.funcType(in.idx)
			if e != nil {
				err = e
				break
			}
			if err = s.pop(uint32(t.params)); err == nil {
				err = s.push(uint32(t.results))
			}
		case 0x11:
			if int(in.idx) >= len(m.types) {
				err = fmt.Errorf("type %d out of range", in.idx)
				break
			}
			t := m.types[in.idx]
			if err = s.pop(1); err == nil {
				if err = s.pop(uint32(t.params)); err == nil {
					err = s.push(uint32(t.results))
				}
			}
		case 0x1B:
			if err = s.pop(2); err == nil {
				if err = s.pop(1); err == nil {
					err = s.push(1)
				}
			}
		default:
			pop, push, ok := effect(in.op)
			if !ok {
				return 0, fmt.Errorf("instruction %d: opcode 0x%x not supported by the stack limiter", i, in.op)
			}
			if err = s.pop(pop); err == nil {
				err = s.push(push)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("instruction %d: %w", i, err)
		}
	}
	return max, nil
}

func (m *module) funcType(idx uint32) (funcType, error) {
	var t uint32
	switch {
	case int(idx) < len(m.importTypes):
		t = m.importTypes[idx]
	case int(idx)-len(m.importTypes) < len(m.funcTypes):
		t = m.funcTypes[int(idx)-len(m.importTypes)]
	default:
		return funcType{}, fmt.Errorf("function %d out of range", idx)
	}
	if int(t) >= len(m.types) {
		return funcType{}, fmt.Errorf("type %d out of range", t)
	}
	return m.types[t], nil
}

// guardedCall is the instruction sequence that replaces a call to a
// function of stack cost cost: raise the height, trap past the limit,
// call, lower the height.
func guardedCall(callee, cost, limit, heightGlobal uint32) []instr {
	g := appendU32(nil, heightGlobal)
	c := appendS64(nil, int64(int32(cost)))
	l := appendS64(nil, int64(int32(limit)))
	mk := func(op gas.Op, imm []byte) instr {
		raw := append([]byte{byte(op)}, imm...)
		return instr{op: op, raw: raw}
	}
	return []instr{
		mk(0x23, g), mk(0x41, c), mk(0x6A, nil), mk(0x24, g),
		mk(0x23, g), mk(0x41, l), mk(0x4B, nil),
		{op: 0x04, raw: []byte{0x04, 0x40}}, mk(0x00, nil), mk(0x0B, nil),
		mk(0x10, appendU32(nil, callee)),
		mk(0x23, g), mk(0x41, c), mk(0x6B, nil), mk(0x24, g),
	}
}
