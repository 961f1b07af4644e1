package schema

import "fmt"

// Ranges a vector's epochs must lie in, checked at load so that no run
// overflows an epoch, starts below zero or runs null rounds without end.
const (
	// MaxEpoch bounds every epoch a vector names (a variant's epoch, and
	// that epoch plus any offset): about 9,500 years of 30-second epochs,
	// far beyond any chain, and small enough that no sum of two
	// in-range values overflows int64.
	MaxEpoch = 10_000_000_000
	// MaxNullRounds is the longest run of null rounds a tipset vector may
	// ask for: between the variant's epoch and the first tipset, and
	// between consecutive tipsets. A day of epochs; the public corpus's
	// longest run is 10.
	MaxNullRounds = 2880
)

// checkOffsets range-checks message and tipset epoch offsets against every
// variant: each offset within ±MaxEpoch, each resulting epoch within
// 0..MaxEpoch, tipsets never going back and no run of more than
// MaxNullRounds null rounds. Checking the operands first keeps the sums
// from overflowing.
func (v *Vector) checkOffsets() error {
	name := v.Path
	inRange := func(field string, off int64) error {
		if off < -MaxEpoch || off > MaxEpoch {
			return fieldErr(name, field, "offset %d outside ±%d", off, int64(MaxEpoch))
		}
		for _, vr := range v.Pre.Variants {
			if e := vr.Epoch + off; e < 0 || e > MaxEpoch {
				return fieldErr(name, field, "offset %d puts variant %s (epoch %d) at epoch %d, outside 0..%d", off, vr.ID, vr.Epoch, e, int64(MaxEpoch))
			}
		}
		return nil
	}
	for i, m := range v.ApplyMessages {
		if m.EpochOffset == nil {
			continue
		}
		if err := inRange(fmt.Sprintf("apply_messages[%d].epoch_offset", i), *m.EpochOffset); err != nil {
			return err
		}
	}
	prev := int64(0)
	for i, ts := range v.ApplyTipsets {
		field := fmt.Sprintf("apply_tipsets[%d].epoch_offset", i)
		if err := inRange(field, ts.EpochOffset); err != nil {
			return err
		}
		if ts.EpochOffset < prev {
			return fieldErr(name, field, "offset %d is below the previous tipset's %d", ts.EpochOffset, prev)
		}
		if gap := ts.EpochOffset - prev - 1; gap > MaxNullRounds {
			return fieldErr(name, field, "%d null rounds before this tipset; tvx runs at most %d in a row", gap, MaxNullRounds)
		}
		prev = ts.EpochOffset
	}
	return nil
}
