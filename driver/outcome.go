package driver

import "time"

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

// Outcome is what one run of a vector variant came to.
type Outcome struct {
	Status Status
	// Reason is one line saying why the run did not pass (or was skipped).
	Reason string
	// Detail holds multi-line diagnostics, such as a state diff.
	Detail string
	// AssumedProofs counts the proof verifications accepted by the default
	// proof policy (well-formed proofs are accepted without a SNARK check).
	AssumedProofs int
	// Duration is the wall time of the run.
	Duration time.Duration
}
