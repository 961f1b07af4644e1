package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/conformance"
	"github.com/tvx-project/tvx/internal/fault"
)

// verdictFlags are tvx exec's flags for judging a run: the expected-failures
// list, strictness, empty runs, sharding, and the Lotus spellings of output
// options.
func verdictFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "expected", Usage: "expected-failures list to hold results against (default: the list shipped with tvx, which covers the public corpora wherever they are copied; \"none\": no list)"},
		&cli.BoolFlag{Name: "strict", Usage: "count listed failures as failures too"},
		&cli.BoolFlag{Name: "allow-empty", Usage: "exit 0 when nothing ran (no vector, no variant matching --variant or --shard, all skipped)"},
		&cli.StringFlag{Name: "shard", Usage: "run only shard K/N (1 <= K <= N) of the vector variants: a deterministic split, the same on every machine"},
		&cli.StringFlag{Name: "out", Usage: "directory to write one <vector file name>.out per vector with its results, as Lotus's tvx does"},
		&cli.StringSliceFlag{Name: "driver-opt", Usage: "Lotus's tvx driver options: save-balances=PATH (the same as --callback save-balances=PATH)"},
	}
}

// verdictOpts is what the verdict flags ask for.
type verdictOpts struct {
	expected   *conformance.Expected
	strict     bool
	allowEmpty bool
	shard      conformance.Shard
	outDir     string
	callbacks  []string
}

func parseVerdictFlags(c *cli.Context) (*verdictOpts, error) {
	vf := &verdictOpts{strict: c.Bool("strict"), allowEmpty: c.Bool("allow-empty"), outDir: c.String("out")}
	switch name := c.String("expected"); name {
	case "":
		vf.expected = conformance.Shipped()
	case "none":
		vf.expected = &conformance.Expected{Name: "none"}
	default:
		x, err := conformance.ReadExpected(name)
		if err != nil {
			return nil, usageErr("--expected: %v", err)
		}
		vf.expected = x
	}
	if s := c.String("shard"); s != "" {
		sh, err := conformance.ParseShard(s)
		if err != nil {
			return nil, usageErr("--shard: %v", err)
		}
		vf.shard = sh
	}
	for _, opt := range c.StringSlice("driver-opt") {
		name, path, _ := strings.Cut(opt, "=")
		switch strings.TrimSpace(name) {
		case "save-balances":
			vf.callbacks = append(vf.callbacks, "save-balances="+path)
		default:
			return nil, usageErr("--driver-opt %q: supported: save-balances=PATH", opt)
		}
	}
	return vf, nil
}

// summary is the run's description for the --json summary object.
func (vf *verdictOpts) summary() runInfo {
	return runInfo{Expected: vf.expected.Name, Strict: vf.strict, Shard: vf.shard.String()}
}

// verdict turns the totals into the command's exit: nil when the run is
// green, else exit status 1 with the reason.
func (vf *verdictOpts) verdict(t conformance.Totals, inputs int, variant string) error {
	err := t.Check(vf.allowEmpty)
	if err == nil {
		return nil
	}
	if t.Ran() == 0 && t.Failed+t.Errors+t.Fixed == 0 {
		var why []string
		switch {
		case inputs == 0:
			why = append(why, "no vector files found")
		case variant != "" && t.Skipped == 0:
			why = append(why, fmt.Sprintf("no vector has variant %q", variant))
		}
		if !vf.shard.All() && t.Skipped == 0 {
			why = append(why, fmt.Sprintf("shard %s selected no variant", vf.shard))
		}
		if len(why) > 0 {
			err = fmt.Errorf("%v (%s)", err, strings.Join(why, "; "))
		}
	}
	if t.Errors > 0 {
		// Input that could not run outranks a failure: see exitStatuses.
		return failAs(fault.BadInput, err)
	}
	return verdictFailed(err)
}

// relTo is file's path below the directory named on the command line, or
// its base name for a named file.
func relTo(arg, file string, isDir bool) string {
	if !isDir {
		return filepath.Base(file)
	}
	rel, err := filepath.Rel(arg, file)
	if err != nil {
		return file
	}
	return filepath.ToSlash(rel)
}
