package driver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/randomness"
	"github.com/tvx-project/tvx/driver/trace"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/chaos"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// execMessageClass applies the messages of a message-class vector one by
// one, each on the state the previous one left, and checks every receipt
// and the final state root.
func (d *Driver) execMessageClass(ctx context.Context, r *run) Outcome {
	v := r.vector
	env, err := d.newExecEnv(r)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}
	if len(v.Post.Receipts) != len(v.ApplyMessages) {
		return Outcome{Status: Error, Reason: fmt.Sprintf("%s: postconditions.receipts: %d receipts for %d messages",
			v.Path, len(v.Post.Receipts), len(v.ApplyMessages))}
	}
	traces := env.expectedTraces(r)

	root := v.Pre.StateTree.RootCID
	var mismatches []string
	var detail strings.Builder
	for i, am := range v.ApplyMessages {
		msg, err := vm.DecodeMessage(am.Bytes)
		if err != nil {
			return Outcome{Status: Error, Reason: fmt.Sprintf("%s: apply_messages[%d]: %v", v.Path, i, err)}
		}
		epoch := abi.ChainEpoch(r.variant.Epoch)
		if am.EpochOffset != nil {
			epoch += abi.ChainEpoch(*am.EpochOffset)
		}
		res, post, err := env.apply(ctx, r, root, epoch, msg)
		if err != nil {
			return Outcome{Status: Fail, Reason: fmt.Sprintf("message %d: %v", i, err), AssumedProofs: env.assumedProofs()}
		}
		root = post
		for _, mm := range compareReceipt(v.Post.Receipts[i], res) {
			line := fmt.Sprintf("message %d: %s", i, mm)
			if strings.HasPrefix(mm, "gas used") {
				if div := firstGasDivergence(traces, i, res); div != "" {
					line += "; " + div
				}
			}
			mismatches = append(mismatches, line)
			if res.Error != "" {
				fmt.Fprintf(&detail, "message %d actor error: %s\n", i, res.Error)
			}
		}
	}

	return env.outcome(r, root, mismatches, detail.String())
}

// execEnv is what every message and tipset of one run shares: the actor
// registry, the vector's randomness, the proof verifier and the economic
// parameters, so both vector classes configure the VM the same way.
type execEnv struct {
	registry *actors.Registry
	rand     *randomness.Source
	verifier syscalls.ProofVerifier
	baseFee  abi.TokenAmount
	circ     abi.TokenAmount
	nv       network.Version
	logger   vm.Logger
}

func (d *Driver) newExecEnv(r *run) (*execEnv, error) {
	v := r.vector
	reg, err := actors.NewBuiltinRegistry()
	if err != nil {
		return nil, fmt.Errorf("actor registry: %w", err)
	}
	if v.ChaosActor() {
		reg = reg.Clone()
		if err := reg.Register(0, true, chaos.Actor{}); err != nil {
			return nil, fmt.Errorf("register chaos actor: %w", err)
		}
	}
	rnd, err := randomness.New(v.Randomness, randomness.WithLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("%s: randomness: %w", v.Path, err)
	}
	env := &execEnv{
		registry: reg,
		rand:     rnd,
		baseFee:  vm.DefaultBaseFee,
		circ:     vm.TotalFilecoin(),
		nv:       network.Version(r.variant.NetworkVersion),
		logger:   r.log,
	}
	if d.cfg.newVerifier != nil {
		env.verifier = d.cfg.newVerifier()
	}
	if env.verifier == nil {
		env.verifier = syscalls.NewDefaultVerifier()
	}
	if v.Pre.BaseFee != nil {
		env.baseFee = big.NewFromGo(v.Pre.BaseFee)
	}
	if v.Pre.CircSupply != nil {
		env.circ = big.NewFromGo(v.Pre.CircSupply)
	}
	return env, nil
}

// assumedProofs is how many proofs the run's verifier accepted by policy.
func (e *execEnv) assumedProofs() int {
	if c, ok := e.verifier.(interface{ AssumedValid() int64 }); ok {
		return int(c.AssumedValid())
	}
	return 0
}

// vmConfig is the machine configuration of the run at the given base fee;
// callers add what is particular to them (epoch, gas tracing).
func (e *execEnv) vmConfig(baseFee abi.TokenAmount) vm.Config {
	return vm.Config{
		NetworkVersion: e.nv,
		BaseFee:        baseFee,
		CircSupply:     e.circ,
		Rand:           e.rand,
		Registry:       e.registry,
		Verifier:       e.verifier,
		Logger:         e.logger,
	}
}

