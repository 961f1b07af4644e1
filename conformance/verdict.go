package conformance

import (
	"fmt"

	"github.com/tvx-project/tvx/driver"
)

// Verdict is what one vector variant's run counts as, once the run's status
// is held against the expected-failures list.
type Verdict string

// Verdicts. Fail, Fixed and Errored fail a run; the others do not.
const (
	// Passed: the run matched its postconditions (for a negated vector: did
	// not match them).
	Passed Verdict = "pass"
	// Failed: the run did not pass and is not listed (or --strict).
	Failed Verdict = "fail"
	// Known: the run did not pass and the list says why.
	Known Verdict = "known"
	// Fixed: the run passed but is listed; the entry must go.
	Fixed Verdict = "fixed"
	// Skipped: the vector was not run (hinted incorrect).
	Skipped Verdict = "skip"
	// Errored: the run could not start (malformed input) and is not listed.
	Errored Verdict = "error"
)

// Failing reports whether v fails the run it is part of.
func (v Verdict) Failing() bool { return v == Failed || v == Fixed || v == Errored }

// Judge holds a run's status against the list: listed says whether the
// variant has an entry. With strict, a listed failure still fails.
func Judge(status driver.Status, listed, strict bool) Verdict {
	switch status {
	case driver.Pass:
		if listed {
			return Fixed
		}
		return Passed
	case driver.Skip:
		return Skipped
	}
	if listed && !strict {
		return Known
	}
	if status == driver.Error {
		return Errored
	}
	return Failed
}

// Totals counts results by verdict.
type Totals struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Known   int `json:"known"`
	Fixed   int `json:"fixed"`
	Skipped int `json:"skipped"`
	Errors  int `json:"errors"`
	// AssumedRuns and AssumedProofs count the runs that relied on the proof
	// policy and the proofs it accepted.
	AssumedRuns   int `json:"assumed_runs"`
	AssumedProofs int `json:"assumed_proofs"`
}

// Add counts r.
func (t *Totals) Add(r Result) {
	switch r.Verdict {
	case Passed:
		t.Passed++
	case Failed:
		t.Failed++
	case Known:
		t.Known++
	case Fixed:
		t.Fixed++
	case Skipped:
		t.Skipped++
	case Errored:
		t.Errors++
	}
	if r.AssumedProofs > 0 {
		t.AssumedRuns++
		t.AssumedProofs += r.AssumedProofs
	}
}

// Merge adds o's counts to t.
func (t *Totals) Merge(o Totals) {
	t.Passed += o.Passed
	t.Failed += o.Failed
	t.Known += o.Known
	t.Fixed += o.Fixed
	t.Skipped += o.Skipped
	t.Errors += o.Errors
	t.AssumedRuns += o.AssumedRuns
	t.AssumedProofs += o.AssumedProofs
}

// Ran is the number of variants that ran (everything but skips).
func (t Totals) Ran() int { return t.Passed + t.Failed + t.Known + t.Fixed + t.Errors }

// String is the summary line every front end prints.
func (t Totals) String() string {
	s := fmt.Sprintf("%d passed, %d failed", t.Passed, t.Failed+t.Errors)
	if t.Known > 0 {
		s += fmt.Sprintf(", %d known (listed)", t.Known)
	}
	if t.Fixed > 0 {
		s += fmt.Sprintf(", %d listed but passed", t.Fixed)
	}
	return s + fmt.Sprintf(", %d skipped", t.Skipped)
}

// Check is the one verdict of a whole run: nil when it is green, else an
// error saying why not. A run in which nothing ran is not green unless
// allowEmpty: a CI job must not pass by checking nothing.
func (t Totals) Check(allowEmpty bool) error {
	var bad []string
	if n := t.Failed; n > 0 {
		bad = append(bad, fmt.Sprintf("%d failed", n))
	}
	if n := t.Errors; n > 0 {
		bad = append(bad, fmt.Sprintf("%d could not run (malformed input)", n))
	}
	if n := t.Fixed; n > 0 {
		bad = append(bad, fmt.Sprintf("%d listed as failing but passed (remove their entries)", n))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", join(bad))
	}
	if t.Ran() == 0 && !allowEmpty {
		if t.Skipped > 0 {
			return fmt.Errorf("nothing ran: all %d vector variants were skipped (--allow-empty accepts this)", t.Skipped)
		}
		return fmt.Errorf("nothing ran: no vector variant matched (--allow-empty accepts this)")
	}
	return nil
}

func join(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}
