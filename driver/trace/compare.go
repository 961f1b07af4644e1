package trace

import "fmt"

// FirstDivergence finds the first position where expected and actual charges
// differ in name or in any amount, or where one list has ended and the other
// has not. index is zero-based and is also the number shown after '#' in msg,
// a one-line description such as
//
//	charge #12 "OnMethodInvocation": expected total 1234 (compute 1234, storage 0), got total 1300 (compute 1300, storage 0)
//
// Equal lists give (-1, "", false).
func FirstDivergence(expected, actual []Charge) (index int, msg string, diverged bool) {
	n := min(len(expected), len(actual))
	for i := 0; i < n; i++ {
		e, a := expected[i], actual[i]
		if e == a {
			continue
		}
		if e.Name == a.Name {
			return i, fmt.Sprintf("charge #%d %q: expected %s, got %s", i, e.Name, amounts(e), amounts(a)), true
		}
		return i, fmt.Sprintf("charge #%d: expected %q %s, got %q %s", i, e.Name, amounts(e), a.Name, amounts(a)), true
	}
	switch {
	case len(expected) > n:
		e := expected[n]
		return n, fmt.Sprintf("charge #%d %q: expected %s, got no charge (actual has only %d)", n, e.Name, amounts(e), len(actual)), true
	case len(actual) > n:
		a := actual[n]
		return n, fmt.Sprintf("charge #%d %q: expected no charge (expected has only %d), got %s", n, a.Name, len(expected), amounts(a)), true
	}
	return -1, "", false
}

func amounts(c Charge) string {
	return fmt.Sprintf("total %d (compute %d, storage %d)", c.TotalGas, c.ComputeGas, c.StorageGas)
}

// Recorder builds an ExecutionTrace while a message executes, keeping each
// call frame's charges in its own frame as Lotus traces do, so Flatten orders
// the result the way it orders a vector's trace. The zero Recorder is ready;
// it records the top frame until the first Enter. A Recorder belongs to one
// message's execution and is not safe for concurrent use.
type Recorder struct {
	root  ExecutionTrace
	stack []*ExecutionTrace
}

func (r *Recorder) top() *ExecutionTrace {
	if len(r.stack) == 0 {
		return &r.root
	}
	return r.stack[len(r.stack)-1]
}

// Charge records c in the current frame. StorageGas is taken to be in gas
// units (after the storage multiplier), as in Charge.
func (r *Recorder) Charge(c Charge) {
	f := r.top()
	f.GasCharges = append(f.GasCharges, GasCharge{
		Name:       c.Name,
		TotalGas:   c.TotalGas,
		ComputeGas: c.ComputeGas,
		StorageGas: c.StorageGas,
	})
}

// Enter opens a subcall frame of the current frame; later charges go to it
// until the matching Exit.
func (r *Recorder) Enter() {
	f := r.top()
	f.Subcalls = append(f.Subcalls, ExecutionTrace{})
	r.stack = append(r.stack, &f.Subcalls[len(f.Subcalls)-1])
}

// Exit closes the current subcall frame. Exit without a matching Enter is an
// error: it means the caller's send bookkeeping is broken.
func (r *Recorder) Exit() error {
	if len(r.stack) == 0 {
		return fmt.Errorf("trace recorder: Exit without Enter")
	}
	r.stack = r.stack[:len(r.stack)-1]
	return nil
}

// Trace returns the recorded tree. Frames still open are included as they
// are, so a message that aborted mid-call can still be compared.
func (r *Recorder) Trace() *ExecutionTrace {
	return &r.root
}
