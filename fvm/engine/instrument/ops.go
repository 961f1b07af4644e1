package instrument

import (
	"fmt"

	"github.com/tvx-project/tvx/fvm/gas"
)

// instr is one decoded instruction of a function body: its opcode, its
// bytes in the body (copied through unchanged when re-encoding) and the
// immediates the analysis needs.
type instr struct {
	op         gas.Op
	start, end int
	idx        uint32   // label depth, function index or block type marker
	labels     []uint32 // br_table targets, then its default last
	i32        int32    // i32.const's value
	blockValue bool     // a block/loop/if with a result
	raw        []byte   // the encoding of an instruction the rewrite adds
}

// decodeBody splits a function body's expression into instructions,
// starting at pos (after the locals).
func decodeBody(body []byte, pos int) ([]instr, error) {
	r := &reader{b: body, pos: pos}
	// Most instructions are one to three bytes.
	out := make([]instr, 0, (len(body)-pos)/2+1)
	for !r.eof() {
		in := instr{start: r.pos}
		c, _ := r.byte()
		in.op = gas.Op(c)
		var err error
		switch {
		case c == 0x02 || c == 0x03 || c == 0x04:
			err = blockType(r, &in)
		case c == 0x0C || c == 0x0D || c == 0x10 || (c >= 0x20 && c <= 0x26) || c == 0xD2:
			in.idx, err = r.u32()
		case c == 0x0E:
			var n uint32
			if n, err = r.u32(); err == nil {
				if int(n) > len(body) {
					return nil, fmt.Errorf("br_table of %d targets at byte %d", n, in.start)
				}
				in.labels = make([]uint32, 0, n+1)
				for i := uint32(0); i <= n && err == nil; i++ {
					var l uint32
					l, err = r.u32()
					in.labels = append(in.labels, l)
				}
			}
		case c == 0x11:
			if in.idx, err = r.u32(); err == nil {
				_, err = r.u32()
			}
		case c == 0x1C:
			var n uint32
			if n, err = r.u32(); err == nil {
				_, err = r.bytes(int(n))
			}
		case c >= 0x28 && c <= 0x3E:
			if _, err = r.u32(); err == nil {
				_, err = r.u32()
			}
		case c == 0x3F || c == 0x40:
			_, err = r.u32()
		case c == 0x41:
			var v int64
			v, err = r.sleb(32)
			in.i32 = int32(v)
		case c == 0x42:
			_, err = r.sleb(64)
		case c == 0x43:
			_, err = r.bytes(4)
		case c == 0x44:
			_, err = r.bytes(8)
		case c == 0xD0:
			_, err = r.byte()
		case c == 0xFC:
			err = prefixed(r, &in)
		case c <= 0x01 || c == 0x05 || c == 0x0B || c == 0x0F || c == 0x1A || c == 0x1B || (c >= 0x45 && c <= 0xC4) || c == 0xD1:
		default:
			return nil, fmt.Errorf("unsupported opcode 0x%02x at byte %d", c, in.start)
		}
		if err != nil {
			return nil, fmt.Errorf("opcode 0x%02x at byte %d: %w", c, in.start, err)
		}
		in.end = r.pos
		out = append(out, in)
	}
	return out, nil
}

func blockType(r *reader, in *instr) error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	switch {
	case c == 0x40:
	case c == 0x7F || c == 0x7E || c == 0x7D || c == 0x7C || c == 0x7B || c == 0x70 || c == 0x6F:
		in.blockValue = true
	default:
		// A type index: a multi-value block, which the FVM does not enable.
		return fmt.Errorf("block type 0x%02x (multi-value) not supported", c)
	}
	return nil
}

func prefixed(r *reader, in *instr) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	if sub > 17 {
		return fmt.Errorf("unsupported 0xFC instruction %d", sub)
	}
	in.op = gas.Op(0xFC00 | sub)
	var n int
	switch sub {
	case 8: // memory.init data mem
		if _, err = r.u32(); err == nil {
			_, err = r.byte()
		}
		return err
	case 9, 13, 15, 16, 17:
		n = 1
	case 10: // memory.copy mem mem
		if _, err = r.byte(); err == nil {
			_, err = r.byte()
		}
		return err
	case 11:
		_, err = r.byte()
		return err
	case 12, 14:
		n = 2
	}
	for i := 0; i < n && err == nil; i++ {
		_, err = r.u32()
	}
	return err
}
