package fvm

import (
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	"github.com/tvx-project/tvx/fvm/gas"
)

// kernel is what one actor invocation sees: its identity, the message
// context, its block registry, and the syscalls (syscalls_*.go) through
// which it reaches the call manager and the state tree.
type kernel struct {
	cm     *callManager
	caller uint64
	self   uint64
	code   cid.Cid
	method uint64
	value  abi.TokenAmount
	blocks *blockRegistry
}

func newKernel(cm *callManager, caller, self uint64, code cid.Cid, method uint64, value abi.TokenAmount) *kernel {
	return &kernel{cm: cm, caller: caller, self: self, code: code, method: method, value: value, blocks: newBlockRegistry()}
}

// run invokes the actor's code with params (nil for none) and returns the
// bytes of the block it returns.
func (k *kernel) run(wasm []byte, params []byte) ([]byte, error) {
	paramsID := uint32(noDataBlockID)
	if len(params) > 0 {
		id, err := k.blocks.put(block{codec: dagCBOR, data: params})
		if err != nil {
			return nil, err
		}
		paramsID = id
	}
	retID, err := k.cm.m.cfg.Engine.Invoke(k.cm.ctx, k.code, wasm, k, paramsID)
	if err != nil {
		var abort *actorAbort
		var fatal *fatalError
		switch {
		case errors.As(err, &abort), errors.As(err, &fatal):
			return nil, err
		case errors.Is(err, gas.ErrOutOfGas):
			return nil, gas.ErrOutOfGas
		}
		// A trap: the actor broke the rules of Wasm execution.
		return nil, &actorAbort{code: exitIllegalInstruction, msg: fmt.Sprintf("actor %d trapped: %v", k.self, err)}
	}
	if retID == noDataBlockID {
		return nil, nil
	}
	b, err := k.blocks.get(retID)
	if err != nil {
		return nil, &actorAbort{code: exitMissingReturn, msg: "returned block does not exist"}
	}
	return b.data, nil
}

// AvailableMilli implements Host.
func (k *kernel) AvailableMilli() int64 { return k.cm.gas.AvailableMilli() }

// ChargeExec implements Host.
func (k *kernel) ChargeExec(milli int64) error { return k.cm.gas.ChargeMilli("wasm_exec", milli) }

// Functions implements Host.
func (k *kernel) Functions() []HostFunction { return k.syscalls() }
