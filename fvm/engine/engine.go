package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/tvx-project/tvx/fvm/engine/instrument"
	"github.com/tvx-project/tvx/fvm/gas"
)

// Config is what one engine is configured with: everything here is
// consensus-relevant except the cache location, so a driver makes one
// Engine per FVM era it runs.
type Config struct {
	// Instructions is the era's Wasm instruction price table (fvm/gas).
	Instructions *gas.InstructionCosts
	// MaxWasmStack is the stack limit the instrumentation enforces, in
	// the FVM's stack units (values plus locals plus frame cost).
	MaxWasmStack uint32
	// MaxInstanceMemoryBytes bounds one instance's linear memory; a
	// memory.grow past it fails (returns -1) and a module whose initial
	// memory exceeds it fails to instantiate with ErrMemoryLimit. A
	// multiple of the 64 KiB page; zero means the Wasm maximum (4 GiB).
	MaxInstanceMemoryBytes uint64
	// Host lists the host functions (the kernel's syscalls) modules may
	// import. They are registered once, when the engine is created.
	Host []HostFunc
	// CacheDir is wazero's on-disk compilation cache; empty means
	// tvx/wazero under os.UserCacheDir. NoDiskCache turns it off.
	CacheDir    string
	NoDiskCache bool
}

// ValueType is the Wasm type of a host function parameter or result.
type ValueType = api.ValueType

// The value types syscalls use.
const (
	I32 = api.ValueTypeI32
	I64 = api.ValueTypeI64
)

// HostFunc is one host function in the FVM's syscall ABI: parameters of
// the given types and one i32 result, the error number (0 for success).
// Call runs with the calling invocation's Instance; its error aborts the
// invocation and Invoke returns it unchanged (errors.Is/As find it).
// Before Call the engine has settled Wasm execution gas with the
// instance's Account; after it, the Wasm gas counter is reset from
// Account.AvailableMilli, so gas Call charges is seen by the Wasm code.
type HostFunc struct {
	Module, Name string
	Params       []ValueType
	Call         func(ctx context.Context, inst *Instance, args []uint64) (errno uint32, err error)
}

// Engine compiles and instantiates actor modules. It is safe for
// concurrent use; Close releases it.
type Engine struct {
	cfg   Config
	rt    wazero.Runtime
	rules instrument.Rules

	mu      sync.Mutex
	modules map[cid.Cid]*moduleSlot
}

// moduleSlot lets concurrent Compile calls of one CID wait for the first.
type moduleSlot struct {
	done chan struct{}
	mod  *Module
	err  error
}

// Module is an instrumented, compiled actor module, shared by every
// invocation of its code CID.
type Module struct {
	code     cid.Cid
	compiled wazero.CompiledModule
	info     instrument.Info
}

// Code is the module's code CID.
func (m *Module) Code() cid.Cid { return m.code }

// MinMemoryBytes is the module's initial linear memory in bytes (what the
// FVM charges at instantiation from nv18).
func (m *Module) MinMemoryBytes() uint64 { return uint64(m.info.MinMemoryPages) * 65536 }

// MinTableElements is the initial size of the module's table, if any.
func (m *Module) MinTableElements() (uint32, bool) {
	return m.info.MinTableElements, m.info.HasTable
}

// DefaultCacheDir is where the compilation cache lives by default.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("engine: locating the user cache directory: %w", err)
	}
	return filepath.Join(base, "tvx", "wazero"), nil
}

// New creates an engine and registers cfg.Host.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Instructions == nil {
		return nil, errors.New("engine: Config.Instructions is required")
	}
	if cfg.MaxWasmStack == 0 {
		return nil, errors.New("engine: Config.MaxWasmStack is required")
	}
	if cfg.MaxInstanceMemoryBytes%65536 != 0 {
		return nil, fmt.Errorf("engine: MaxInstanceMemoryBytes %d is not a multiple of the 64 KiB page", cfg.MaxInstanceMemoryBytes)
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCoreFeatures(Features).
		WithCloseOnContextDone(false)
	if !cfg.NoDiskCache {
		dir := cfg.CacheDir
		if dir == "" {
			d, err := DefaultCacheDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("engine: compilation cache %s: %w", dir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	e := &Engine{
		cfg:     cfg,
		rt:      wazero.NewRuntimeWithConfig(ctx, rc),
		rules:   instrument.Rules{Costs: cfg.Instructions, MaxStack: cfg.MaxWasmStack},
		modules: map[cid.Cid]*moduleSlot{},
	}
	if err := e.registerHost(ctx); err != nil {
		_ = e.rt.Close(ctx)
		return nil, err
	}
	return e, nil
}

// Features are the Wasm proposals the FVM's engine enables at nv16-18:
// the 1.0 core with mutable globals, sign extension and saturating
// float-to-int conversions (always on in its engine), and bulk memory;
// no multi-value, reference types, SIMD or threads.
const Features = api.CoreFeaturesV1 |
	api.CoreFeatureSignExtensionOps |
	api.CoreFeatureNonTrappingFloatToIntConversion |
	api.CoreFeatureBulkMemoryOperations

// Close releases the engine's compiled code. Modules and instances
// become unusable.
func (e *Engine) Close(ctx context.Context) error { return e.rt.Close(ctx) }

// Compile instruments and compiles wasm as the module of code, once per
// engine: later calls for the same CID return the first result (the
// bytes are then not looked at). Safe for concurrent use.
func (e *Engine) Compile(ctx context.Context, code cid.Cid, wasm []byte) (*Module, error) {
	e.mu.Lock()
	slot, ok := e.modules[code]
	if !ok {
		slot = &moduleSlot{done: make(chan struct{})}
		e.modules[code] = slot
	}
	e.mu.Unlock()
	if ok {
		<-slot.done
		return slot.mod, slot.err
	}
	slot.mod, slot.err = e.compile(ctx, code, wasm)
	if slot.err != nil {
		// A failure is not cached: a caller may retry with other bytes.
		e.mu.Lock()
		delete(e.modules, code)
		e.mu.Unlock()
	}
	close(slot.done)
	return slot.mod, slot.err
}

func (e *Engine) compile(ctx context.Context, code cid.Cid, wasm []byte) (*Module, error) {
	out, info, err := instrument.Instrument(wasm, e.rules)
	if err != nil {
		return nil, fmt.Errorf("engine: instrumenting actor code %s: %w", code, err)
	}
	compiled, err := e.rt.CompileModule(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("engine: compiling actor code %s: %w", code, err)
	}
	return &Module{code: code, compiled: compiled, info: info}, nil
}
