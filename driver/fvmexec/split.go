package fvmexec

import (
	"context"
	"github.com/tvx-project/tvx/protocol"

	"github.com/tvx-project/tvx/driver/executor"
)

// Split sends each request to the VM its network version's row in the
// protocol table names (legacy before nv16, the FVM from it on mainnet),
// so one driver runs vectors of every era.
type Split struct {
	Legacy, FVM executor.Executor
}

var _ executor.Executor = Split{}

func (s Split) pick(p executor.Params) executor.Executor {
	table := p.Protocol
	if table == nil {
		table = protocol.Mainnet()
	}
	if up, ok := table.Activation(p.NetworkVersion); ok && up.VM == protocol.FVM {
		return s.FVM
	}
	return s.Legacy
}

// ApplyMessage implements executor.Executor.
func (s Split) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	return s.pick(req.Params).ApplyMessage(ctx, req)
}

// ApplyTipset implements executor.Executor.
func (s Split) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	return s.pick(req.Params).ApplyTipset(ctx, req)
}
