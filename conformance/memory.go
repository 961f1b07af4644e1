package conformance

import (
	"context"
	"os"

	"github.com/tvx-project/tvx/internal/membudget"
	"github.com/tvx-project/tvx/schema"
)

// What a vector costs in memory while it runs, for Runner.Memory. The
// figures are upper bounds for the loading, which is what hostile input
// inflates (a run's own working set is small beside the limits).
const (
	// runOverhead is charged for every vector: decoding, the run's
	// buffered writes, the results.
	runOverhead = 1 << 20
)

// fileCost is the memory a vector file of size bytes holds once read and
// decoded: the bytes read, and the decoded vector (its CAR, base64 in the
// file, dominating).
func fileCost(size int64) int64 {
	size = min(max(size, 0), schema.MaxVectorFileSize)
	return 2*size + runOverhead
}

// carCost is the memory the vector's CAR holds once decompressed and
// indexed, as far as its gzip trailer tells: the CAR and its index (at
// most half the CAR: one entry per block of at least a CID's size). The
// bytes a lying trailer hides are charged while decompressing (see
// corpus's use of membudget.FromContext).
func carCost(v *schema.Vector, maxCAR int64) int64 {
	if maxCAR <= 0 {
		maxCAR = schema.DefaultMaxCARSize
	}
	declared := v.DeclaredCARSize()
	if declared > maxCAR {
		return 0 // refused before decompressing
	}
	return declared + declared/2
}

// inputSize is the size of the input's JSON as far as it is known before
// reading it.
func inputSize(in Input) int64 {
	if in.Data != nil {
		return int64(len(in.Data))
	}
	if in.Vector != nil {
		return int64(len(in.Vector.CAR))
	}
	if st, err := os.Stat(in.Path); err == nil && st.Mode().IsRegular() {
		return st.Size()
	}
	return 0
}

// hold takes the input's share of r.Memory before it is read; nil when the
// runner has no budget.
func (r *Runner) hold(ctx context.Context, in Input) (*membudget.Hold, error) {
	if r.Memory == nil {
		return nil, nil
	}
	return r.Memory.Acquire(ctx, fileCost(inputSize(in)))
}
