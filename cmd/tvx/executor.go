package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/executor/process"
)

// executorFlags select the implementation `tvx exec` runs vectors on.
func executorFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "executor", Usage: "run vectors on the program `CMD` (with its arguments, space-separated) speaking the executor protocol (docs/executor-protocol.md) instead of tvx's VM"},
		&cli.DurationFlag{Name: "executor-timeout", Value: process.DefaultTimeout, Usage: "with --executor: longest one request may take before the executor is killed (and restarted for the next)"},
	}
}

// executorFromFlags returns the driver option selecting --executor's
// program, if any, and the function that stops it.
func executorFromFlags(c *cli.Context) ([]driver.Option, func(), error) {
	cmdline := c.String("executor")
	if cmdline == "" {
		return nil, func() {}, nil
	}
	cl, err := process.NewClient(cmdline, process.WithTimeout(c.Duration("executor-timeout")), process.WithStderr(c.App.ErrWriter))
	if err != nil {
		return nil, nil, usageErr("--executor: %v", err)
	}
	return []driver.Option{driver.WithExecutor(cl)}, func() { cl.Close() }, nil
}

// extractExecutor is the --executor program extraction replays on (nil:
// tvx's VMs). The process ends with tvx, when its stdin closes.
func extractExecutor(c *cli.Context) executor.Executor {
	cmdline := c.String("executor")
	if cmdline == "" {
		return nil
	}
	cl, err := process.NewClient(cmdline, process.WithTimeout(c.Duration("executor-timeout")), process.WithStderr(c.App.ErrWriter))
	if err != nil {
		return nil // unreachable: cmdline is not empty
	}
	return cl
}

func executorCommand() *cli.Command {
	return &cli.Command{
		Name:  "executor",
		Usage: "serve tvx's VM over the executor protocol, or check another implementation's protocol handling",
		Subcommands: []*cli.Command{
			{
				Name:  "serve",
				Usage: "answer executor-protocol requests on stdin/stdout with tvx's VM",
				Description: `Reads newline-delimited protocol requests on stdin and writes the answers on
stdout (docs/executor-protocol.md), until stdin ends. It is the reference
implementation of the protocol: tvx exec --executor 'tvx executor serve' runs
the corpus through the protocol on tvx's own VM.`,
				Action: func(c *cli.Context) error {
					return process.Serve(c.Context, c.App.Reader, c.App.Writer, driver.DefaultExecutor(), "tvx")
				},
			},
			{
				Name:      "check",
				Usage:     "exercise an executor's protocol handling and say what it got wrong",
				ArgsUsage: "CMD [VECTOR...]",
				Description: `Starts CMD (a program and its arguments, space-separated, as one argument)
and checks its handshake, its answers to a malformed request and to a state
root whose blocks tvx does not have, that it waits for a slow answer from
tvx, and that it runs the given vectors (files or directories; at most
--max variants) to the same receipts and roots as tvx's VM. Each check
prints ok or FAIL with what was wrong; protocol mistakes are listed apart
from differences in execution results.`,
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "max", Value: 5, Usage: "vector variants to run at most"},
					&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "longest one request may take"},
				},
				Action: runExecutorCheck,
			},
		},
	}
}

func runExecutorCheck(c *cli.Context) error {
	if c.NArg() < 1 {
		return usageErr("executor check: want CMD [VECTOR...]")
	}
	rep, err := process.Check(c.Context, c.Args().First(), c.Args().Tail(), process.CheckOptions{
		MaxRuns: c.Int("max"), Timeout: c.Duration("timeout"), Stderr: c.App.ErrWriter,
	})
	if err != nil {
		return usageErr("executor check: %v", err)
	}
	for _, l := range rep.Lines {
		fmt.Fprintln(c.App.Writer, l)
	}
	fmt.Fprintf(c.App.Writer, "%d protocol checks failed, %d of %d runs differ from tvx's VM\n", rep.ProtocolFailures, rep.Differences, rep.Runs)
	if rep.ProtocolFailures > 0 || rep.Differences > 0 {
		return silentFailure(exitFailed)
	}
	return nil
}
