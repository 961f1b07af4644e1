// Package legacy puts tvx's pre-FVM VM (package vm) behind the driver's
// executor.Executor interface: it turns requests into machine
// configurations and results into receipts, and is the only place that
// does.
package legacy

import (
	"context"
	"fmt"
	"sync"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/trace"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/chaos"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// Executor runs messages and tipsets on tvx's pre-FVM VM. It is safe for
// concurrent use.
type Executor struct {
	newVerifier func() syscalls.ProofVerifier

	// The actor registries (with and without the chaos actor) are built
	// once, on first use, and only read afterwards.
	once               sync.Once
	builtin, withChaos *actors.Registry
	regErr             error
}

// Option configures an Executor.
type Option func(*Executor)

// WithProofVerifier makes every call verify SNARK proofs with a verifier
// returned by newVerifier (called once per call) instead of the default
// policy verifier. Results' AssumedProofs are filled in when the verifier
// has an AssumedValid() int64 method.
func WithProofVerifier(newVerifier func() syscalls.ProofVerifier) Option {
	return func(e *Executor) { e.newVerifier = newVerifier }
}

// New returns an Executor configured by opts.
func New(opts ...Option) *Executor {
	e := &Executor{}
	for _, o := range opts {
		o(e)
	}
	return e
}

var _ executor.Executor = (*Executor)(nil)

func (e *Executor) registry(chaosActor bool) (*actors.Registry, error) {
	e.once.Do(func() {
		reg, err := actors.NewBuiltinRegistry()
		if err != nil {
			e.regErr = fmt.Errorf("actor registry: %w", err)
			return
		}
		withChaos := reg.Clone()
		if err := withChaos.Register(0, true, chaos.Actor{}); err != nil {
			e.regErr = fmt.Errorf("register chaos actor: %w", err)
			return
		}
		e.builtin, e.withChaos = reg, withChaos
	})
	if e.regErr != nil {
		return nil, e.regErr
	}
	if chaosActor {
		return e.withChaos, nil
	}
	return e.builtin, nil
}

// config is the machine configuration of one call; the verifier is the
// call's own, so that its count is the call's.
func (e *Executor) config(p executor.Params, baseFee abi.TokenAmount) (vm.Config, error) {
	reg, err := e.registry(p.ChaosActor)
	if err != nil {
		return vm.Config{}, err
	}
	var verifier syscalls.ProofVerifier
	if e.newVerifier != nil {
		verifier = e.newVerifier()
	}
	if verifier == nil {
		verifier = syscalls.NewDefaultVerifier()
	}
	cfg := vm.Config{
		NetworkVersion: p.NetworkVersion,
		Protocol:       p.Protocol,
		OnChain:        p.OnChain,
		BaseFee:        baseFee,
		CircSupply:     p.CircSupply,
		Registry:       reg,
		Verifier:       verifier,
	}
	// Leave interface fields nil rather than holding typed nils.
	if p.Rand != nil {
		cfg.Rand = p.Rand
	}
	if p.Logger != nil {
		cfg.Logger = p.Logger
	}
	return cfg, nil
}

// assumedProofs is how many proofs cfg's verifier accepted by policy.
func assumedProofs(cfg vm.Config) int {
	if c, ok := cfg.Verifier.(interface{ AssumedValid() int64 }); ok {
		return int(c.AssumedValid())
	}
	return 0
}

// ApplyMessage implements executor.Executor.
func (e *Executor) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	msg, err := vm.DecodeMessage(req.Bytes)
	if err != nil {
		return nil, err
	}
	cfg, err := e.config(req.Params, req.BaseFee)
	if err != nil {
		return nil, err
	}
	cfg.Epoch, cfg.TraceGas = req.Epoch, req.TraceGas
	partial := func() *executor.MessageResult { return &executor.MessageResult{AssumedProofs: assumedProofs(cfg)} }
	m, err := vm.New(ctx, req.Store, req.Root, cfg)
	if err != nil {
		return partial(), fmt.Errorf("start VM: %w", err)
	}
	res, post, err := vm.ApplyOne(ctx, m, msg, "VM")
	if err != nil {
		return partial(), err
	}
	out := &executor.MessageResult{
		Receipt:       receipt(res),
		PostRoot:      post,
		Error:         res.Error,
		MinerTip:      res.Outputs.MinerTip,
		MinerPenalty:  res.Outputs.MinerPenalty,
		AssumedProofs: assumedProofs(cfg),
	}
	if req.TraceGas {
		out.Trace = ResultTrace(res)
	}
	return out, nil
}

