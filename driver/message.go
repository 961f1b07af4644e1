package driver

import "context"

// execMessageClass applies the messages of a message-class vector.
func (d *Driver) execMessageClass(ctx context.Context, r *run) Outcome {
	return failf(errNotImplemented.Error())
}
