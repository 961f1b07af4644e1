package fvm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"

	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/vm"
	vmgas "github.com/tvx-project/tvx/vm/gas"
)

// ImplicitMessageGasLimit and implicitGasLimit are the gas limits of
// implicit messages. The node gives every implicit message
// half the int64 range (its releases from the nv17 one on; before, the
// reward's 2^30 and cron's ten thousand block limits, which no tipset came
// near), and that is the limit their CIDs carry. The FVM's gas tracker
// saturates at the largest milligas amount an int64 holds, so any larger
// limit is implicitGasLimit in effect.
const (
	ImplicitMessageGasLimit = math.MaxInt64 / 2
	implicitGasLimit        = math.MaxInt64 / gas.Milli
)

// ApplyImplicitMessage applies a message the system sends itself (a block
// reward, a cron tick): the sender must exist but need not be an account,
// and nothing is checked or charged before execution — no inclusion gas,
// nonce or balance check, no fee settlement. The message runs in a
// transaction that reverts if it fails, and its result carries zero fee
// outputs. A fatal machine error is an error.
func (m *Machine) ApplyImplicitMessage(ctx context.Context, msg *vm.Message) (res *vm.ApplyResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: panic in the FVM: %v", vm.ErrFatal, r)
		}
	}()
	senderID, ok, err := m.tree.LookupID(msg.From)
	if err != nil {
		return nil, fmt.Errorf("look up implicit message sender %s: %w", msg.From, err)
	}
	if !ok {
		return rejected(exitcode.SysErrSenderInvalid, big.Zero(), "implicit message sender %s not found", msg.From), nil
	}
	limited := *msg
	limited.GasLimit = implicitGasLimit
	cm := newCallManager(ctx, m, &limited, senderID)
	var params *block
	if len(msg.Params) > 0 {
		params = &block{codec: cm.messageCodec(uint64(msg.Method)), data: msg.Params}
	}
	ret, exec := cm.transaction(func() (*block, error) {
		r, err := cm.send(senderID, msg.To, uint64(msg.Method), params, msg.Value, sendOptions{})
		if err != nil {
			return nil, err
		}
		// Before nv18 a send that returned nothing is charged too.
		if r != nil || cm.access == nil {
			if err := cm.gas.Charge(m.prices.OnChainReturnValue(r.size())); err != nil {
				return nil, err
			}
		}
		return r, nil
	})
	res = &vm.ApplyResult{Outputs: vmgas.ZeroOutputs()}
	if ret != nil {
		res.Return = ret.data
	}
	var fatal *fatalError
	var abort *actorAbort
	var sysErr *syscallError
	switch {
	case exec == nil:
	case errors.As(exec, &fatal):
		return nil, fmt.Errorf("%w: implicit message to %s method %d at epoch %d: %v",
			vm.ErrFatal, msg.To, msg.Method, m.cfg.Epoch, fatal.err)
	case errors.Is(exec, gas.ErrOutOfGas):
		res.ExitCode, res.Error = exitcode.SysErrOutOfGas, "out of gas"
	case errors.As(exec, &abort):
		res.ExitCode, res.Error = abort.code, abort.Error()
	case errors.As(exec, &sysErr):
		res.ExitCode, res.Error = sysErr.exitCode(), sysErr.Error()
	default:
		return nil, fmt.Errorf("%w: unclassified execution error: %v", vm.ErrFatal, exec)
	}
	if res.ExitCode != 0 && m.prices.Era != gas.Hygge {
		res.Return = nil
	}
	res.GasUsed = cm.gas.Used()
	res.GasTrace, res.FrameParents = cm.traceResult()
	return res, nil
}
