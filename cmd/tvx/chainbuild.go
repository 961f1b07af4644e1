package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/schema"
)

func chainCommand() *cli.Command {
	return &cli.Command{
		Name:  "chain",
		Usage: "make and read chain data",
		Subcommands: append([]*cli.Command{{
			Name:      "build",
			Usage:     "run a tipset vector on tvx's VM and write the chain it forms as a chain CAR",
			ArgsUsage: "VECTOR",
			Description: `Runs the tipsets of one variant of a tipset vector (heights: the variant's
epoch plus each epoch_offset, skipped heights being null rounds) and writes
the resulting chain as a chain CAR: block headers with their parents, parent
state roots, message and receipt roots, base fees, tickets and beacon
entries, the messages, the receipts and every state the run produced. The
CAR's roots are a final tipset whose header commits to the last tipset's
results, so 'tvx extract --car' can check every tipset of the vector.

The chain's randomness comes from its own tickets (deterministic per
height), not from the vector's records; a vector that draws randomness may
end elsewhere than its postconditions. Any difference from the vector's
postconditions is listed and makes the exit status 1 (the CAR is written
only with --allow-divergence).`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "variant", Usage: "variant to run (default: the vector's first)"},
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "chain CAR to write (required)"},
				&cli.BoolFlag{Name: "v2", Usage: "write an indexed CARv2 instead of a CARv1"},
				&cli.BoolFlag{Name: "allow-divergence", Usage: "write the chain even if it does not reproduce the vector's postconditions"},
			},
			Action: runChainBuild,
		}}, chainReadCommands()...),
	}
}

func runChainBuild(c *cli.Context) error {
	args, err := interspersedFlags(c)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageErr("chain build takes one VECTOR file")
	}
	if c.String("out") == "" {
		return usageErr("chain build needs --out FILE")
	}
	v, err := schema.LoadFile(args[0])
	if err != nil {
		return badInput(err)
	}
	variant := v.Pre.Variants[0]
	if id := c.String("variant"); id != "" {
		var ok bool
		if variant, ok = v.Variant(id); !ok {
			return usageErr("%s has no variant %q", v.Path, id)
		}
	}
	built, err := chainbuild.Build(c.Context, v, variant)
	if err != nil {
		return badInput(err)
	}
	for _, w := range built.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "tvx: warning: %s\n", w)
	}
	for _, m := range built.Mismatches {
		fmt.Fprintf(c.App.ErrWriter, "tvx: differs from the vector: %s\n", m)
	}
	if len(built.Mismatches) > 0 && !c.Bool("allow-divergence") {
		return verdictFailed(fmt.Errorf("the chain does not reproduce %s (variant %s); nothing written", v.Path, variant.ID))
	}
	var buf bytes.Buffer
	write := chain.WriteCAR
	if c.Bool("v2") {
		write = chain.WriteCARv2
	}
	if err := write(&buf, built.Head.Cids(), built.Blocks()); err != nil {
		return badInput(err)
	}
	out := c.String("out")
	if err := atomicfile.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return ioTrouble(err)
	}
	first, last := built.Tipsets[0], built.Tipsets[len(built.Tipsets)-1]
	fmt.Fprintf(c.App.ErrWriter, "wrote %s: %d tipset(s) of %s at heights %d..%d (network version %d), head %d %s, %d blocks\n",
		out, len(built.Tipsets), variant.ID, first.Height(), last.Height(), built.NetworkVersion, built.Head.Height(), built.Head.Key(), len(built.Blocks()))
	return nil
}

// interspersedFlags lets flags follow positional arguments, as in
// "tvx chain build VECTOR --out chain.car": urfave/cli stops parsing flags
// at the first argument, so the rest are parsed here with the command's
// own flag definitions and set on its context. It returns the positional
// arguments.
func interspersedFlags(c *cli.Context) ([]string, error) {
	var pos []string
	rest := c.Args().Slice()
	for len(rest) > 0 {
		if !strings.HasPrefix(rest[0], "-") || rest[0] == "-" {
			pos = append(pos, rest[0])
			rest = rest[1:]
			continue
		}
		fs := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		for _, f := range c.Command.Flags {
			if err := f.Apply(fs); err != nil {
				return nil, err
			}
		}
		if err := fs.Parse(rest); err != nil {
			return nil, usageErr("%v", err)
		}
		var setErr error
		fs.Visit(func(f *flag.Flag) {
			if err := c.Set(f.Name, f.Value.String()); err != nil && setErr == nil {
				setErr = usageErr("--%s: %v", f.Name, err)
			}
		})
		if setErr != nil {
			return nil, setErr
		}
		rest = fs.Args()
	}
	return pos, nil
}
