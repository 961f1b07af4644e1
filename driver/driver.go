// Package driver replays test vectors on tvx's VM: one vector, one variant
// (epoch and network version) at a time, and checks the postconditions.
package driver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/statediff"
)

// Driver runs vector variants. A Driver holds only its configuration, so one
// Driver may run many vectors concurrently.
type Driver struct {
	cfg config
}

// New returns a Driver configured by opts.
func New(opts ...Option) *Driver {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	return &Driver{cfg: cfg}
}

// run is the state of one vector variant's execution.
type run struct {
	vector  *schema.Vector
	variant schema.Variant
	// blocks serves the vector's CAR and buffers the VM's writes.
	blocks *corpus.Buffered
	log    Logger

	// actualRoot is the post-state root the VM computed, set by the class
	// executors once the last message or tipset is applied.
	actualRoot cid.Cid
}

// Run replays variant of v and reports the outcome. Vectors hinted incorrect
// are skipped unless they are also negated, in which case their
// postconditions must not match (or WithIncludeIncorrect asks to run them).
// Run never panics on bad input: a malformed vector is an Error outcome.
func (d *Driver) Run(ctx context.Context, v *schema.Vector, variant schema.Variant) (out Outcome) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			out = Outcome{Status: Error, Reason: fmt.Sprintf("internal error: %v", r)}
		}
		out.Duration = time.Since(start)
	}()

	incorrect := v.HasHint(schema.HintIncorrect)
	negate := v.HasHint(schema.HintNegate)
	if incorrect && !negate && !d.cfg.includeIncorrect {
		return Outcome{Status: Skip, Reason: "hinted incorrect"}
	}

	bs, release, err := d.cfg.source.Open(ctx, v)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}
	defer release()

	r := &run{vector: v, variant: variant, blocks: corpus.NewBuffered(bs), log: d.cfg.logger}
	switch v.Class {
	case schema.ClassMessage:
		out = d.execMessageClass(ctx, r)
	case schema.ClassTipset:
		out = d.execTipsetClass(ctx, r)
	default:
		return Outcome{Status: Error, Reason: fmt.Sprintf("%s: field class: unsupported class %q", v.Path, v.Class)}
	}
	if out.Status == Fail && d.cfg.stateDiff {
		out.Detail = d.stateDiff(ctx, r, out.Detail)
	}
	if incorrect && negate {
		out = negated(out)
	}
	return out
}

// stateDiff appends the three-way diff of a run whose post-state root is
// wrong to detail.
func (d *Driver) stateDiff(ctx context.Context, r *run, detail string) string {
	expected := r.vector.Post.StateTree.RootCID
	if !r.actualRoot.Defined() || r.actualRoot.Equals(expected) {
		return detail
	}
	var buf strings.Builder
	if detail != "" {
		buf.WriteString(strings.TrimRight(detail, "\n") + "\n")
	}
	err := statediff.WriteReport(ctx, &buf, r.blocks, r.vector.Pre.StateTree.RootCID, expected, r.actualRoot,
		statediff.WithColor(d.cfg.color))
	if err != nil {
		buf.WriteString(fmt.Sprintf("statediff failed: %v\n", err))
	}
	return buf.String()
}

// Check opens v's blocks through the driver's source and releases them, so a
// caller can tell malformed input (a CAR that is not gzip, too large, not a
// CAR, or without the pre-state root) from a run that fails.
func (d *Driver) Check(ctx context.Context, v *schema.Vector) error {
	_, release, err := d.cfg.source.Open(ctx, v)
	if err != nil {
		return err
	}
	release()
	return nil
}

// negated inverts a completed run: a negated vector records a behaviour the
// network must not have, so matching its postconditions is the failure.
func negated(o Outcome) Outcome {
	switch o.Status {
	case Pass:
		return Outcome{Status: Fail, Reason: "negated vector matched its postconditions", AssumedProofs: o.AssumedProofs}
	case Fail:
		if o.Reason == errNotImplemented.Error() {
			return o
		}
		return Outcome{Status: Pass, Reason: "negated: " + o.Reason, AssumedProofs: o.AssumedProofs}
	}
	return o
}

var errNotImplemented = errors.New("not implemented: the VM cannot execute this class yet")
