package main

import (
	"errors"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/conformance"
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
With no PATH, or PATH "-", vectors are read from stdin: concatenated JSON
objects, pretty-printed or one per line.

Each result is held against the expected-failures list (the one shipped
with tvx unless --expected names another): a listed failure prints KNOWN
with the listed reason and does not fail the run; a listed variant that
passes does. --strict makes every failure count.

Exit status: 0 when the run is green, 1 when a variant failed unlisted (or
could not be read in a multi-vector run), a listed variant passed, or
nothing ran (unless --allow-empty); 2 on a usage error or when a single
named vector cannot be read.

Proof verification: SNARK proofs (seal, window and winning PoSt) cannot be
checked without verifying keys, which no vector carries. tvx charges their
gas exactly and accepts well-formed proofs; the summary says how many runs
relied on that policy.`,
		Flags: append(append([]cli.Flag{
			&cli.StringSliceFlag{Name: "file", Usage: "vector file or directory to run (as Lotus's tvx spells it; same as a PATH argument)"},
			&cli.StringFlag{Name: "variant", Usage: "run only the variant with this id"},
			&cli.IntFlag{Name: "parallel", Value: runtime.NumCPU(), Usage: "vectors to run at once"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per result, then one summary object, instead of lines"},
			&cli.BoolFlag{Name: "include-incorrect", Usage: "run vectors hinted incorrect (and not negated) instead of skipping them"},
			&cli.StringFlag{Name: "statediff", Usage: "print a state diff, between STATEDIFF marker lines, when a post-state root differs: on or off (default: on for a single vector and with --json, off for text output of directory runs)"},
			&cli.BoolFlag{Name: "color", Usage: "colour state diffs (default: only when stdout is a terminal)"},
			callbackFlag(),
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print the driver's diagnostics (syscalls relying on the proof policy, randomness fallbacks, …) on stderr"},
		}, append(verdictFlags(), executorFlags()...)...), append(storeFlags(), fallbackFlags()...)...),
		Action: runExec,
	}
}

// errStreamStopped ends reading stdin when the run stops taking inputs.
var errStreamStopped = errors.New("stream reading stopped")

func runExec(c *cli.Context) error {
	paths := append(c.StringSlice("file"), c.Args().Slice()...)
	if c.Int("parallel") < 1 {
		return usageErr("--parallel must be at least 1")
	}
	vf, err := parseVerdictFlags(c)
	if err != nil {
		return err
	}

	var inputs []conformance.Input
	single := false
	fromStdin := len(paths) == 0
	for _, p := range paths {
		if p == "-" {
			fromStdin = true
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return badInput(err)
		}
		// An unreadable subdirectory is one ERROR line, not an aborted run.
		found, err := schema.WalkFound(p)
		if err != nil {
			return badInput(err)
		}
		if !st.IsDir() && len(paths) == 1 {
			single = true
		}
		for _, f := range found {
			in := conformance.Input{Path: f.Path, Rel: relTo(p, f.Path, st.IsDir())}
			if f.Err != nil {
				in.Err = &schema.Error{File: f.Path, Err: f.Err}
			}
			inputs = append(inputs, in)
		}
	}
	// Vectors on stdin are read as the workers take them, and decoded by
	// the worker, so a long stream is never held whole.
	streamed := 0
	var streamErr error
	allInputs := func(yield func(conformance.Input) bool) {
		for _, in := range inputs {
			if !yield(in) {
				return
			}
		}
		if !fromStdin {
			return
		}
		streamErr = schema.StreamValues(c.App.Reader, "-", func(label string, data []byte, err error) error {
			streamed++
			if !yield(conformance.Input{Path: label, Data: data, Err: err}) {
				return errStreamStopped
			}
			return nil
		})
	}

	// A --json result carries its state diff as a field, so machine-read
	// runs get it by default; the text of a directory run stays short.
	diffOn := single || c.Bool("json")
	switch c.String("statediff") {
	case "":
	case "on":
		diffOn = true
	case "off":
		diffOn = false
	default:
		return usageErr("--statediff: want on or off, got %q", c.String("statediff"))
	}
	cbs, finishCallbacks, err := buildCallbacks(append(c.StringSlice("callback"), vf.callbacks...))
	if err != nil {
		return err
	}
	rep := newReporter(c.App.Writer, c.App.ErrWriter, c.Bool("json"), c.Bool("verbose"))
	rep.outDir = vf.outDir
	opts := []driver.Option{
		driver.WithLogger(rep),
		driver.WithIncludeIncorrect(c.Bool("include-incorrect")),
		driver.WithStateDiff(diffOn || vf.outDir != "", c.Bool("color") || (!c.Bool("json") && isTerminal(c.App.Writer))),
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
	execOpts, closeExecutor, err := executorFromFlags(c)
	if err != nil {
		return err
	}
	defer closeExecutor()
	opts = append(opts, execOpts...)
	d := driver.New(opts...)
	if single {
		// One named vector: unreadable input, its CAR included, is a usage
		// error (exit 2), not a failed run.
		v, err := schema.LoadFile(inputs[0].Path)
		if err == nil {
			err = d.Check(c.Context, v)
		}
		if err != nil {
			return badInput(err)
		}
	}
	r := &conformance.Runner{
		Driver:   d,
		Expected: vf.expected,
		Strict:   vf.strict,
		Variant:  c.String("variant"),
		Shard:    vf.shard,
		Parallel: c.Int("parallel"),
		Memory:   execMemory(),
	}
	if !fromStdin {
		// More workers than inputs would only hold memory.
		r.Parallel = max(1, min(r.Parallel, len(inputs)))
		rep.expect(len(inputs))
	}
	r.RunSeq(c.Context, allInputs, func(results []conformance.Result) {
		for _, res := range results {
			rep.report(res)
		}
		rep.vectorDone()
	})
	if fb != nil {
		rep.note(fallbackSummary(fb))
	}
	sum := rep.finish(vf.summary(), vf.allowEmpty)
	if err := finishCallbacks(); err != nil {
		return ioTrouble(err)
	}
	if err := rep.writeOutDir(); err != nil {
		return ioTrouble(err)
	}
	if streamErr != nil {
		return usageErr("%v", streamErr)
	}
	return vf.verdict(sum, len(inputs)+streamed, c.String("variant"))
}
