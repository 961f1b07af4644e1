package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/schema"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run test vectors on tvx's VM and check their postconditions",
		ArgsUsage: "[PATH...]",
		Description: `Runs every vector found in each PATH (a file, or a directory searched
recursively for *.json, skipping names that start with "_" or ".") once per
variant, and prints one line per vector variant and a summary line.
With no PATH, or PATH "-", newline-delimited vectors are read from stdin.

Exit status: 0 when every run passed or was skipped, 1 when any vector
variant failed or could not be read in a multi-vector run, 2 on a usage
error or when a single named vector cannot be read.

Proof verification: SNARK proofs (seal, window and winning PoSt) cannot be
checked without verifying keys, which no vector carries. tvx charges their
gas exactly and accepts well-formed proofs; the summary says how many runs
relied on that policy.`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "file", Usage: "vector file or directory to run (as Lotus's tvx spells it; same as a PATH argument)"},
			&cli.StringFlag{Name: "variant", Usage: "run only the variant with this id"},
			&cli.IntFlag{Name: "parallel", Value: runtime.NumCPU(), Usage: "vectors to run at once"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per result instead of a line"},
			&cli.BoolFlag{Name: "include-incorrect", Usage: "run vectors hinted incorrect (and not negated) instead of skipping them"},
			&cli.StringFlag{Name: "statediff", Usage: "print a state diff, between STATEDIFF marker lines, when a post-state root differs: on or off (default: on for a single vector, off for directory runs)"},
			&cli.BoolFlag{Name: "color", Usage: "colour state diffs (default: only when stdout is a terminal)"},
			callbackFlag(),
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print the driver's diagnostics (syscalls relying on the proof policy, randomness fallbacks, …) on stderr"},
		}, append(storeFlags(), fallbackFlags()...)...),
		Action: runExec,
	}
}

// input is one unit of work: a vector file to load, or a vector (or the
// error decoding it) already read from a stream.
type input struct {
	path   string
	vector *schema.Vector
	err    error
}

func runExec(c *cli.Context) error {
	paths := append(c.StringSlice("file"), c.Args().Slice()...)
	if c.Int("parallel") < 1 {
		return usageErr("--parallel must be at least 1")
	}

	var inputs []input
	single := false
	fromStdin := len(paths) == 0
	for _, p := range paths {
		if p == "-" {
			fromStdin = true
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return usageErr("%v", err)
		}
		files, err := schema.Walk(p)
		if err != nil {
			return usageErr("%v", err)
		}
		if !st.IsDir() && len(paths) == 1 {
			single = true
		}
		for _, f := range files {
			inputs = append(inputs, input{path: f})
		}
	}
	if fromStdin {
		err := schema.ReadStream(c.App.Reader, "-", func(v *schema.Vector, err error) error {
			name := "-"
			var se *schema.Error
			if v != nil {
				name = v.Path
			} else if errors.As(err, &se) {
				name = se.File
			}
			inputs = append(inputs, input{path: name, vector: v, err: err})
			return nil
		})
		if err != nil {
			return usageErr("%v", err)
		}
	}

	diffOn := single
	switch c.String("statediff") {
	case "":
	case "on":
		diffOn = true
	case "off":
		diffOn = false
	default:
		return usageErr("--statediff: want on or off, got %q", c.String("statediff"))
	}
	cbs, finishCallbacks, err := buildCallbacks(c.StringSlice("callback"))
	if err != nil {
		return err
	}
	rep := newReporter(c.App.Writer, c.App.ErrWriter, c.Bool("json"), c.Bool("verbose"))
	opts := []driver.Option{
		driver.WithLogger(rep),
		driver.WithIncludeIncorrect(c.Bool("include-incorrect")),
		driver.WithStateDiff(diffOn, c.Bool("color") || (!c.Bool("json") && isTerminal(c.App.Writer))),
		driver.WithCallbacks(cbs...),
	}
	st, err := openStoreFromFlags(c)
	if err != nil {
		return err
	}
	var src corpus.Source = corpus.Memory{}
	if st != nil {
		defer st.Close()
		src = st
	}
	fb, closeFallback, err := openFallback(c)
	if err != nil {
		return err
	}
	defer closeFallback()
	if fb != nil {
		src = fb.Wrap(src)
	}
	opts = append(opts, driver.WithSource(src))
	d := driver.New(opts...)
	if single {
		// One named vector: unreadable input, its CAR included, is a usage
		// error (exit 2), not a failed run.
		v, err := schema.LoadFile(inputs[0].path)
		if err == nil {
			err = d.Check(c.Context, v)
		}
		if err != nil {
			return &exitError{code: exitBadArgs, err: err}
		}
		inputs[0].vector = v
	}
	runAll(c.Context, d, inputs, c.String("variant"), c.Int("parallel"), rep)
	if fb != nil {
		rep.note(fallbackSummary(fb))
	}
	sum := rep.finish()
	if err := finishCallbacks(); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if sum.failed > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}

// runAll runs every variant of every input on parallel workers and hands the
// results to rep in input order, so output does not depend on scheduling.
func runAll(ctx context.Context, d *driver.Driver, inputs []input, variant string, parallel int, rep *reporter) {
	results := make([]chan []result, len(inputs))
	for i := range results {
		results[i] = make(chan []result, 1)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] <- runInput(ctx, d, inputs[i], variant, rep)
			}
		}()
	}
	go func() {
		for i := range inputs {
			work <- i
		}
		close(work)
		wg.Wait()
	}()
	rep.expect(len(inputs))
	for i := range inputs {
		for _, r := range <-results[i] {
			rep.report(r)
		}
		rep.vectorDone()
	}
}

// runInput loads one input if needed and runs its variants in order.
func runInput(ctx context.Context, d *driver.Driver, in input, variant string, rep *reporter) []result {
	v, err := in.vector, in.err
	if v == nil && err == nil {
		v, err = schema.LoadFile(in.path)
	}
	if err != nil {
		return []result{{File: in.path, Status: driver.Error, Reason: err.Error()}}
	}
	var out []result
	for _, vr := range v.Pre.Variants {
		if variant != "" && vr.ID != variant {
			continue
		}
		o := d.Run(ctx, v, vr)
		out = append(out, newResult(v, vr, o))
	}
	return out
}

func newResult(v *schema.Vector, vr schema.Variant, o driver.Outcome) result {
	return result{
		File:          v.Path,
		ID:            v.ID(),
		Class:         string(v.Class),
		Variant:       vr.ID,
		NV:            vr.NetworkVersion,
		Epoch:         vr.Epoch,
		Status:        o.Status,
		Reason:        o.Reason,
		DurationMS:    o.Duration.Milliseconds(),
		AssumedProofs: o.AssumedProofs,
		detail:        o.Detail,
	}
}
