package engine

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// hostAbort carries a host function's error through wazero, so Invoke
// can tell it from a trap.
type hostAbort struct{ err error }

func (h *hostAbort) Error() string { return h.err.Error() }
func (h *hostAbort) Unwrap() error { return h.err }

// registerHost instantiates one wazero host module per FVM syscall module.
// The functions are shared by all invocations; each call finds its own
// Instance in the context Invoke passes down.
func (e *Engine) registerHost(ctx context.Context) error {
	byModule := map[string][]HostFunc{}
	var order []string
	seen := map[string]bool{}
	for _, f := range e.cfg.Host {
		key := f.Module + "\x00" + f.Name
		if seen[key] {
			return fmt.Errorf("engine: host function %s.%s registered twice", f.Module, f.Name)
		}
		seen[key] = true
		if _, ok := byModule[f.Module]; !ok {
			order = append(order, f.Module)
		}
		byModule[f.Module] = append(byModule[f.Module], f)
	}
	for _, name := range order {
		b := e.rt.NewHostModuleBuilder(name)
		for _, f := range byModule[name] {
			b.NewFunctionBuilder().
				WithGoModuleFunction(hostCall(f), f.Params, []api.ValueType{api.ValueTypeI32}).
				Export(f.Name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("engine: registering host module %s: %w", name, err)
		}
	}
	return nil
}

// hostCall wraps f with the gas settlement the FVM does around every
// syscall: charge the Wasm execution so far, run, then reload the gas
// counter from the account (which now includes the syscall's charges).
func hostCall(f HostFunc) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		inst, _ := ctx.Value(instanceKey{}).(*Instance)
		if inst == nil {
			panic(&hostAbort{fmt.Errorf("engine: host function %s.%s called outside an invocation", f.Module, f.Name)})
		}
		if err := inst.settle(); err != nil {
			panic(&hostAbort{err})
		}
		errno, err := f.Call(ctx, inst, stack[:len(f.Params)])
		inst.refill()
		if err != nil {
			panic(&hostAbort{err})
		}
		stack[0] = uint64(errno)
	}
}
