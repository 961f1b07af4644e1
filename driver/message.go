package driver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/randomness"
	"github.com/tvx-project/tvx/driver/trace"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// execMessageClass applies the messages of a message-class vector one by
// one, each on the state the previous one left, and checks every receipt
// and the final state root.
func (d *Driver) execMessageClass(ctx context.Context, r *run) Outcome {
	v := r.vector
	params, err := runParams(r)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}
	if len(v.Post.Receipts) != len(v.ApplyMessages) {
		return Outcome{Status: Error, Reason: fmt.Sprintf("%s: postconditions.receipts: %d receipts for %d messages",
			v.Path, len(v.Post.Receipts), len(v.ApplyMessages))}
	}
	// Every message must decode before any runs: a malformed one makes the
	// vector malformed, not the run failed.
	for i, am := range v.ApplyMessages {
		if _, err := vm.DecodeMessage(am.Bytes); err != nil {
			return Outcome{Status: Error, Reason: fmt.Sprintf("%s: apply_messages[%d]: %v", v.Path, i, err)}
		}
	}
	traces := expectedTraces(r)
	baseFee := vm.DefaultBaseFee
	if v.Pre.BaseFee != nil {
		baseFee = big.NewFromGo(v.Pre.BaseFee)
	}

	var c checker
	root := v.Pre.StateTree.RootCID
	for i, am := range v.ApplyMessages {
		epoch := abi.ChainEpoch(r.variant.Epoch)
		if am.EpochOffset != nil {
			epoch += abi.ChainEpoch(*am.EpochOffset)
		}
		res, err := d.cfg.executor.ApplyMessage(ctx, &executor.Message{
			Params: params, Root: root, Epoch: epoch, BaseFee: baseFee, Bytes: am.Bytes, TraceGas: true,
		})
		if res != nil {
			c.assumed += res.AssumedProofs
		}
		if err != nil {
			return Outcome{Status: failStatus(err), Reason: fmt.Sprintf("message %d: %v", i, err), AssumedProofs: c.assumed}
		}
		root = res.PostRoot
		where := fmt.Sprintf("message %d", i)
		div := func() string { return firstGasDivergence(traces, i, res.Trace) }
		mm := c.receipt(where, v.Post.Receipts[i], res.Receipt, div)
		if g := &c.gas[len(c.gas)-1]; g.Expected != g.Actual {
			g.ByCharge = chargesByName(res.Trace)
		}
		c.add(mm...)
		if len(mm) > 0 && res.Error != "" {
			c.notes = append(c.notes, fmt.Sprintf("message %d actor error: %s", i, res.Error))
		}
	}
	return c.outcome(r, root)
}

// failStatus is the status of a run its executor returned err for: a
// broken executor leaves the run without a verdict.
func failStatus(err error) Status {
	if errors.Is(err, executor.ErrBroken) {
		return Error
	}
	return Fail
}

// runParams are the executor parameters of a run: the variant's network
// version, the vector's circulating supply (the total Filecoin supply when
// it gives none) and randomness, its chaos-actor selector, and the run's
// blocks and logger; the protocol table (mainnet's unless the driver was
// given one) and whether the vector comes from that table's network.
func runParams(r *run) (executor.Params, error) {
	v := r.vector
	rnd, err := randomness.New(v.Randomness, randomness.WithLogger(r.log))
	if err != nil {
		return executor.Params{}, fmt.Errorf("%s: randomness: %w", v.Path, err)
	}
	table := r.protocol
	if table == nil {
		table = protocol.Mainnet()
	}
	p := executor.Params{
		Store:          r.blocks,
		NetworkVersion: network.Version(r.variant.NetworkVersion),
		Protocol:       table,
		OnChain:        table.Describes(networks.Canonical(v.Network())),
		Network:        v.Network(),
		Policy:         r.policy,
		CircSupply:     vm.TotalFilecoin(),
		Rand:           rnd,
		ChaosActor:     v.ChaosActor(),
		Logger:         r.log,
	}
	if v.Pre.CircSupply != nil {
		p.CircSupply = big.NewFromGo(v.Pre.CircSupply)
	}
	return p, nil
}

