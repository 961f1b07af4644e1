package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/conformance"
)

// reportCommand is `tvx report`: working with `tvx exec --json` outputs.
func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "combine tvx exec --json outputs",
		Subcommands: []*cli.Command{{
			Name:      "merge",
			Usage:     "combine the --json outputs of the shards of one run into one summary and verdict",
			ArgsUsage: "FILE...",
			Description: `Reads the --json output of each shard of a run split with tvx exec --shard K/N
(one file per shard; a run without --shard counts as shard 1/1), checks that
the files are shards 1 to N of one run, each exactly once, and that no vector
variant appears twice, then prints every failing result, the combined summary
line and (with --json) the combined summary object. Exit status: 0 when the
combined run is green, 1 when it is not, 3 when a shard is missing or
duplicated or a file is not a finished tvx exec --json output.`,
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "json", Usage: "print the combined summary object instead of the summary line"},
				&cli.BoolFlag{Name: "allow-empty", Usage: "accept a combined run in which nothing ran"},
			},
			Action: runReportMerge,
		}},
	}
}

// shardOutput is one file's parsed --json output.
type shardOutput struct {
	file    string
	results []conformance.Result
	summary *summaryObject
}

func readShardOutput(path string) (*shardOutput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(err)
	}
	defer f.Close()
	out := &shardOutput{file: path}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if out.summary != nil {
			return nil, badInput(fmt.Errorf("%s:%d: line after the summary object", path, n))
		}
		var probe struct {
			Summary *summaryObject `json:"summary"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			return nil, badInput(fmt.Errorf("%s:%d: not a tvx exec --json line: %v", path, n, err))
		}
		if probe.Summary != nil {
			out.summary = probe.Summary
			continue
		}
		var r conformance.Result
		if err := json.Unmarshal(line, &r); err != nil || r.Verdict == "" {
			return nil, badInput(fmt.Errorf("%s:%d: not a tvx exec --json result (no verdict)", path, n))
		}
		out.results = append(out.results, r)
	}
	if err := sc.Err(); err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	if out.summary == nil {
		return nil, badInput(fmt.Errorf("%s: no summary object: the run did not finish, or this is not tvx exec --json output", path))
	}
	return out, nil
}

// checkShards reports the first way outs are not exactly shards 1..N of
// one run.
func checkShards(outs []*shardOutput) error {
	n := 0
	byK := map[int]string{}
	for _, o := range outs {
		spec := o.summary.Shard
		if spec == "" {
			spec = "1/1"
		}
		sh, err := conformance.ParseShard(spec)
		if err != nil {
			return fmt.Errorf("%s: %v", o.file, err)
		}
		if n == 0 {
			n = sh.N
		} else if sh.N != n {
			return fmt.Errorf("%s is shard %s but %s is of %d shards: not one run", o.file, spec, outs[0].file, n)
		}
		if prev, dup := byK[sh.K]; dup {
			return fmt.Errorf("shard %d/%d given twice: %s and %s", sh.K, n, prev, o.file)
		}
		byK[sh.K] = o.file
		if o.summary.Expected != outs[0].summary.Expected || o.summary.Strict != outs[0].summary.Strict {
			return fmt.Errorf("%s and %s were judged differently (expected list %q strict %v vs %q strict %v)",
				outs[0].file, o.file, outs[0].summary.Expected, outs[0].summary.Strict, o.summary.Expected, o.summary.Strict)
		}
	}
	var missing []string
	for k := 1; k <= n; k++ {
		if _, ok := byK[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard(s) %s missing", strings.Join(missing, ", "))
	}
	return nil
}

func runReportMerge(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("report merge: give the --json output files of the shards")
	}
	var outs []*shardOutput
	for _, p := range c.Args().Slice() {
		o, err := readShardOutput(p)
		if err != nil {
			return err
		}
		outs = append(outs, o)
	}
	if err := checkShards(outs); err != nil {
		return badInput(fmt.Errorf("report merge: %w", err))
	}
	var totals conformance.Totals
	seen := map[string]string{}
	var failing []conformance.Result
	for _, o := range outs {
		for _, r := range o.results {
			id := r.Key + " " + r.Variant
			if r.Key == "" {
				id = r.File + " " + r.Variant
			}
			if prev, dup := seen[id]; dup {
				return badInput(fmt.Errorf("report merge: %s %s is in both %s and %s", r.File, r.Variant, prev, o.file))
			}
			seen[id] = o.file
			totals.Add(r)
			if r.Verdict.Failing() {
				failing = append(failing, r)
			}
		}
	}
	sort.SliceStable(failing, func(i, j int) bool { return failing[i].File < failing[j].File })
	for _, r := range failing {
		fmt.Fprint(c.App.Writer, textResult(r))
	}
	s0 := outs[0].summary
	obj := summaryObject{runInfo: runInfo{Expected: s0.Expected, Strict: s0.Strict}, Totals: totals, Verdict: "pass"}
	err := totals.Check(c.Bool("allow-empty"))
	if err != nil {
		obj.Verdict, obj.Problem = "fail", err.Error()
	}
	if c.Bool("json") {
		b, _ := json.Marshal(summaryLine{Summary: obj})
		fmt.Fprintf(c.App.Writer, "%s\n", b)
	} else {
		fmt.Fprintln(c.App.Writer, totals.String())
	}
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	return nil
}
