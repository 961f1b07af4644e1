package vm

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"
)

// Applier is a machine loaded at a pre-state that applies messages and
// writes its state tree back: the legacy VM's Machine and the FVM's both are.
type Applier interface {
	ApplyMessage(ctx context.Context, msg *Message, chainLen int) (*ApplyResult, error)
	Flush(ctx context.Context) (cid.Cid, error)
}

// ApplyOne applies msg on m, charged at its serialized chain length, and
// flushes the state, returning the result and the post-state root. name
// says which machine failed when the failure is the machine's own
// (ErrFatal), not the message's.
func ApplyOne(ctx context.Context, m Applier, msg *Message, name string) (*ApplyResult, cid.Cid, error) {
	n, err := msg.ChainLength()
	if err != nil {
		return nil, cid.Undef, fmt.Errorf("encode message: %w", err)
	}
	res, err := m.ApplyMessage(ctx, msg, n)
	if err != nil {
		if errors.Is(err, ErrFatal) {
			return nil, cid.Undef, fmt.Errorf("%s failure: %w", name, err)
		}
		return nil, cid.Undef, fmt.Errorf("message not applicable: %w", err)
	}
	post, err := m.Flush(ctx)
	if err != nil {
		return nil, cid.Undef, fmt.Errorf("flush state: %w", err)
	}
	return res, post, nil
}
