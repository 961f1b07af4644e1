package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/corpus"
)

// fallbackFlags are `tvx exec`'s flags for serving blocks a vector's CAR
// lacks from a chain source (a Lotus node, as Lotus's tvx does, or a chain
// CAR).
func fallbackFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "fallback-blockstore", Usage: "fetch blocks missing from a vector's CAR from a Lotus node (FULLNODE_API_INFO, --fallback-repo, LOTUS_PATH) or from --fallback-car"},
		&cli.StringFlag{Name: "fallback-car", Usage: "chain CAR to fetch missing blocks from (implies --fallback-blockstore)"},
		&cli.StringFlag{Name: "fallback-repo", Usage: "Lotus repo of the node to fetch missing blocks from (implies --fallback-blockstore)"},
		&cli.StringFlag{Name: "repo", Usage: "Lotus repo of the node --fallback-blockstore reads, as Lotus's tvx spells it (alone it changes nothing)"},
	}
}

// openFallback opens the fallback blockstore the flags ask for, or returns
// nil when they ask for none. Wrap the driver's corpus.Source with
// fb.Wrap, and report fb.Fetched() after the run; call cleanup when done.
func openFallback(c *cli.Context) (fb *corpus.Fallback, cleanup func(), err error) {
	carPath, repo := c.String("fallback-car"), c.String("fallback-repo")
	if !c.Bool("fallback-blockstore") && carPath == "" && repo == "" {
		return nil, func() {}, nil
	}
	if repo == "" {
		repo = c.String("repo")
	}
	var src chain.Source
	if carPath != "" {
		s, err := chain.OpenCAR(carPath)
		if err != nil {
			return nil, nil, badInput(fmt.Errorf("fallback blockstore: %w", err))
		}
		src = s
	} else {
		info, err := chain.FindAPIInfo(os.Getenv, repo)
		if err != nil {
			return nil, nil, usageErr("fallback blockstore: %w", err)
		}
		s, err := chain.Dial(c.Context, info)
		if err != nil {
			return nil, nil, ioTrouble(fmt.Errorf("fallback blockstore: %w", err))
		}
		src = s
	}
	return corpus.NewFallback(src), func() { src.Close() }, nil
}

// fallbackSummary is the report line about a run's fallback fetches.
func fallbackSummary(fb *corpus.Fallback) string {
	return fmt.Sprintf("%d blocks fetched from the chain source", fb.Fetched())
}
