package driver

import "context"

// execTipsetClass replays the tipsets of a tipset-class vector.
func (d *Driver) execTipsetClass(ctx context.Context, r *run) Outcome {
	return failf(errNotImplemented.Error())
}
