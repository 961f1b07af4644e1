package fvm

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/vm"
)

// ApplyTipset executes ts on bs with the FVM, as a node does from network
// version 16: each null round's cron on its own machine (flushed after it),
// then one machine for the tipset: per block, its messages not seen earlier
// in the tipset (by unsigned-message CID), each applied as an explicit
// message, then the block's reward (AwardBlockReward from the system actor,
// carrying the penalties and tips of exactly those messages), and finally
// the epoch's cron. Reward and cron are implicit messages
// (Machine.ApplyImplicitMessage). cfg configures every machine; its Epoch
// is replaced by each epoch's own. A message the chain could not have
// included, and any implicit message that fails, are errors: the tipset
// has no valid outcome.
//
// The result uses the legacy VM's types: the executor interface reports
// both VMs the same way.
func ApplyTipset(ctx context.Context, bs vm.Blockstore, ts vm.Tipset, cfg Config) (*vm.TipsetResult, error) {
	if ts.Epoch < ts.ParentEpoch {
		return nil, fmt.Errorf("tipset epoch %d precedes its parent's epoch %d", ts.Epoch, ts.ParentEpoch)
	}
	res := &vm.TipsetResult{}
	root := ts.ParentState
	for e := ts.ParentEpoch + 1; e < ts.Epoch; e++ {
		c := cfg
		c.Epoch = e
		m, err := New(ctx, bs, root, c)
		if err != nil {
			return nil, fmt.Errorf("start FVM for null round %d: %w", e, err)
		}
		applied, err := m.runImplicit(ctx, vm.AppliedCron, -1, vm.CronMessage(e), "null-round cron")
		if err != nil {
			return nil, err
		}
		if root, err = m.Flush(ctx); err != nil {
			return nil, fmt.Errorf("flush state after null round %d: %w", e, err)
		}
		res.Applied = append(res.Applied, applied)
	}

	cfg.Epoch = ts.Epoch
	m, err := New(ctx, bs, root, cfg)
	if err != nil {
		return nil, fmt.Errorf("start FVM at epoch %d: %w", ts.Epoch, err)
	}
	var receipts []*chain.MessageReceipt
	seen := make(map[cid.Cid]bool)
	for bi, blk := range ts.Blocks {
		penalty, tips := big.Zero(), big.Zero()
		for _, list := range [][]vm.BlockMessage{blk.BLSMessages, blk.SecpMessages} {
			for _, bm := range list {
				c, err := vm.MessageCID(bm.Message)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", bi, err)
				}
				if seen[c] {
					continue
				}
				r, err := m.ApplyMessage(ctx, bm.Message, bm.ChainLength)
				if err != nil {
					return nil, fmt.Errorf("block %d: message %s: %w", bi, c, err)
				}
				seen[c] = true
				rc := &chain.MessageReceipt{ExitCode: r.ExitCode, Return: r.Return, GasUsed: r.GasUsed, V1: m.cfg.NetworkVersion >= 18}
				if r.EventsRoot.Defined() {
					events := r.EventsRoot
					rc.EventsRoot = &events
				}
				receipts = append(receipts, rc)
				penalty = big.Add(penalty, r.Outputs.MinerPenalty)
				tips = big.Add(tips, r.Outputs.MinerTip)
				res.Applied = append(res.Applied, vm.AppliedMessage{
					Kind: vm.AppliedExplicit, Epoch: ts.Epoch, Block: bi, Cid: c, Message: bm.Message, Result: r,
				})
			}
		}
		msg, err := vm.RewardMessage(ts.Epoch, blk.Miner, penalty, tips, blk.WinCount)
		if err != nil {
			return nil, err
		}
		applied, err := m.runImplicit(ctx, vm.AppliedReward, bi, msg, fmt.Sprintf("block reward for miner %s (block %d)", blk.Miner, bi))
		if err != nil {
			return nil, err
		}
		res.Applied = append(res.Applied, applied)
	}
	applied, err := m.runImplicit(ctx, vm.AppliedCron, -1, vm.CronMessage(ts.Epoch), "cron")
	if err != nil {
		return nil, err
	}
	res.Applied = append(res.Applied, applied)

	// The chain's receipts AMT (the first actors version's array) at every
	// network version.
	if res.ReceiptsRoot, err = chain.StoreReceipts(ctx, bs, receipts); err != nil {
		return nil, fmt.Errorf("receipts AMT at epoch %d: %w", ts.Epoch, err)
	}
	if res.StateRoot, err = m.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush state at epoch %d: %w", ts.Epoch, err)
	}
	return res, nil
}

// runImplicit applies an implicit message and insists it succeeds: the
// chain cannot go on past a tipset whose reward or cron failed, so any
// non-zero exit code is an error.
func (m *Machine) runImplicit(ctx context.Context, kind vm.AppliedKind, block int, msg *vm.Message, what string) (vm.AppliedMessage, error) {
	msg.GasLimit = ImplicitMessageGasLimit
	r, err := m.ApplyImplicitMessage(ctx, msg)
	if err != nil {
		return vm.AppliedMessage{}, fmt.Errorf("%s at epoch %d: %w", what, m.cfg.Epoch, err)
	}
	if r.ExitCode != 0 {
		return vm.AppliedMessage{}, fmt.Errorf("%w: %s at epoch %d failed with exit code %d: %s", vm.ErrFatal, what, m.cfg.Epoch, r.ExitCode, r.Error)
	}
	c, err := vm.MessageCID(msg)
	if err != nil {
		return vm.AppliedMessage{}, err
	}
	return vm.AppliedMessage{Kind: kind, Epoch: m.cfg.Epoch, Block: block, Cid: c, Message: msg, Result: r}, nil
}
