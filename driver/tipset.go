package driver

import (
	"context"
	"fmt"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// execTipsetClass replays the tipsets of a tipset-class vector, each on the
// state the previous one left, and checks every receipt (implicit messages'
// included), every tipset's receipts root and the final state root.
//
// Tipset i runs at the variant's epoch plus its epoch_offset, with the
// tipset's own base fee. A vector of the protocol table's own chain whose
// first tipset ran the variant's network version there follows the chain's
// schedule (protocol.Table.FollowsSchedule): each tipset runs under the
// version the table gives its epoch and the executor migrates the state at
// the upgrades the tipsets cross, as the chain did. Any other vector runs
// every tipset under the variant's network version. The circulating supply
// is the vector's, or zero when it gives none, as in the reference runner.
func (d *Driver) execTipsetClass(ctx context.Context, r *run) Outcome {
	v := r.vector
	params, err := runParams(r)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}
	if v.Pre.CircSupply == nil {
		params.CircSupply = big.Zero()
	}
	base := abi.ChainEpoch(r.variant.Epoch)
	tipsets, err := checkTipsets(v, base)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}

	follow := len(tipsets) > 0 && params.Protocol.FollowsSchedule(params.NetworkVersion, tipsets[0].Epoch, params.OnChain)

	var c checker
	mismatchf := func(what, format string, args ...any) {
		c.add(Mismatch{What: what, Text: fmt.Sprintf(format, args...)})
	}
	root, parent, next := v.Pre.StateTree.RootCID, base, 0
	for i, ts := range tipsets {
		ts.Params, ts.ParentRoot, ts.ParentEpoch = params, root, parent
		if follow {
			ts.NetworkVersion = params.Protocol.AtEpoch(ts.Epoch).Version
		}
		res, err := d.cfg.executor.ApplyTipset(ctx, ts)
		if res != nil {
			c.assumed += res.AssumedProofs
		}
		if err != nil {
			return Outcome{Status: failStatus(err), Reason: fmt.Sprintf("tipset %d (epoch %d): %v", i, ts.Epoch, err), AssumedProofs: c.assumed}
		}
		ev := tipsetEvent(r, i, ts, res)
		if err := d.runCallbacks(ctx, ev); err != nil {
			return Outcome{Status: Error, Reason: err.Error(), AssumedProofs: c.assumed}
		}

		var badReceipt []int
		for _, a := range res.Applied {
			where := fmt.Sprintf("tipset %d receipt %d (%s)", i, next, describeApplied(a, ts.Blocks))
			if next >= len(v.Post.Receipts) {
				c.add(Mismatch{Where: where, What: "receipts", Actual: fmt.Sprint(next + 1), Expected: fmt.Sprint(len(v.Post.Receipts)),
					Text: fmt.Sprintf("%s: the vector records only %d receipts", where, len(v.Post.Receipts))})
				next++
				continue
			}
			for _, mm := range c.receipt(where, v.Post.Receipts[next], a.Receipt, nil) {
				c.add(mm)
				if a.Error != "" {
					c.add(Mismatch{Where: where, What: "actor error", Actual: a.Error, Text: fmt.Sprintf("%s: actor error: %s", where, a.Error)})
				}
				badReceipt = append(badReceipt, next)
			}
			next++
		}
		if i < len(v.Post.ReceiptsRoots) {
			if want := v.Post.ReceiptsRoots[i]; want != res.ReceiptsRoot {
				why := "every receipt of the tipset matches, so the difference is in the set of messages or in the AMT encoding"
				if len(badReceipt) > 0 {
					why = fmt.Sprintf("receipt %d differs", badReceipt[0])
				}
				where := fmt.Sprintf("tipset %d (epoch %d)", i, ts.Epoch)
				c.add(Mismatch{Where: where, What: "receipts root", Expected: want.String(), Actual: res.ReceiptsRoot.String(),
					Text: fmt.Sprintf("%s receipts root: expected %s, got %s (%s)", where, want, res.ReceiptsRoot, why)})
			}
		}
		root, parent = res.PostRoot, ts.Epoch
	}
	if next < len(v.Post.Receipts) {
		mismatchf("receipts", "receipts: the vector records %d receipts, the tipsets produced %d", len(v.Post.Receipts), next)
	}

	return c.outcome(r, root)
}

