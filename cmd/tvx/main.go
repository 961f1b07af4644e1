// Command tvx makes and runs Filecoin conformance test vectors.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/networks"
)

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "tvx",
		Usage:     "make and run Filecoin conformance test vectors",
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			execCommand(),
			diffCommand(),
			corpusCommand(),
			extractCommand(),
			extractManyCommand(),
			chainCommand(),
			reportCommand(),
			simulateCommand(),
			executorCommand(),
			migrateCommand(),
		},
		// Errors are printed by run, once, with the right exit status.
		ExitErrHandler: func(*cli.Context, error) {},
		// Addresses print as the network's nodes print them: mainnet's
		// form unless a command learns the chain is another network's.
		Before: func(*cli.Context) error {
			useAddressPrefix(networks.Mainnet)
			return nil
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErr("%v", err)
		},
	}
}

// run executes tvx with args and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	withUsageLines(app.Commands, app.Name)
	markActions(app.Commands)
	err := app.Run(flagsFirst(app, args))
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		fmt.Fprintf(stderr, "tvx: %v\n", err)
	}
	return exitStatus(err)
}

func main() {
	setGC()
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
