package fvmexec

import (
	"context"

	"github.com/tvx-project/tvx/driver/executor"
)

// firstFVMVersion is the first network version the FVM runs.
const firstFVMVersion = 16

// Split sends requests of network versions before 16 to legacy and the
// rest to fvm, so one driver runs vectors of every era.
type Split struct {
	Legacy, FVM executor.Executor
}

var _ executor.Executor = Split{}

func (s Split) pick(p executor.Params) executor.Executor {
	if p.NetworkVersion >= firstFVMVersion {
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