// checker collects what a run finds while comparing results with the
// vector's postconditions.
type checker struct {
	mismatches []Mismatch
	notes      []string
	gas        []GasUse
	assumed    int
}

func (c *checker) add(ms ...Mismatch) { c.mismatches = append(c.mismatches, ms...) }

// receipt compares one receipt with the expected one, records its gas use
// and returns the mismatches (which the caller adds). divergence, called
// only when gas differs, localises the difference in the gas trace ("" when
// it cannot).
func (c *checker) receipt(where string, want *schema.Receipt, got executor.Receipt, divergence func() string) []Mismatch {
	gu := GasUse{Where: where, Expected: want.GasUsed, Actual: got.GasUsed}
	var out []Mismatch
	if int64(want.ExitCode) != int64(got.ExitCode) {
		out = append(out, valueMismatch(where, "exit code", fmt.Sprintf("%d", want.ExitCode), fmt.Sprintf("%d", got.ExitCode), "%s", ""))
	}
	if !bytes.Equal(want.ReturnValue, got.Return) {
		out = append(out, valueMismatch(where, "return", base64.StdEncoding.EncodeToString(want.ReturnValue),
			base64.StdEncoding.EncodeToString(got.Return), "%q", ""))
	}
	if want.GasUsed != got.GasUsed {
		if divergence != nil {
			gu.Divergence = divergence()
		}
		out = append(out, valueMismatch(where, "gas used", fmt.Sprintf("%d", want.GasUsed), fmt.Sprintf("%d", got.GasUsed), "%s", gu.Divergence))
	}
	c.gas = append(c.gas, gu)
	return out
}

// valueMismatch is a mismatch of two values, each written with verb in
// the line; note, if any, follows after a semicolon.
func valueMismatch(where, what, expected, actual, verb, note string) Mismatch {
	text := fmt.Sprintf("%s: expected "+verb+", got "+verb, what, expected, actual)
	if where != "" {
		text = where + ": " + text
	}
	if note != "" {
		text += "; " + note
	}
	return Mismatch{Where: where, What: what, Expected: expected, Actual: actual, Text: text}
}

// outcome finishes a run: it checks the final state root against the
// vector's and turns what was found into the outcome, the first mismatch
// as the reason.
func (c *checker) outcome(r *run, root cid.Cid) Outcome {
	if want := r.vector.Post.StateTree.RootCID; want != root {
		c.add(valueMismatch("", "post state root", want.String(), root.String(), "%s", ""))
	}
	out := Outcome{Status: Pass, ActualRoot: root, Gas: c.gas, AssumedProofs: c.assumed}
	if len(c.mismatches) > 0 {
		out.Status = Fail
		out.Reason = c.mismatches[0].Text
		if len(c.mismatches) > 1 {
			out.Reason += fmt.Sprintf(" (and %d more)", len(c.mismatches)-1)
		}
		out.Mismatches, out.Notes = c.mismatches, c.notes
	}
	return out
}

// expectedTraces decodes the vector's recorded execution traces, if any.
func expectedTraces(r *run) []*trace.ExecutionTrace {
	d := r.vector.Diagnostics
	if d == nil {
		return nil
	}
	ts, err := trace.Decode(d)
	if err != nil {
		r.log.Logf("%s: diagnostics unreadable, gas mismatches will not be localised: %v", r.vector.Path, err)
		return nil
	}
	return ts
}

// firstGasDivergence names the first billable charge where message i's gas
// trace differs from the recorded one ("" when there is nothing to compare).
func firstGasDivergence(traces []*trace.ExecutionTrace, i int, got *trace.ExecutionTrace) string {
	if got == nil {
		return ""
	}
	if i >= len(traces) || traces[i] == nil {
		// Nothing recorded to compare with (FVM-era extractions carry no
		// traces): say where the gas went, by charge name.
		return "gas by charge (none recorded to compare): " + gasByName(got)
	}
	want := trace.Billable(trace.Flatten(traces[i]))
	_, msg, diverged := trace.FirstDivergence(want, trace.Billable(trace.Flatten(got)))
	if !diverged {
		return "gas charges match the recorded trace"
	}
	return "first differing gas charge: " + msg
}
