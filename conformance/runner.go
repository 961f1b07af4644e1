package conformance

import (
	"context"
	"iter"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/membudget"
	"github.com/tvx-project/tvx/schema"
)

// Input is one unit of work: a vector file to load, or a vector (or the
// error decoding it) already read from a stream.
type Input struct {
	// Path names the input in results.
	Path string
	// Rel is the path below the corpus root, written into list entries
	// (-write-expected); Path when empty.
	Rel string
	// Data is the vector's JSON when it was read from a stream (decoded by
	// the worker when Vector is nil); with Data, Vector or Err set, the file
	// at Path is not read.
	Data   []byte
	Vector *schema.Vector
	Err    error
}

// readVector reads one vector file, refusing one larger than schema allows
// before buffering it.
func readVector(path string) ([]byte, error) { return schema.ReadFile(path) }

// Result is one vector variant's run, judged. Its JSON form is a line of
// `tvx exec --json`; README.md documents every field.
type Result struct {
	File    string `json:"file"`
	Key     string `json:"key"`
	ID      string `json:"id"`
	Class   string `json:"class"`
	Variant string `json:"variant"`
	NV      uint   `json:"nv"`
	Epoch   int64  `json:"epoch"`
	// Status is the run's own outcome; Verdict is what it counts as.
	Status  driver.Status `json:"status"`
	Verdict Verdict       `json:"verdict"`
	Reason  string        `json:"reason"`
	// Listed is the list entry's reason when the variant is listed.
	Listed        string `json:"listed,omitempty"`
	DurationMS    int64  `json:"duration_ms"`
	AssumedProofs int    `json:"assumed_proofs,omitempty"`
	// ActualRoot is the post-state root the run computed, when it got
	// that far.
	ActualRoot string `json:"actual_root,omitempty"`
	// Mismatches lists every difference from the postconditions.
	Mismatches []Mismatch `json:"mismatches,omitempty"`
	// Notes are diagnostics beside the mismatches.
	Notes []string `json:"notes,omitempty"`
	// StateDiff is the three-way state diff of a post-state root mismatch
	// (when state diffs are on).
	StateDiff string `json:"statediff,omitempty"`
	// Gas is the gas breakdown: every checked receipt's recorded and
	// charged gas.
	Gas []GasUse `json:"gas,omitempty"`

	// Rel is the input's path below its corpus root.
	Rel string `json:"-"`
	// Outcome is the driver's whole outcome.
	Outcome driver.Outcome `json:"-"`
}

