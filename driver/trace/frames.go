package trace

// FrameCharge is one gas charge and the call frame it was made in, an
// index into the frame list given to FromFrames.
type FrameCharge struct {
	Frame int
	GasCharge
}

// FromFrames regroups a run's gas charges by call frame into the shape of
// a Lotus execution trace, so an implementation's own record can be
// flattened and compared with a vector's. parents gives, for each frame
// opened (in order), the frame that sent to it (-1 for the top frame);
// charges of an unknown frame are dropped. No frames give an empty trace.
func FromFrames(parents []int, charges []FrameCharge) *ExecutionTrace {
	if len(parents) == 0 {
		return &ExecutionTrace{}
	}
	nodes := make([]ExecutionTrace, len(parents))
	for _, c := range charges {
		if c.Frame < 0 || c.Frame >= len(nodes) {
			continue
		}
		nodes[c.Frame].GasCharges = append(nodes[c.Frame].GasCharges, c.GasCharge)
	}
	children := make([][]int, len(nodes))
	for f, p := range parents {
		if p >= 0 && p < len(nodes) {
			children[p] = append(children[p], f)
		}
	}
	// Subcalls are stored by value, so a frame is attached only once its
	// own subcalls are in place.
	var build func(f int) ExecutionTrace
	build = func(f int) ExecutionTrace {
		n := nodes[f]
		for _, c := range children[f] {
			n.Subcalls = append(n.Subcalls, build(c))
		}
		return n
	}
	top := build(0)
	return &top
}
