package main

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// simulateCommand is `tvx simulate`, Lotus's tvx simulate: a vector of a
// message no chain carried, run on the state a tipset starts from.
func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "make a vector of a raw message run on top of a tipset of a chain (a Lotus node or a chain CAR)",
		Description: `Applies the message (--msg, base64 CBOR of an unsigned message, as Lotus's
tvx simulate takes it) on tvx's VM to the parent state of the tipset at
--at-epoch (default: the head), with that tipset's epoch, base fee and
randomness, reports the receipt on stderr and writes the vector to --out
(stdout when absent). No chain recorded a receipt, so the vector's
postconditions are the run's own. --statediff prints the diff of the
pre-state and post-state on stderr.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "msg", Required: true, Usage: "base64 CBOR-encoded message"},
			&cli.Int64Flag{Name: "at-epoch", Usage: "height of the tipset to run the message on top of (0: the head)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "file to write the vector to (stdout when absent)"},
			&cli.BoolFlag{Name: "statediff", Usage: "print the diff of the pre- and post-state on stderr"},
			&cli.StringFlag{Name: "id", Usage: "identifier to name the vector with (default: simulated-<message CID>)"},
			&cli.BoolFlag{Name: "no-self-check", Usage: "do not run the vector through tvx's runner before writing it"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print diagnostics on stderr"},
		}, chainSourceFlags()...),
		Action: runSimulate,
	}
}

func runSimulate(c *cli.Context) error {
	raw, err := base64.StdEncoding.DecodeString(c.String("msg"))
	if err != nil {
		return usageErr("--msg: not base64: %v", err)
	}
	msg, err := vm.DecodeMessage(raw)
	if err != nil {
		return badInput(fmt.Errorf("--msg: %w", err))
	}
	if c.Int64("at-epoch") < 0 {
		return usageErr("--at-epoch %d: want a non-negative height", c.Int64("at-epoch"))
	}
	src, label, err := openChainSource(c)
	if err != nil {
		return err
	}
	defer src.Close()
	e := extract.New(src, extractorOptions(c, "simulate")...)
	res, err := e.Simulate(c.Context, extract.SimulateRequest{Message: msg, Height: abi.ChainEpoch(c.Int64("at-epoch")), ID: c.String("id")})
	if err != nil {
		return extractErr(err)
	}
	v := res.Vector
	r := v.Post.Receipts[0]
	fmt.Fprintf(c.App.ErrWriter, "simulated on %s at %d (%s): exit code %d, gas used %d\n", label, res.Tipset.Height(), res.Tipset.Key(), r.ExitCode, r.GasUsed)
	if err := writeVectorOut(c, c.String("out"), v); err != nil {
		return err
	}
	if c.Bool("statediff") {
		bs, err := vectorBlocks(v)
		if err != nil {
			return err
		}
		defer bs.Close()
		if err := writeStateDiff(c.Context, c.App.ErrWriter, bs, v.Pre.StateTree.RootCID, v.Post.StateTree.RootCID); err != nil && err != errDiffer {
			return err
		}
	}
	return nil
}

// vectorBlocks opens a vector's CAR as a block store.
func vectorBlocks(v *schema.Vector) (*carbs.ReadOnly, error) {
	car, err := v.CARv1(0)
	if err != nil {
		return nil, badInput(err)
	}
	bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
	if err != nil {
		return nil, badInput(fmt.Errorf("vector %s: field car: %w", v.Path, err))
	}
	return bs, nil
}
