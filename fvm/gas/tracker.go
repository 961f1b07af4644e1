package gas

import "errors"

// ErrOutOfGas reports a charge beyond the gas limit.
var ErrOutOfGas = errors.New("out of gas")

// Traced is one recorded charge and the call frame it was made in.
type Traced struct {
	Charge
	Frame int
}

// Tracker enforces a message's gas limit in milligas. It is not safe for
// concurrent use.
type Tracker struct {
	limit int64
	used  int64
	trace []Traced
	// Frame is the call frame charges are recorded against.
	Frame   int
	tracing bool
}

// NewTracker returns a tracker for a limit in whole gas.
func NewTracker(limitGas int64, tracing bool) *Tracker {
	return &Tracker{limit: limitGas * Milli, tracing: tracing}
}

// Charge applies c. A charge that would pass the limit uses the whole limit
// and returns ErrOutOfGas, as the FVM does.
func (t *Tracker) Charge(c Charge) error {
	if t.tracing {
		t.trace = append(t.trace, Traced{Charge: c, Frame: t.Frame})
	}
	total := c.Total()
	if t.used+total > t.limit {
		t.used = t.limit
		return ErrOutOfGas
	}
	t.used += total
	return nil
}

// ChargeMilli applies a raw milligas amount under name.
func (t *Tracker) ChargeMilli(name string, milli int64) error {
	return t.Charge(Charge{Name: name, Compute: milli})
}

// UsedMilli is the milligas used so far.
func (t *Tracker) UsedMilli() int64 { return t.used }

// AvailableMilli is the milligas left.
func (t *Tracker) AvailableMilli() int64 { return t.limit - t.used }

// Used is the gas used, rounded up to whole gas and never negative.
func (t *Tracker) Used() int64 {
	if t.used <= 0 {
		return 0
	}
	return (t.used + Milli - 1) / Milli
}

// Trace returns the recorded charges.
func (t *Tracker) Trace() []Traced { return t.trace }
