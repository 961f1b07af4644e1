package driver

import (
	"strings"
	"time"

	"github.com/ipfs/go-cid"
)

// Status is the result of running one vector variant.
type Status string

// Statuses. A run that could not start because its input is malformed is an
// Error; a run that completed but did not match its postconditions is a Fail.
const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Skip  Status = "skip"
	Error Status = "error"
)

// Outcome is what one run of a vector variant came to. Front ends render
// its typed fields; Detail is their rendering for people, not for parsing.
type Outcome struct {
	Status Status
	// Reason is one line saying why the run did not pass (or was skipped):
	// the first mismatch, or what stopped the run.
	Reason string
	// Detail is the multi-line rendering of Mismatches, Notes and StateDiff
	// (in that order), as `tvx exec` prints it under a failed run.
	Detail string
	// ActualRoot is the post-state root the executor computed (undefined
	// when the run did not get that far).
	ActualRoot cid.Cid
	// Mismatches lists every way the run differed from the vector's
	// postconditions, in the order found.
	Mismatches []Mismatch
	// Notes are diagnostics beside the mismatches (such as the actor error
	// behind a wrong exit code).
	Notes []string
	// StateDiff is the three-way state diff report (statediff.WriteReport,
	// between its marker lines) of a run whose post-state root differs,
	// when the driver was asked for one (WithStateDiff).
	StateDiff string
	// Gas compares the gas used by every receipt the run checked.
	Gas []GasUse
	// AssumedProofs counts the proof verifications accepted by the
	// executor's proof policy (well-formed proofs accepted without a SNARK
	// check).
	AssumedProofs int
	// Duration is the wall time of the run.
	Duration time.Duration
}

// Mismatch is one difference between a run and its vector's
// postconditions.
type Mismatch struct {
	// Where names the receipt or tipset ("message 0", "tipset 1 receipt 3
	// (cron at epoch 12)"); empty for the post-state root.
	Where string
	// What is the compared quantity: "exit code", "return", "gas used",
	// "actor error", "receipts", "receipts root" or "post state root".
	What string
	// Expected and Actual are the two values as text, when the mismatch
	// compares values.
	Expected, Actual string
	// Text is the mismatch as one line.
	Text string
}

func (m Mismatch) String() string { return m.Text }

// GasUse is the gas of one receipt: what the vector records and what the
// executor charged.
type GasUse struct {
	// Where names the receipt as Mismatch.Where does.
	Where            string
	Expected, Actual int64
	// Divergence names the first billable charge where the executor's gas
	// trace and the vector's recorded one differ, when gas differs and
	// both traces exist.
	Divergence string
	// ByCharge is the executor's gas for this receipt summed per charge
	// name, largest first, when gas differs and the executor returned a
	// gas trace (message-class runs).
	ByCharge []ChargeGas
}

// render fills Detail from the typed fields.
func (o *Outcome) render() {
	var b strings.Builder
	for _, m := range o.Mismatches {
		b.WriteString(m.Text + "\n")
	}
	for _, n := range o.Notes {
		b.WriteString(n + "\n")
	}
	if o.StateDiff != "" {
		b.WriteString(o.StateDiff)
	}
	o.Detail = b.String()
}
