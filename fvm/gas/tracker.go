package gas

import (
	"errors"
	"math"
)

// ErrOutOfGas reports a charge beyond the gas limit.
var ErrOutOfGas = errors.New("out of gas")

// Traced is one recorded charge and the call frame it was made in.
type Traced struct {
	Charge
	Frame int
}

// Tracker enforces a message's gas limit in milligas, and from Hygge the
// nested limits of sends that ask for one. It is not safe for concurrent
// use.
type Tracker struct {
	limit int64
	used  int64
	// outer holds the enclosing limits while a nested one is in force.
	outer []snapshot
	trace []Traced
	// Frame is the call frame charges are recorded against.
	Frame   int
	tracing bool
}

// snapshot is an enclosing limit and what was used against it.
type snapshot struct {
	limit, used int64
}

// NewTracker returns a tracker for a limit in whole gas.
func NewTracker(limitGas int64, tracing bool) *Tracker {
	return &Tracker{limit: toMilli(limitGas), tracing: tracing}
}

// toMilli converts whole gas to milligas, saturating as the FVM's gas
// arithmetic does (a negative amount is zero).
func toMilli(gas int64) int64 {
	switch {
	case gas <= 0:
		return 0
	case gas > math.MaxInt64/Milli:
		return math.MaxInt64
	}
	return gas * Milli
}

// PushLimit starts a nested limit of limitGas whole gas, as a send with a
// gas limit does (FVM v3, nv18): until the matching PopLimit, charges count
// against the smaller of it and what is available, starting from nothing
// used; running out of it is ErrOutOfGas like running out of the message's.
func (t *Tracker) PushLimit(limitGas int64) {
	t.outer = append(t.outer, snapshot{limit: t.limit, used: t.used})
	t.limit = min(t.AvailableMilli(), toMilli(limitGas))
	t.used = 0
}

// PopLimit ends the innermost nested limit: the enclosing limit is in force
// again, with the gas used under the nested one added to what it had used.
// PopLimit without a PushLimit is an error (the call manager's bookkeeping
// is broken).
func (t *Tracker) PopLimit() error {
	n := len(t.outer)
	if n == 0 {
		return errors.New("gas: no nested gas limit to pop")
	}
	s := t.outer[n-1]
	t.outer = t.outer[:n-1]
	t.limit = s.limit
	t.used += s.used
	return nil
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

// UsedMilli is the milligas used so far (under the innermost limit while
// a nested one is in force).
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
