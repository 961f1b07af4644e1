// Package wasmhost joins the FVM's kernel (package fvm) to its Wasm engine
// (package fvm/engine): it registers the kernel's syscalls of a network
// version as the engine's host functions and runs invocations, so that
// neither package knows the other.
package wasmhost

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/engine"
	"github.com/tvx-project/tvx/fvm/gas"
)

// Limits the FVM configures its engine with: the instrumented stack limit
// (every version) and, from nv18, the per-instance memory bound.
const (
	maxWasmStack           = 2048
	maxInstanceMemoryHygge = 512 << 20
)

// Engine is an fvm.Engine on fvm/engine for one FVM gas era. It is safe for
// concurrent use.
type Engine struct {
	e *engine.Engine
}

var _ fvm.Engine = (*Engine)(nil)

// Options configure an Engine.
type Options struct {
	// CacheDir and NoDiskCache: see engine.Config.
	CacheDir    string
	NoDiskCache bool
}

// New returns the engine for an FVM gas era ("skyr", "hygge"), the
// protocol table's name for it.
func New(ctx context.Context, era string, opts Options) (*Engine, error) {
	prices, err := gas.ForEra(era)
	if err != nil {
		return nil, err
	}
	costs, ok := gas.Instructions(prices.Era)
	if !ok {
		return nil, fmt.Errorf("no instruction prices for the %s era", prices.Era)
	}
	cfg := engine.Config{
		Instructions: costs,
		MaxWasmStack: maxWasmStack,
		CacheDir:     opts.CacheDir,
		NoDiskCache:  opts.NoDiskCache,
	}
	if prices.Era == gas.Hygge {
		cfg.MaxInstanceMemoryBytes = maxInstanceMemoryHygge
	}
	for _, f := range fvm.Syscalls(era) {
		cfg.Host = append(cfg.Host, hostFunc(f))
	}
	e, err := engine.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start Wasm engine for the %s era: %w", era, err)
	}
	return &Engine{e: e}, nil
}

// Close releases the engine's compiled code.
func (x *Engine) Close(ctx context.Context) error { return x.e.Close(ctx) }

func hostFunc(f fvm.HostFunction) engine.HostFunc {
	params := make([]engine.ValueType, len(f.Params))
	for i, k := range f.Params {
		params[i] = engine.I32
		if k == fvm.I64 {
			params[i] = engine.I64
		}
	}
	call := f.Call
	return engine.HostFunc{Module: f.Module, Name: f.Name, Params: params,
		Call: func(ctx context.Context, inst *engine.Instance, args []uint64) (uint32, error) {
			h, ok := inst.Host().(fvm.Host)
			if !ok {
				return 0, fmt.Errorf("host function %s::%s: instance has no kernel", f.Module, f.Name)
			}
			mem := inst.Memory()
			if mem == nil {
				return 0, fmt.Errorf("host function %s::%s: actor has no memory", f.Module, f.Name)
			}
			return call(ctx, h, mem, args)
		}}
}

// Invoke implements fvm.Engine.
func (x *Engine) Invoke(ctx context.Context, code cid.Cid, wasm []byte, host fvm.Host, paramsID uint32) (uint32, error) {
	mod, err := x.e.Compile(ctx, code, wasm)
	if err != nil {
		return 0, fvm.Fatal(fmt.Errorf("compile actor %s: %w", code, err))
	}
	cfg := engine.InstanceConfig{Account: host, Host: host}
	if mh, ok := host.(fvm.MemoryHost); ok {
		cfg.Memory = mh
	}
	inst, err := x.e.Instantiate(ctx, mod, cfg)
	if err != nil {
		if errors.Is(err, engine.ErrOutOfGas) || errors.Is(err, gas.ErrOutOfGas) {
			return 0, fmt.Errorf("%w: instantiating %s", gas.ErrOutOfGas, code)
		}
		return 0, fvm.Fatal(fmt.Errorf("instantiate actor %s: %w", code, err))
	}
	defer inst.Close(ctx)
	ret, err := inst.Invoke(ctx, "invoke", uint64(paramsID))
	if errors.Is(err, engine.ErrOutOfGas) {
		return 0, fmt.Errorf("%w: %v", gas.ErrOutOfGas, err)
	}
	return ret, err
}
