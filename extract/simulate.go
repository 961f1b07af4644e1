package extract

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// SimulateRequest asks for a vector of a message the chain never carried,
// applied to the state a tipset starts from, as Lotus's tvx simulate does.
type SimulateRequest struct {
	Message *vm.Message
	// Height is the tipset's height; 0 means the chain's head.
	Height abi.ChainEpoch
	// ID is the vector's _meta.id (default: "simulated-<message CID>",
	// Lotus's name).
	ID string
}

// SimulateResult is a simulated message's vector and where it ran.
type SimulateResult struct {
	Vector *schema.Vector
	// Tipset is the tipset whose parent state the message ran on, at its
	// height and base fee.
	Tipset *chain.TipSet
}

// Simulate applies req.Message on the extractor's executor (tvx's VMs
// unless WithExecutor names another) to the parent state of the
// tipset at req.Height (or the head), with that tipset's epoch, base fee
// and randomness, and returns the vector of that run: the blocks it read
// and wrote, and its receipt as postcondition. Nothing checks the receipt
// (no chain recorded one).
func (e *Extractor) Simulate(ctx context.Context, req SimulateRequest) (*SimulateResult, error) {
	defer e.holdPolicy()()
	mc, err := vm.MessageCID(req.Message)
	if err != nil {
		return nil, fmt.Errorf("simulate: message: %w", err)
	}
	var ts *chain.TipSet
	if req.Height == 0 {
		ts, err = e.src.Head(ctx)
	} else {
		ts, _, err = e.src.TipSetByHeight(ctx, req.Height, chain.EmptyTipSetKey)
	}
	if err != nil {
		return nil, fmt.Errorf("simulate %s: tipset: %w", mc, err)
	}
	if req.ID == "" {
		req.ID = "simulated-" + mc.String()
	}
	epoch := ts.Height()
	nv, err := e.src.NetworkVersion(ctx, epoch)
	if err != nil {
		return nil, fmt.Errorf("simulate %s: %w", mc, err)
	}
	cs, knownCS, err := e.circSupply(ctx, ts.Key(), schema.ClassMessage)
	if err != nil {
		return nil, fmt.Errorf("simulate %s: circulating supply: %w", mc, err)
	}
	raw, err := req.Message.Serialize()
	if err != nil {
		return nil, fmt.Errorf("simulate %s: %w", mc, err)
	}
	bs := newStore(e.src)
	rec := newRandRecords()
	pre := ts.ParentState()
	bs.startTrace()
	res, err := e.cfg.exec.ApplyMessage(ctx, &executor.Message{
		Params: e.params(bs, nv, cs, rec.forTipset(e.src, ts.Key(), e.cfg.beaconRound)),
		Root:   pre, Epoch: epoch, BaseFee: ts.ParentBaseFee(), Bytes: raw,
	})
	traced := bs.stopTrace()
	if err != nil {
		return nil, fmt.Errorf("simulate %s: apply: %w", mc, err)
	}
	post := res.PostRoot
	car, err := vectorCAR(ctx, e.cfg.tempDir, []cid.Cid{pre, post}, traced)
	if err != nil {
		return nil, fmt.Errorf("simulate %s: %w", mc, err)
	}
	v, err := e.messageVector(ctx, req.ID, e.gen("simulated_message:"+mc.String(), "tipset:"+ts.Key().String()),
		car, rec, nv, epoch, ts.ParentBaseFee(), cs, knownCS, raw, pre, post, res.Receipt)
	if err != nil {
		return nil, err
	}
	return &SimulateResult{Vector: v, Tipset: ts}, nil
}