// ApplyTipset implements executor.Executor.
func (e *Executor) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	ts, err := VMTipset(req)
	if err != nil {
		return nil, err
	}
	cfg, err := e.config(req.Params, req.BaseFee)
	if err != nil {
		return nil, err
	}
	res, err := vm.ApplyTipset(ctx, req.Store, ts, cfg)
	if err != nil {
		return &executor.TipsetResult{AssumedProofs: assumedProofs(cfg)}, err
	}
	return TipsetResult(res, assumedProofs(cfg)), nil
}

// TipsetResult is a VM tipset result in the executor's terms (shared by
// tvx's two VMs, which report tipsets in the VM's types).
func TipsetResult(res *vm.TipsetResult, assumedProofs int) *executor.TipsetResult {
	out := &executor.TipsetResult{
		PostRoot:      res.StateRoot,
		ReceiptsRoot:  res.ReceiptsRoot,
		Applied:       make([]executor.Applied, 0, len(res.Applied)),
		AssumedProofs: assumedProofs,
	}
	for _, a := range res.Applied {
		out.Applied = append(out.Applied, executor.Applied{
			Kind:         kinds[a.Kind],
			Epoch:        a.Epoch,
			Block:        a.Block,
			MessageCID:   a.Cid,
			Receipt:      receipt(a.Result),
			Error:        a.Result.Error,
			MinerTip:     orZero(a.Result.Outputs.MinerTip),
			MinerPenalty: orZero(a.Result.Outputs.MinerPenalty),
		})
	}
	return out
}

var kinds = map[vm.AppliedKind]executor.AppliedKind{
	vm.AppliedExplicit: executor.Explicit,
	vm.AppliedReward:   executor.Reward,
	vm.AppliedCron:     executor.Cron,
}

func orZero(a abi.TokenAmount) abi.TokenAmount {
	if a.Int == nil {
		return big.Zero()
	}
	return a
}

func receipt(r *vm.ApplyResult) executor.Receipt {
	return executor.Receipt{ExitCode: r.ExitCode, Return: r.Return, GasUsed: r.GasUsed}
}

// VMTipset turns a tipset request into the VM's form, filing each message
// in its block's BLS or secp256k1 list (tvx's FVM takes the same form).
func VMTipset(req *executor.Tipset) (vm.Tipset, error) {
	ts := vm.Tipset{ParentState: req.ParentRoot, ParentEpoch: req.ParentEpoch, Epoch: req.Epoch}
	ts.Blocks = make([]vm.TipsetBlock, 0, len(req.Blocks))
	for j, b := range req.Blocks {
		blk := vm.TipsetBlock{Miner: b.Miner, WinCount: b.WinCount}
		for k, raw := range b.Messages {
			bm, err := vm.DecodeBlockMessage(raw)
			if err != nil {
				return vm.Tipset{}, fmt.Errorf("blocks[%d].messages[%d]: %w", j, k, err)
			}
			// A sender of neither kind cannot have signed its message at
			// all; the reference runner files such a message in both
			// lists, where it runs once, at its place among the BLS
			// messages, so that is where it goes here.
			if bm.Message.From.Protocol() == address.SECP256K1 {
				blk.SecpMessages = append(blk.SecpMessages, bm)
			} else {
				blk.BLSMessages = append(blk.BLSMessages, bm)
			}
		}
		ts.Blocks = append(ts.Blocks, blk)
	}
	return ts, nil
}

// ResultTrace regroups a VM result's gas trace by call frame
// (trace.FromFrames); the FVM executor's results have the same shape.
func ResultTrace(res *vm.ApplyResult) *trace.ExecutionTrace {
	charges := make([]trace.FrameCharge, len(res.GasTrace))
	for i, c := range res.GasTrace {
		charges[i] = trace.FrameCharge{Frame: c.Frame, GasCharge: trace.GasCharge{
			Name: c.Name, TotalGas: c.Total(), ComputeGas: c.Compute, StorageGas: c.Storage,
		}}
	}
	return trace.FromFrames(res.FrameParents, charges)
}
