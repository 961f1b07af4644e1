package main

import (
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/statediff"
)

// chainReadCommands are `tvx chain ls` and `tvx chain info`: what a chain
// CAR holds, for choosing what to extract or diff.
func chainReadCommands() []*cli.Command {
	carFlag := &cli.StringFlag{Name: "car", Usage: "chain CAR `FILE` (v1 or v2; a genesis CAR too)", Required: true}
	return []*cli.Command{{
		Name:  "ls",
		Usage: "list the tipsets of a chain CAR, newest first: height, tipset key, parent state root",
		Flags: []cli.Flag{carFlag,
			&cli.IntFlag{Name: "limit", Usage: "list at most N tipsets (0: all)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErr("chain ls: unexpected arguments %v", c.Args().Slice())
			}
			src, err := chain.OpenCAR(c.String("car"))
			if err != nil {
				return badInput(err)
			}
			defer src.Close()
			tss, err := chain.TipSets(c.Context, src, c.Int("limit"))
			if err != nil {
				return badInput(fmt.Errorf("chain CAR %s: %w", c.String("car"), err))
			}
			for _, ts := range tss {
				fmt.Fprintf(c.App.Writer, "%d\t%s\t%s\n", ts.Height(), ts.Key(), ts.ParentState())
			}
			return nil
		},
	}, {
		Name:  "info",
		Usage: "summarise a chain CAR: head, heights held, network (from its genesis), the head's state tree",
		Flags: []cli.Flag{carFlag,
			&cli.BoolFlag{Name: "actors", Usage: "also list the actors of the head's state tree"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErr("chain info: unexpected arguments %v", c.Args().Slice())
			}
			path := c.String("car")
			src, err := chain.OpenCAR(path)
			if err != nil {
				return badInput(err)
			}
			defer src.Close()
			if err := chainInfo(c, c.App.Writer, path, src); err != nil {
				return badInput(fmt.Errorf("chain CAR %s: %w", path, err))
			}
			return nil
		},
	}}
}

func chainInfo(c *cli.Context, w io.Writer, path string, src *chain.CARSource) error {
	tss, err := chain.TipSets(c.Context, src, 0)
	if err != nil {
		return err
	}
	head, low := tss[0], tss[len(tss)-1]
	fmt.Fprintf(w, "chain CAR:  %s\n", path)
	fmt.Fprintf(w, "head:       height %d, tipset %s\n", head.Height(), head.Key())
	fmt.Fprintf(w, "state root: %s\n", head.ParentState())
	fmt.Fprintf(w, "tipsets:    %d, heights %d..%d\n", len(tss), low.Height(), head.Height())
	if low.Height() == 0 {
		name := "unknown (not a genesis tvx knows)"
		if n, ok := chain.GenesisNetwork(low.Cids()[0]); ok {
			name = n
		}
		fmt.Fprintf(w, "genesis:    %s, network %s\n", low.Cids()[0], name)
	}
	version, actors, err := listActors(c.Context, chain.IPLDStore(src), head.ParentState())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "state tree: version %d, %d actor(s)\n", version, len(actors))
	if c.Bool("actors") {
		return writeActors(w, actors)
	}
	return nil
}

// writeActors prints one line per actor: ID (mainnet form), code, nonce,
// balance in attoFIL, state head, and the f4 address of an actor that has
// one.
func writeActors(w io.Writer, actors []listedActor) error {
	bundled, err := builtin.BundleCodes()
	if err != nil {
		return err
	}
	for _, a := range actors {
		line := fmt.Sprintf("%s\t%s\tnonce %d\tbalance %s\thead %s", mainnetForm(a.ID.String()), actorCodeName(a.Listed, bundled), a.Nonce, a.Balance, a.Head)
		if a.Delegated != address.Undef {
			line += "\tf4 " + mainnetForm(a.Delegated.String())
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// mainnetForm prints an address with the f prefix whatever go-address's
// process-wide setting, as statediff does.
func mainnetForm(s string) string {
	if len(s) > 1 && s[0] == 't' {
		return "f" + s[1:]
	}
	return s
}

// diffCAR is `tvx diff --car FILE ROOT...`: roots are resolved through the
// CAR (a header or tipset names its state); one root lists its actors.
func diffCAR(c *cli.Context, path string, args []string, opts []statediff.Option) error {
	// Any CAR will do (a vector's too), so its roots need not be a tipset.
	bs, err := carbs.OpenReadOnly(path)
	if err != nil {
		return badInput(fmt.Errorf("car file %s: %w", path, err))
	}
	defer bs.Close()
	src := chain.NewBlockSource(bs, func() *chain.TipSet { return nil })
	roots := make([]cid.Cid, len(args))
	for i, a := range args {
		if roots[i], err = chain.StateRootOf(c.Context, src, a); err != nil {
			return badInput(fmt.Errorf("car file %s: root %d: %w", path, i+1, err))
		}
	}
	if len(roots) == 1 {
		version, actors, err := listActors(c.Context, chain.IPLDStore(src), roots[0])
		if err != nil {
			return badInput(fmt.Errorf("car file %s: %w", path, err))
		}
		fmt.Fprintf(c.App.Writer, "state tree %s: version %d, %d actor(s)\n", roots[0], version, len(actors))
		return writeActors(c.App.Writer, actors)
	}
	if err := writeStateDiff(c.Context, c.App.Writer, bs, roots[0], roots[1], opts...); err != nil {
		if err == errDiffer {
			return err
		}
		return badInput(fmt.Errorf("car file %s: %w", path, err))
	}
	return nil
}