// outcome finishes a run: it records the final state root for the frame's
// statediff (WithStateDiff), checks it against the vector's, and turns the
// mismatches found into the outcome, the first as the reason and all of
// them, followed by detail, as the detail.
func (e *execEnv) outcome(r *run, root cid.Cid, mismatches []string, detail string) Outcome {
	r.actualRoot = root
	if want := r.vector.Post.StateTree.RootCID; want != root {
		mismatches = append(mismatches, fmt.Sprintf("post state root: expected %s, got %s", want, root))
	}
	out := Outcome{Status: Pass, AssumedProofs: e.assumedProofs()}
	if len(mismatches) > 0 {
		out.Status = Fail
		out.Reason = mismatches[0]
		if len(mismatches) > 1 {
			out.Reason += fmt.Sprintf(" (and %d more)", len(mismatches)-1)
		}
		out.Detail = strings.Join(mismatches, "\n") + "\n" + detail
	}
	return out
}

// apply runs one message in a fresh machine on root and returns its result
// and the flushed post-state root.
func (e *execEnv) apply(ctx context.Context, r *run, root cid.Cid, epoch abi.ChainEpoch, msg *vm.Message) (*vm.ApplyResult, cid.Cid, error) {
	cfg := e.vmConfig(e.baseFee)
	cfg.Epoch, cfg.TraceGas = epoch, true
	m, err := vm.New(ctx, r.blocks, root, cfg)
	if err != nil {
		return nil, cid.Undef, fmt.Errorf("start VM: %w", err)
	}
	n, err := msg.ChainLength()
	if err != nil {
		return nil, cid.Undef, fmt.Errorf("encode message: %w", err)
	}
	res, err := m.ApplyMessage(ctx, msg, n)
	if err != nil {
		if errors.Is(err, vm.ErrFatal) {
			return nil, cid.Undef, fmt.Errorf("VM failure: %w", err)
		}
		return nil, cid.Undef, fmt.Errorf("message not applicable: %w", err)
	}
	post, err := m.Flush(ctx)
	if err != nil {
		return nil, cid.Undef, fmt.Errorf("flush state: %w", err)
	}
	return res, post, nil
}

// compareReceipt lists every way res differs from the expected receipt.
func compareReceipt(want *schema.Receipt, res *vm.ApplyResult) []string {
	var out []string
	if int64(want.ExitCode) != int64(res.ExitCode) {
		out = append(out, fmt.Sprintf("exit code: expected %d, got %d", want.ExitCode, res.ExitCode))
	}
	if !bytes.Equal(want.ReturnValue, res.Return) {
		out = append(out, fmt.Sprintf("return: expected %q, got %q",
			base64.StdEncoding.EncodeToString(want.ReturnValue), base64.StdEncoding.EncodeToString(res.Return)))
	}
	if want.GasUsed != res.GasUsed {
		out = append(out, fmt.Sprintf("gas used: expected %d, got %d", want.GasUsed, res.GasUsed))
	}
	return out
}

// expectedTraces decodes the vector's recorded execution traces, if any.
func (e *execEnv) expectedTraces(r *run) []*trace.ExecutionTrace {
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
func firstGasDivergence(traces []*trace.ExecutionTrace, i int, res *vm.ApplyResult) string {
	if i >= len(traces) || traces[i] == nil {
		return ""
	}
	want := trace.Billable(trace.Flatten(traces[i]))
	got := trace.Billable(trace.Flatten(resultTrace(res)))
	_, msg, diverged := trace.FirstDivergence(want, got)
	if !diverged {
		return "gas charges match the recorded trace"
	}
	return "first differing gas charge: " + msg
}

// resultTrace regroups a result's gas trace by call frame, the shape of a
// Lotus execution trace, so it can be flattened and compared with one.
func resultTrace(res *vm.ApplyResult) *trace.ExecutionTrace {
	if len(res.FrameParents) == 0 {
		return &trace.ExecutionTrace{}
	}
	// Build frames bottom-up: children are attached after all their own
	// charges and subcalls are in place, since ExecutionTrace stores
	// subcalls by value.
	nodes := make([]trace.ExecutionTrace, len(res.FrameParents))
	for _, c := range res.GasTrace {
		if c.Frame < 0 || c.Frame >= len(nodes) {
			continue
		}
		nodes[c.Frame].GasCharges = append(nodes[c.Frame].GasCharges, trace.GasCharge{
			Name:       c.Name,
			TotalGas:   c.Total(),
			ComputeGas: c.Compute,
			StorageGas: c.Storage,
		})
	}
	children := make([][]int, len(nodes))
	for f, p := range res.FrameParents {
		if p >= 0 && p < len(nodes) {
			children[p] = append(children[p], f)
		}
	}
	var build func(f int) trace.ExecutionTrace
	build = func(f int) trace.ExecutionTrace {
		n := nodes[f]
		for _, c := range children[f] {
			n.Subcalls = append(n.Subcalls, build(c))
		}
		return n
	}
	top := build(0)
	return &top
}
