// Package fvmexec puts tvx's FVM (package fvm) behind the driver's
// executor.Executor interface for network versions 16 and later: it turns
// requests into machine configurations and results into receipts and gas
// traces, and is the only place that does.
package fvmexec

import (
	"context"
	"fmt"
	"sync"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/wasmhost"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// Executor runs messages on the FVM. It is safe for concurrent use: the
// bundle set is shared, everything else is per call.
type Executor struct {
	bundles     *bundle.Set
	engine      fvm.Engine
	newVerifier func() syscalls.ProofVerifier

	// engines are the Wasm engines per gas era, made on first use
	// when no engine was given.
	mu      sync.Mutex
	engines map[string]fvm.Engine
}

// Option configures an Executor.
type Option func(*Executor)

// WithEngine sets the Wasm engine actor code runs on, for every network
// version (default: fvm/wasmhost's engine of each version, made on first
// use, with the on-disk compilation cache).
func WithEngine(e fvm.Engine) Option { return func(x *Executor) { x.engine = e } }

// WithProofVerifier makes every call verify proofs with a verifier from
// newVerifier (called once per call) instead of the default policy one.
func WithProofVerifier(newVerifier func() syscalls.ProofVerifier) Option {
	return func(x *Executor) { x.newVerifier = newVerifier }
}

// New returns an Executor configured by opts.
func New(opts ...Option) *Executor {
	x := &Executor{bundles: bundle.NewSet(), engines: map[string]fvm.Engine{}}
	for _, o := range opts {
		o(x)
	}
	return x
}

var _ executor.Executor = (*Executor)(nil)

// config is the machine configuration of a request's parameters at epoch,
// with the proof verifier it uses (one per call).
func (x *Executor) config(ctx context.Context, p executor.Params, epoch abi.ChainEpoch, baseFee abi.TokenAmount, traceGas bool) (fvm.Config, syscalls.ProofVerifier, error) {
	table := p.Protocol
	if table == nil {
		table = protocol.Mainnet()
	}
	up, ok := table.Activation(p.NetworkVersion)
	if !ok {
		return fvm.Config{}, nil, fmt.Errorf("network version %d is not supported (%s knows 0..%d)", p.NetworkVersion, table.Network(), table.MaxVersion())
	}
	era := priceEra(table, up)
	eng, err := x.engineFor(ctx, era)
	if err != nil {
		return fvm.Config{}, nil, err
	}
	var verifier syscalls.ProofVerifier
	if x.newVerifier != nil {
		verifier = x.newVerifier()
	}
	if verifier == nil {
		verifier = syscalls.NewDefaultVerifier()
	}
	cfg := fvm.Config{
		NetworkVersion: uint(p.NetworkVersion),
		ActorsVersion:  int(up.ActorsVersion),
		PriceEra:       era,
		Epoch:          epoch,
		BaseFee:        baseFee,
		CircSupply:     p.CircSupply,
		Verifier:       verifier,
		Bundles:        x.bundles,
		Engine:         eng,
		TraceGas:       traceGas,
	}
	if p.Rand != nil {
		cfg.Rand = p.Rand
	}
	if p.Logger != nil {
		cfg.Logger = p.Logger
	}
	return cfg, verifier, nil
}

// ApplyMessage implements executor.Executor.
func (x *Executor) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	msg, err := vm.DecodeMessage(req.Bytes)
	if err != nil {
		return nil, err
	}
	cfg, verifier, err := x.config(ctx, req.Params, req.Epoch, req.BaseFee, req.TraceGas)
	if err != nil {
		return nil, err
	}
	partial := func() *executor.MessageResult {
		return &executor.MessageResult{AssumedProofs: assumedProofs(verifier)}
	}
	m, err := fvm.New(ctx, req.Store, req.Root, cfg)
	if err != nil {
		return partial(), fmt.Errorf("start FVM: %w", err)
	}
	res, post, err := vm.ApplyOne(ctx, m, msg, "FVM")
	if err != nil {
		return partial(), err
	}
	out := &executor.MessageResult{
		Receipt:       executor.Receipt{ExitCode: res.ExitCode, Return: res.Return, GasUsed: res.GasUsed},
		PostRoot:      post,
		Error:         res.Error,
		MinerTip:      orZero(res.Outputs.MinerTip),
		MinerPenalty:  orZero(res.Outputs.MinerPenalty),
		AssumedProofs: assumedProofs(verifier),
	}
	if req.TraceGas {
		out.Trace = legacy.ResultTrace(res)
	}
	return out, nil
}

// ApplyTipset implements executor.Executor: fvm.ApplyTipset, the FVM-era
// rules for null rounds, rewards and cron.
func (x *Executor) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	ts, err := legacy.VMTipset(req)
	if err != nil {
		return nil, err
	}
	cfg, verifier, err := x.config(ctx, req.Params, req.Epoch, req.BaseFee, false)
	if err != nil {
		return nil, err
	}
	res, err := fvm.ApplyTipset(ctx, req.Store, ts, cfg)
	if err != nil {
		return &executor.TipsetResult{AssumedProofs: assumedProofs(verifier)}, err
	}
	return legacy.TipsetResult(res, assumedProofs(verifier)), nil
}

// priceEra is the gas era in force after upgrade up: the price list its row
// names, or else the last one an earlier row named.
func priceEra(t *protocol.Table, up protocol.Upgrade) string {
	era := ""
	for _, u := range t.Upgrades() {
		if u.Prices != "" {
			era = u.Prices
		}
		if u.Codename == up.Codename {
			break
		}
	}
	return era
}

// engineFor returns the Wasm engine of a gas era.
func (x *Executor) engineFor(ctx context.Context, era string) (fvm.Engine, error) {
	if x.engine != nil {
		return x.engine, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if e, ok := x.engines[era]; ok {
		return e, nil
	}
	e, err := wasmhost.New(context.WithoutCancel(ctx), era, wasmhost.Options{})
	if err != nil {
		return nil, err
	}
	x.engines[era] = e
	return e, nil
}

func assumedProofs(v syscalls.ProofVerifier) int {
	if c, ok := v.(interface{ AssumedValid() int64 }); ok {
		return int(c.AssumedValid())
	}
	return 0
}

func orZero(a abi.TokenAmount) abi.TokenAmount {
	if a.Int == nil {
		return big.Zero()
	}
	return a
}