// checkTipsets turns the vector's apply_tipsets into executor requests
// (parameters, parent state and epoch are filled in as the run goes). A
// message that does not decode, or a tipset earlier than the one before
// it, makes the vector malformed.
func checkTipsets(v *schema.Vector, base abi.ChainEpoch) ([]*executor.Tipset, error) {
	out := make([]*executor.Tipset, 0, len(v.ApplyTipsets))
	prev := base
	for i, ts := range v.ApplyTipsets {
		field := fmt.Sprintf("apply_tipsets[%d]", i)
		epoch := base + abi.ChainEpoch(ts.EpochOffset)
		if epoch < prev {
			return nil, fmt.Errorf("%s: %s.epoch_offset: epoch %d precedes the previous tipset's %d", v.Path, field, epoch, prev)
		}
		if ts.BaseFee.Sign() < 0 {
			return nil, fmt.Errorf("%s: %s.basefee: negative", v.Path, field)
		}
		prev = epoch
		blocks := make([]executor.Block, 0, len(ts.Blocks))
		for j, b := range ts.Blocks {
			msgs := make([][]byte, 0, len(b.Messages))
			for k, raw := range b.Messages {
				if _, err := vm.DecodeBlockMessage(raw); err != nil {
					return nil, fmt.Errorf("%s: %s.blocks[%d].messages[%d]: %w", v.Path, field, j, k, err)
				}
				msgs = append(msgs, raw)
			}
			blocks = append(blocks, executor.Block{Miner: b.MinerAddr, WinCount: b.WinCount, Messages: msgs})
		}
		out = append(out, &executor.Tipset{Epoch: epoch, BaseFee: big.NewFromGo(&ts.BaseFee), Blocks: blocks})
	}
	return out, nil
}

// tipsetEvent describes an applied tipset for callbacks.
func tipsetEvent(r *run, i int, ts *executor.Tipset, res *executor.TipsetResult) *TipsetEvent {
	ev := &TipsetEvent{
		Vector:        r.vector,
		Variant:       r.variant,
		Index:         i,
		Epoch:         ts.Epoch,
		ParentEpoch:   ts.ParentEpoch,
		BaseFee:       ts.BaseFee,
		PreStateRoot:  ts.ParentRoot,
		PostStateRoot: res.PostRoot,
		ReceiptsRoot:  res.ReceiptsRoot,
		MinerTips:     big.Zero(),
		Penalties:     big.Zero(),
		Blocks:        readOnlyBlocks{r.blocks},
	}
	for _, a := range res.Applied {
		ev.Receipts = append(ev.Receipts, TipsetReceipt{
			Kind:       a.Kind,
			Epoch:      a.Epoch,
			Block:      a.Block,
			MessageCID: a.MessageCID,
			ExitCode:   a.ExitCode,
			Return:     append([]byte(nil), a.Return...),
			GasUsed:    a.GasUsed,
		})
		if a.Kind != executor.Explicit {
			continue
		}
		ev.Messages++
		ev.GasUsed += a.GasUsed
		ev.MinerTips = big.Add(ev.MinerTips, a.MinerTip)
		ev.Penalties = big.Add(ev.Penalties, a.MinerPenalty)
	}
	return ev
}

// describeApplied names an applied message for mismatch reports.
func describeApplied(a executor.Applied, blocks []executor.Block) string {
	switch a.Kind {
	case executor.Explicit:
		return fmt.Sprintf("message %s of block %d", shortCID(a.MessageCID), a.Block)
	case executor.Reward:
		if a.Block >= 0 && a.Block < len(blocks) {
			return fmt.Sprintf("reward for block %d, miner %s", a.Block, mainnetSpelling(blocks[a.Block].Miner))
		}
		return fmt.Sprintf("reward for block %d", a.Block)
	default:
		return fmt.Sprintf("cron at epoch %d", a.Epoch)
	}
}

// mainnetSpelling writes a as vectors do, with the mainnet prefix "f";
// go-address picks its prefix from a process-wide setting tvx leaves alone.
func mainnetSpelling(a address.Address) string {
	s := a.String()
	if strings.HasPrefix(s, address.TestnetPrefix) {
		return address.MainnetPrefix + s[len(address.TestnetPrefix):]
	}
	return s
}

func shortCID(c cid.Cid) string {
	s := c.String()
	if len(s) > 16 {
		return "…" + s[len(s)-12:]
	}
	return s
}
