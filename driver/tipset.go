package driver

import (
	"context"
	"fmt"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// execTipsetClass replays the tipsets of a tipset-class vector, each on the
// state the previous one left, and checks every receipt (implicit messages'
// included), every tipset's receipts root and the final state root.
//
// Tipset i runs at the variant's epoch plus its epoch_offset, under the
// variant's network version (not the mainnet schedule's version for that
// epoch), with the tipset's own base fee. The circulating supply is the
// vector's, or zero when it gives none, as in the reference runner.
func (d *Driver) execTipsetClass(ctx context.Context, r *run) Outcome {
	v := r.vector
	env, err := d.newExecEnv(r)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}
	if v.Pre.CircSupply == nil {
		env.circ = big.Zero()
	}
	base := abi.ChainEpoch(r.variant.Epoch)
	tipsets, err := decodeTipsets(v, base)
	if err != nil {
		return Outcome{Status: Error, Reason: err.Error()}
	}

	var mismatches []string
	mismatchf := func(format string, args ...any) { mismatches = append(mismatches, fmt.Sprintf(format, args...)) }
	root, parent, next := v.Pre.StateTree.RootCID, base, 0
	for i, ts := range tipsets {
		ts.ParentState, ts.ParentEpoch = root, parent
		baseFee := big.NewFromGo(&v.ApplyTipsets[i].BaseFee)
		res, err := vm.ApplyTipset(ctx, r.blocks, ts, env.vmConfig(baseFee))
		if err != nil {
			return Outcome{Status: Fail, Reason: fmt.Sprintf("tipset %d (epoch %d): %v", i, ts.Epoch, err), AssumedProofs: env.assumedProofs()}
		}
		ev := tipsetEvent(r, i, ts, baseFee, res)
		if err := d.runCallbacks(ctx, ev); err != nil {
			return Outcome{Status: Error, Reason: err.Error(), AssumedProofs: env.assumedProofs()}
		}

		var badReceipt []int
		for _, a := range res.Applied {
			label := fmt.Sprintf("tipset %d receipt %d (%s)", i, next, describeApplied(a, ts.Blocks))
			if next >= len(v.Post.Receipts) {
				mismatchf("%s: the vector records only %d receipts", label, len(v.Post.Receipts))
				next++
				continue
			}
			for _, mm := range compareReceipt(v.Post.Receipts[next], a.Result) {
				mismatchf("%s: %s", label, mm)
				if a.Result.Error != "" {
					mismatchf("%s: actor error: %s", label, a.Result.Error)
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
				mismatchf("tipset %d (epoch %d) receipts root: expected %s, got %s (%s)", i, ts.Epoch, want, res.ReceiptsRoot, why)
			}
		}
		root, parent = res.StateRoot, ts.Epoch
	}
	if next < len(v.Post.Receipts) {
		mismatchf("receipts: the vector records %d receipts, the tipsets produced %d", len(v.Post.Receipts), next)
	}

	return env.outcome(r, root, mismatches, "")
}

// decodeTipsets turns the vector's apply_tipsets into tipsets to execute
// (parent state and epoch are filled in as the run goes). A message that
// does not decode, or a tipset earlier than the one before it, makes the
// vector malformed.
func decodeTipsets(v *schema.Vector, base abi.ChainEpoch) ([]vm.Tipset, error) {
	out := make([]vm.Tipset, 0, len(v.ApplyTipsets))
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
		blocks := make([]vm.TipsetBlock, 0, len(ts.Blocks))
		for j, b := range ts.Blocks {
			blk := vm.TipsetBlock{Miner: b.MinerAddr, WinCount: b.WinCount}
			for k, raw := range b.Messages {
				bm, err := vm.DecodeBlockMessage(raw)
				if err != nil {
					return nil, fmt.Errorf("%s: %s.blocks[%d].messages[%d]: %w", v.Path, field, j, k, err)
				}
				// Blocks keep bare (BLS) and signed (secp256k1) messages in
				// two lists. A sender of neither kind cannot have signed its
				// message at all; the reference runner files such a message
				// in both lists, where it runs once, at its place among the
				// BLS messages, so that is where it goes here.
				if bm.Message.From.Protocol() == address.SECP256K1 {
					blk.SecpMessages = append(blk.SecpMessages, bm)
				} else {
					blk.BLSMessages = append(blk.BLSMessages, bm)
				}
			}
			blocks = append(blocks, blk)
		}
		out = append(out, vm.Tipset{Epoch: epoch, Blocks: blocks})
	}
	return out, nil
}

// tipsetEvent describes an applied tipset for callbacks.
func tipsetEvent(r *run, i int, ts vm.Tipset, baseFee abi.TokenAmount, res *vm.TipsetResult) *TipsetEvent {
	ev := &TipsetEvent{
		Vector:        r.vector,
		Variant:       r.variant,
		Index:         i,
		Epoch:         ts.Epoch,
		ParentEpoch:   ts.ParentEpoch,
		BaseFee:       baseFee,
		PreStateRoot:  ts.ParentState,
		PostStateRoot: res.StateRoot,
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
			MessageCID: a.Cid,
			ExitCode:   a.Result.ExitCode,
			Return:     append([]byte(nil), a.Result.Return...),
			GasUsed:    a.Result.GasUsed,
		})
		if a.Kind != vm.AppliedExplicit {
			continue
		}
		ev.Messages++
		ev.GasUsed += a.Result.GasUsed
		ev.MinerTips = big.Add(ev.MinerTips, a.Result.Outputs.MinerTip)
		ev.Penalties = big.Add(ev.Penalties, a.Result.Outputs.MinerPenalty)
	}
	return ev
}

// describeApplied names an applied message for mismatch reports.
func describeApplied(a vm.AppliedMessage, blocks []vm.TipsetBlock) string {
	switch a.Kind {
	case vm.AppliedExplicit:
		return fmt.Sprintf("message %s of block %d", shortCID(a.Cid), a.Block)
	case vm.AppliedReward:
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
