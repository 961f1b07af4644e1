package instrument

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/tvx-project/tvx/fvm/gas"
)

// A metered block is a run of instructions that, once entered, executes
// to its end unless it traps: its whole cost is charged on entry. The
// analysis follows the FVM's instrumentation exactly, including where it
// merges a nested block into its parent's charge and where it does not,
// because the position of every charge decides the gas used whenever
// execution stops early (out of gas, trap, branch).

type meteredBlock struct {
	start int // instruction index the charge goes before
	cost  int64
}

type controlFrame struct {
	lowestForward int // lowest control-stack index branched to from within
	active        meteredBlock
	loop          bool
}

type blockCounter struct {
	stack     []controlFrame
	finalized []meteredBlock
}

func (c *blockCounter) open(start int, loop bool) {
	c.stack = append(c.stack, controlFrame{lowestForward: len(c.stack), active: meteredBlock{start: start}, loop: loop})
}

func (c *blockCounter) top() (*controlFrame, error) {
	if len(c.stack) == 0 {
		return nil, errors.New("control stack empty")
	}
	return &c.stack[len(c.stack)-1], nil
}

func (c *blockCounter) add(cost int64) error {
	f, err := c.top()
	if err != nil {
		return err
	}
	if cost > math.MaxInt64-f.active.cost {
		return errors.New("block cost overflows")
	}
	f.active.cost += cost
	return nil
}

// closeBlock ends the active metered block at cursor; the next starts
// after it. A block that starts where its enclosing frame's active block
// starts is folded into that one: both are entered together.
func (c *blockCounter) closeBlock(cursor int) error {
	f, err := c.top()
	if err != nil {
		return err
	}
	done := f.active
	f.active = meteredBlock{start: cursor + 1}
	if n := len(c.stack); n > 1 {
		parent := &c.stack[n-2].active
		if parent.start == done.start {
			parent.cost += done.cost
			return nil
		}
	}
	if done.cost > 0 {
		c.finalized = append(c.finalized, done)
	}
	return nil
}

// closeFrame handles an end: the frame's block closes, and if anything
// inside branched out past this frame, the enclosing block also ends
// here, since execution may resume after it without having run it all.
func (c *blockCounter) closeFrame(cursor int) error {
	if err := c.closeBlock(cursor); err != nil {
		return err
	}
	closing := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	if len(c.stack) == 0 {
		return nil
	}
	f := &c.stack[len(c.stack)-1]
	f.lowestForward = min(f.lowestForward, closing.lowestForward)
	if closing.lowestForward < len(c.stack) {
		return c.closeBlock(cursor)
	}
	return nil
}

func (c *blockCounter) branch(cursor int, targets []int) error {
	if err := c.closeBlock(cursor); err != nil {
		return err
	}
	for _, t := range targets {
		if t < 0 || t >= len(c.stack) {
			return errors.New("branch target out of range")
		}
		if c.stack[t].loop {
			continue
		}
		f := &c.stack[len(c.stack)-1]
		f.lowestForward = min(f.lowestForward, t)
	}
	return nil
}

// dynamicCharge is a linearly priced instruction whose operand is not a
// constant: it is charged at run time, before it runs.
type dynamicCharge struct {
	at      int
	perUnit int64
}

// pricer prices instructions by an era's table.
type pricer struct {
	costs *gas.InstructionCosts
	free  *[0x100 + 0x20]bool // one-byte opcodes, then the 0xFC ones
}

func newPricer(c *gas.InstructionCosts) pricer {
	p := pricer{costs: c, free: new([0x100 + 0x20]bool)}
	for _, op := range c.Free {
		if i, ok := opSlot(op); ok {
			p.free[i] = true
		}
	}
	return p
}

func opSlot(op gas.Op) (int, bool) {
	switch {
	case op < 0x100:
		return int(op), true
	case op >= 0xFC00 && op < 0xFC20:
		return 0x100 + int(op-0xFC00), true
	}
	return 0, false
}

func (p pricer) fixed(op gas.Op) int64 {
	if i, ok := opSlot(op); ok && p.free[i] {
		return 0
	}
	return p.costs.Default
}

// meter finds the metered blocks of one function's instructions and the
// instructions charged at run time.
func meter(code []instr, p pricer) ([]meteredBlock, []dynamicCharge, error) {
	c := &blockCounter{}
	c.open(0, false)
	var dyn []dynamicCharge
	var lastConst *int32
	for cursor, in := range code {
		cost := p.fixed(in.op)
		if lin, ok := p.linear(in.op); ok {
			if lastConst != nil {
				if *lastConst < 0 {
					return nil, nil, fmt.Errorf("instruction %d: linearly priced instruction with a negative constant operand", cursor)
				}
				cost = lin.Base + int64(*lastConst)*lin.PerUnit
			} else {
				cost = lin.Base
				dyn = append(dyn, dynamicCharge{at: cursor, perUnit: lin.PerUnit})
			}
		}
		lastConst = nil
		var err error
		switch in.op {
		case 0x02: // block: entered with its parent's block
			if err = c.add(cost); err == nil {
				f, _ := c.top()
				c.open(f.active.start, false)
			}
		case 0x04: // if
			if err = c.add(cost); err == nil {
				c.open(cursor+1, false)
			}
		case 0x03: // loop
			if err = c.add(cost); err == nil {
				c.open(cursor+1, true)
			}
		case 0x0B: // end
			err = c.closeFrame(cursor)
		case 0x05: // else
			err = c.closeBlock(cursor)
		case 0x0C, 0x0D: // br, br_if
			if err = c.add(cost); err == nil {
				t := len(c.stack) - 1 - int(in.idx)
				err = c.branch(cursor, []int{t})
			}
		case 0x0E: // br_table
			if err = c.add(cost); err == nil {
				labels := in.labels
				if p.costs.Metering >= gas.MeteringV2 {
					// The second-generation instrumentation leaves the
					// default target out of its analysis.
					labels = labels[:len(labels)-1]
				}
				ts := make([]int, len(labels))
				for i, l := range labels {
					ts[i] = len(c.stack) - 1 - int(l)
				}
				err = c.branch(cursor, ts)
			}
		case 0x0F: // return
			if err = c.add(cost); err == nil {
				err = c.branch(cursor, []int{0})
			}
		case 0x41: // i32.const
			err = c.add(cost)
			v := in.i32
			lastConst = &v
		default:
			err = c.add(cost)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("instruction %d: %w", cursor, err)
		}
	}
	if len(c.stack) != 0 {
		return nil, nil, errors.New("function body does not end its blocks")
	}
	sort.SliceStable(c.finalized, func(i, j int) bool { return c.finalized[i].start < c.finalized[j].start })
	return c.finalized, dyn, nil
}

func (p pricer) linear(op gas.Op) (gas.LinearCost, bool) {
	if len(p.costs.Linear) == 0 || p.costs.Metering < gas.MeteringV2 {
		return gas.LinearCost{}, false
	}
	lin, ok := p.costs.Linear[op]
	return lin, ok
}