// Mismatch is one difference between a run and its postconditions
// (driver.Mismatch in JSON form).
type Mismatch struct {
	Where    string `json:"where,omitempty"`
	What     string `json:"what"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Text     string `json:"text"`
}

// GasUse is one receipt's gas (driver.GasUse in JSON form).
type GasUse struct {
	Where      string `json:"where"`
	Expected   int64  `json:"expected"`
	Actual     int64  `json:"actual"`
	Divergence string `json:"divergence,omitempty"`
	// ByCharge is driver.GasUse.ByCharge.
	ByCharge []ChargeGas `json:"by_charge,omitempty"`
}

// ChargeGas is the gas of the charges of one name (driver.ChargeGas in
// JSON form).
type ChargeGas struct {
	Name  string `json:"name"`
	Gas   int64  `json:"gas"`
	Count int    `json:"count"`
}

// Detail is the result's diagnostics for people, each said once: the
// mismatches other than the one Reason already gives, the notes, then the
// state diff.
func (res Result) Detail() string {
	var b strings.Builder
	for _, m := range res.Mismatches {
		if m.Text != res.Reason {
			b.WriteString(m.Text + "\n")
		}
	}
	for _, n := range res.Notes {
		b.WriteString(n + "\n")
	}
	b.WriteString(res.StateDiff)
	if b.Len() == 0 && len(res.Mismatches) == 0 {
		// An executor that only renders text.
		return strings.ReplaceAll(res.Outcome.Detail, res.Reason+"\n", "")
	}
	return b.String()
}

// Runner runs inputs and judges every variant against an expected-failures
// list. `tvx exec` and the conformance harness both run through it, so they
// give the same verdict on the same corpus.
type Runner struct {
	Driver *driver.Driver
	// Expected is the list results are held against; nil lists nothing.
	Expected *Expected
	// Strict makes listed failures fail too.
	Strict bool
	// Variant, when set, runs only the variants with this id.
	Variant string
	// Shard selects the part of the corpus to run.
	Shard Shard
	// Parallel is the number of vectors run at once (at least 1).
	Parallel int
	// Memory, when set, bounds what the workers hold at once: each takes a
	// share sized by its vector file before reading it, adds its CAR's
	// size before decompressing it, and waits while the budget is spent
	// (an input bigger than the whole budget runs alone). nil bounds
	// nothing beyond the per-vector limits.
	Memory *membudget.Budget
	// MaxCARSize is the decompressed CAR size the driver's source allows,
	// for the budget's estimates; 0 means schema.DefaultMaxCARSize.
	MaxCARSize int64
}

// Run runs every selected variant of every input on r.Parallel workers and
// calls report once per input, in input order, with that input's results
// (none when the shard or variant filter selects none of it), so output
// does not depend on scheduling.
func (r *Runner) Run(ctx context.Context, inputs []Input, report func([]Result)) {
	r.RunSeq(ctx, slices.Values(inputs), report)
}

// RunSeq is Run over inputs produced one at a time (a stream on stdin): the
// next input is taken only when a worker is free to start on it and, with
// Memory, when its share of the budget is free, so a long stream is never
// held whole.
func (r *Runner) RunSeq(ctx context.Context, inputs iter.Seq[Input], report func([]Result)) {
	parallel := max(r.Parallel, 1)
	type job struct {
		in   Input
		hold *membudget.Hold
		err  error
		out  chan []Result
	}
	work := make(chan job)
	// order holds the result channels in input order. Its capacity bounds
	// how far the inputs taken may run ahead of the reporting: far enough
	// that one slow vector does not idle the other workers (what finished
	// inputs keep until reported is their results; their memory share is
	// returned when they finish).
	order := make(chan chan []Result, max(16*parallel, 256))
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.out <- r.runInput(ctx, j.in, j.hold, j.err)
			}
		}()
	}
	go func() {
		defer close(order)
		for in := range inputs {
			j := job{in: in, out: make(chan []Result, 1)}
			// Inputs take their share in input order, so the oldest share
			// (the one that may grow past the budget) is always an input
			// a worker has or is about to have.
			j.hold, j.err = r.hold(ctx, in)
			order <- j.out
			work <- j
		}
		close(work)
		wg.Wait()
	}()
	for out := range order {
		report(<-out)
	}
}

// runInput loads one input if needed and runs its selected variants in
// order.
// h is the input's share of r.Memory (nil without one) and holdErr the
// failure to take it.
func (r *Runner) runInput(ctx context.Context, in Input, h *membudget.Hold, holdErr error) []Result {
	rel := in.Rel
	if rel == "" {
		rel = in.Path
	}
	if err := holdErr; err != nil {
		o := driver.Outcome{Status: driver.Error, Reason: err.Error()}
		return []Result{r.judge(Result{File: in.Path, Rel: rel, Variant: "-"}, o)}
	}
	if h != nil {
		defer h.Release()
	}
	v, err, data := in.Vector, in.Err, in.Data
	if v == nil && err == nil {
		if data == nil {
			data, err = readVector(in.Path)
		}
		if err == nil {
			v, err = schema.Decode(in.Path, data)
		}
	}
	key, jsonSchema := "", false
	if data != nil {
		key, jsonSchema = inspect(data)
	}
	if err != nil && jsonSchema {
		if !r.Shard.Has(key, "-") {
			return nil
		}
		o := driver.Outcome{Status: driver.Skip, Reason: "a JSON Schema document, not a vector"}
		return []Result{r.judge(Result{File: in.Path, Rel: rel, Key: key, Variant: "-"}, o)}
	}
	if err != nil {
		shardKey := key
		if shardKey == "" {
			shardKey = in.Path
		}
		// A broken file is reported whatever --variant asks for: it cannot
		// say which variants it has, and must not go unnoticed.
		if !r.Shard.Has(shardKey, "-") {
			return nil
		}
		o := driver.Outcome{Status: driver.Error, Reason: err.Error()}
		return []Result{r.judge(Result{File: in.Path, Rel: rel, Key: key, Variant: "-"}, o)}
	}
	var selected []schema.Variant
	for _, vr := range v.Pre.Variants {
		if r.Variant != "" && vr.ID != r.Variant {
			continue
		}
		if !r.Shard.Has(key, vr.ID) {
			continue
		}
		selected = append(selected, vr)
	}
	if h != nil && len(selected) > 0 {
		if err := h.Grow(ctx, carCost(v, r.MaxCARSize)); err != nil {
			o := driver.Outcome{Status: driver.Error, Reason: err.Error()}
			return []Result{r.judge(Result{File: in.Path, Rel: rel, Key: key, Variant: "-"}, o)}
		}
		ctx = membudget.WithHold(ctx, h)
	}
	// One read of the vector's blocks serves all its variants.
	outcomes := r.Driver.RunVariants(ctx, v, selected)
	var out []Result
	for i, vr := range selected {
		o := outcomes[i]
		res := Result{
			File:    v.Path,
			Rel:     rel,
			Key:     key,
			ID:      v.ID(),
			Class:   string(v.Class),
			Variant: vr.ID,
			NV:      vr.NetworkVersion,
			Epoch:   vr.Epoch,
		}
		out = append(out, r.judge(res, o))
	}
	return out
}

// judge fills res from the outcome and holds it against the list.
func (r *Runner) judge(res Result, o driver.Outcome) Result {
	e, listed := r.Expected.Lookup(res.Key, res.Variant)
	if res.Key == "" {
		listed = false
	}
	res.Status = o.Status
	res.Reason = o.Reason
	if o.ActualRoot.Defined() {
		res.ActualRoot = o.ActualRoot.String()
	}
	for _, m := range o.Mismatches {
		res.Mismatches = append(res.Mismatches, Mismatch{Where: m.Where, What: m.What, Expected: m.Expected, Actual: m.Actual, Text: m.Text})
	}
	res.Notes = o.Notes
	res.StateDiff = o.StateDiff
	for _, g := range o.Gas {
		gu := GasUse{Where: g.Where, Expected: g.Expected, Actual: g.Actual, Divergence: g.Divergence}
		for _, c := range g.ByCharge {
			gu.ByCharge = append(gu.ByCharge, ChargeGas{Name: c.Name, Gas: c.Gas, Count: c.Count})
		}
		res.Gas = append(res.Gas, gu)
	}
	res.DurationMS = o.Duration.Milliseconds()
	res.AssumedProofs = o.AssumedProofs
	res.Outcome = o
	res.Verdict = Judge(o.Status, listed, r.Strict)
	if listed {
		res.Listed = e.Reason
	}
	return res
}

// Entry returns the list entry that records res as a known failure: the
// listed reason when it has one, else the run's own.
func (res Result) Entry() Entry {
	reason := res.Listed
	if reason == "" {
		reason = oneLine(res.Reason)
	}
	return Entry{Path: strings.ReplaceAll(filepath.ToSlash(res.Rel), " ", "%20"), Variant: res.Variant, Key: res.Key, Reason: reason}
}

// oneLine folds s onto one line of at most 300 characters, for list entries.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
