package main

import (
	"bytes"
	"fmt"
	"os"

	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/fault"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/statediff"
)

// diffCommand is `tvx diff`: a decoded diff of two state roots, or of a
// vector's pre- and expected post-state, or extraction of reports from a log.
func diffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "show what differs between two state trees",
		UsageText: "tvx diff --car FILE ROOT_A ROOT_B\n" +
			"tvx diff --car FILE ROOT\n" +
			"tvx diff --vector FILE\n" +
			"tvx diff --extract DIR < LOG",
		Description: "Walks both state trees and prints actors added, removed and changed, with\n" +
			"field-level differences of their decoded state (HAMT and AMT entries included).\n" +
			"Subtrees with equal CIDs are not read. Blocks missing from the CAR are reported\n" +
			"and the rest of the diff is still printed. A ROOT is a state root, a block\n" +
			"header CID or a tipset key ({CID,CID}), the last two naming the state their\n" +
			"header commits to; with one ROOT the actors of that tree are listed.\n\n" +
			"--vector runs the vector (its first variant, or --variant) on tvx's VM and prints\n" +
			"the three-way diff of expected vs actual (A), initial vs actual (B) and initial vs\n" +
			"expected (C); with --pre it diffs the pre-state against the expected post-state.\n" +
			"--extract reads a log on stdin and writes each STATEDIFF report found in it to\n" +
			"DIR/statediff-NNNN.txt.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "car", Usage: "CARv1 or CARv2 `FILE` holding both state trees"},
			&cli.StringFlag{Name: "vector", Usage: "vector `FILE`: run it and diff its expected post-state against the actual one"},
			&cli.StringFlag{Name: "extract", Usage: "write each STATEDIFF report read from stdin to its own file in `DIR`"},
			&cli.StringFlag{Name: "variant", Usage: "with --vector: the variant to run (default: the first)"},
			&cli.BoolFlag{Name: "pre", Usage: "with --vector: diff the pre-state against the expected post-state instead of running the vector"},
			&cli.BoolFlag{Name: "color", Usage: "colour the diff (default: only when stdout is a terminal)"},
		},
		Action: diffExit(runDiff),
	}
}

func runDiff(c *cli.Context) error {
	modes := 0
	for _, f := range []string{"car", "vector", "extract"} {
		if c.IsSet(f) {
			modes++
		}
	}
	if modes != 1 {
		return usageErr("diff: give exactly one of --car, --vector or --extract")
	}
	var opts []statediff.Option
	if useColor(c) {
		opts = append(opts, statediff.WithColor(true))
	}
	switch {
	case c.IsSet("extract"):
		if c.NArg() != 0 {
			return usageErr("diff --extract: unexpected arguments %v (the log is read from stdin)", c.Args().Slice())
		}
		dir := c.String("extract")
		paths, err := statediff.Extract(c.App.Reader, dir)
		for _, p := range paths {
			fmt.Fprintln(c.App.Writer, p)
		}
		if err != nil {
			return failAs(fault.BadInput, err)
		}
		return nil

	case c.IsSet("car"):
		if c.NArg() != 1 && c.NArg() != 2 {
			return usageErr("diff --car FILE: want ROOT_A ROOT_B (or one ROOT to list its actors), got %d argument(s)", c.NArg())
		}
		return diffCAR(c, c.String("car"), c.Args().Slice(), opts)

	default: // --vector
		if c.NArg() != 0 {
			return usageErr("diff --vector FILE: unexpected arguments %v", c.Args().Slice())
		}
		path := c.String("vector")
		v, err := schema.LoadFile(path)
		if err != nil {
			return badInput(err)
		}
		if c.Bool("pre") {
			return diffPreExpected(c, v, opts)
		}
		variant := v.Pre.Variants[0]
		if id := c.String("variant"); id != "" {
			vr, ok := v.Variant(id)
			if !ok {
				return usageErr("diff --vector %s: no variant %q", path, id)
			}
			variant = vr
		}
		d := driver.New(driver.WithStateDiff(true, useColor(c)), driver.WithIncludeIncorrect(true))
		o := d.Run(c.Context, v, variant)
		switch {
		case o.Status == driver.Error:
			return badInput(fmt.Errorf("%s", o.Reason))
		case o.StateDiff != "":
			fmt.Fprint(c.App.Writer, o.StateDiff)
			return errDiffer
		default:
			fmt.Fprintf(c.App.Writer, "%s %s: the post-state root tvx computes is the expected one: no state differences\n", path, variant.ID)
		}
		return nil
	}
}

// diffPreExpected prints the difference between a vector's pre-state and its
// expected post-state, without running it.
func diffPreExpected(c *cli.Context, v *schema.Vector, opts []statediff.Option) error {
	path := v.Path
	car, err := v.CARv1(0)
	if err != nil {
		return badInput(err)
	}
	bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
	if err != nil {
		return badInput(fmt.Errorf("vector %s: field car: %w", path, err))
	}
	defer bs.Close()
	if err := writeStateDiff(c.Context, c.App.Writer, bs, v.Pre.StateTree.RootCID, v.Post.StateTree.RootCID, opts...); err != nil {
		if err == errDiffer {
			return err
		}
		return badInput(fmt.Errorf("vector %s: %w", path, err))
	}
	return nil
}

// useColor honours an explicit --color / --color=false, and otherwise
// colours only output going straight to a terminal.
func useColor(c *cli.Context) bool {
	if c.IsSet("color") {
		return c.Bool("color")
	}
	f, ok := c.App.Writer.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
