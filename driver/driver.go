// Package driver replays test vectors: one vector, one variant (epoch and
// network version) at a time, on an executor (driver/executor; tvx's own VM
// unless WithExecutor names another), and checks the postconditions.
package driver

import (
	"context"
	"fmt"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/actorpolicy"
	"strings"
	"time"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/networks"
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
	// protocol is the table the variant's network version is looked up in.
	protocol *protocol.Table
	// policy is the actor policy the run holds (nil: mainnet's).
	policy *networks.Policy
}

// Run replays variant of v and reports the outcome. Vectors hinted incorrect
// are skipped unless they are also negated, in which case their
// postconditions must not match (or WithIncludeIncorrect asks to run them).
// Run never panics on bad input: a malformed vector is an Error outcome.
func (d *Driver) Run(ctx context.Context, v *schema.Vector, variant schema.Variant) Outcome {
	return d.RunVariants(ctx, v, []schema.Variant{variant})[0]
}

// RunVariants runs each of variants of v in turn and returns their outcomes
// in the same order, each exactly as Run would report it, but reads v's
// blocks through the driver's source once for all of them: the blockstore
// is read-only and every run writes to a buffer of its own. The time spent
// opening the blocks counts towards the first run that needs them.
func (d *Driver) RunVariants(ctx context.Context, v *schema.Vector, variants []schema.Variant) []Outcome {
	var o opener
	defer o.close()
	// The Go actors read their network's policy from specs-actors'
	// process-wide variables; the gate keeps them this vector's network's
	// for the whole run (see vm/actorpolicy).
	out := make([]Outcome, len(variants))
	policy, err := VectorPolicy(v)
	if d.cfg.policy != nil {
		policy, err = d.cfg.policy, nil
	}
	if err != nil {
		for i := range out {
			out[i] = Outcome{Status: Error, Reason: err.Error()}
		}
		return out
	}
	defer actorpolicy.Hold(policy)()
	for i, vr := range variants {
		out[i] = d.runOne(ctx, v, vr, policy, func() (corpus.Blockstore, error) { return o.open(ctx, d.cfg.source, v) })
	}
	return out
}

// opener opens a vector's blocks on first use and then hands every caller
// the same result, a panic included, so each variant meets what it would
// have met opening them itself.
type opener struct {
	done    bool
	bs      corpus.Blockstore
	release func()
	err     error
	panic   any
}

func (o *opener) open(ctx context.Context, src corpus.Source, v *schema.Vector) (corpus.Blockstore, error) {
	if o.panic != nil {
		panic(o.panic)
	}
	if !o.done {
		o.done = true
		func() {
			defer func() {
				if p := recover(); p != nil {
					o.panic = p
					panic(p)
				}
			}()
			o.bs, o.release, o.err = src.Open(ctx, v)
		}()
	}
	return o.bs, o.err
}

func (o *opener) close() {
	if o.release != nil {
		o.release()
	}
}

// runOne is Run with the blocks coming from open.
func (d *Driver) runOne(ctx context.Context, v *schema.Vector, variant schema.Variant, policy *networks.Policy, open func() (corpus.Blockstore, error)) (out Outcome) {
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

	bs, err := open()
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}

	table := d.cfg.protocol
	if !d.cfg.protocolSet {
		own, err := VectorProtocol(v)
		if err != nil {
			return Outcome{Status: Error, Reason: err.Error()}
		}
		if own != nil {
			table = own
		}
	}
	r := &run{vector: v, variant: variant, blocks: corpus.NewBuffered(bs), log: d.cfg.logger, protocol: table, policy: policy}
	switch v.Class {
	case schema.ClassMessage:
		out = d.execMessageClass(ctx, r)
	case schema.ClassTipset:
		out = d.execTipsetClass(ctx, r)
	default:
		return Outcome{Status: Error, Reason: fmt.Sprintf("%s: field class: unsupported class %q", v.Path, v.Class)}
	}
	if out.Status == Fail && d.cfg.stateDiff {
		out.StateDiff = d.stateDiff(ctx, r, out)
	}
	if incorrect && negate {
		out = negated(out)
	}
	out.render()
	return out
}

// stateDiff is the three-way diff report of a run whose post-state root is
// wrong ("" when the root is right or unknown).
func (d *Driver) stateDiff(ctx context.Context, r *run, out Outcome) string {
	expected := r.vector.Post.StateTree.RootCID
	if !out.ActualRoot.Defined() || out.ActualRoot.Equals(expected) {
		return ""
	}
	var buf strings.Builder
	err := statediff.WriteReport(ctx, &buf, r.blocks, r.vector.Pre.StateTree.RootCID, expected, out.ActualRoot,
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
// network must not have, so matching its postconditions is the failure. The
// typed findings (actual root, gas) are kept; mismatches are what the
// negated vector requires, so they do not stay as mismatches.
func negated(o Outcome) Outcome {
	n := Outcome{ActualRoot: o.ActualRoot, Gas: o.Gas, AssumedProofs: o.AssumedProofs}
	switch o.Status {
	case Pass:
		n.Status, n.Reason = Fail, "negated vector matched its postconditions"
	case Fail:
		n.Status, n.Reason = Pass, "negated: "+o.Reason
	default:
		return o
	}
	return n
}
