package vm

import (
	"bytes"
	"context"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	reward0 "github.com/filecoin-project/specs-actors/actors/builtin/reward"
)

// Gas limits of the messages the system sends itself. They are never paid
// for: they only bound execution. The reward limit is the chain's fixed
// 2^30; cron gets ten thousand block gas limits so that it cannot run out
// however much deferred work has piled up.
const (
	blockGasLimit         int64 = 10_000_000_000
	rewardMessageGasLimit int64 = 1 << 30
	cronMessageGasLimit   int64 = blockGasLimit * 10_000
)

// systemMessage builds a message from the system actor. Its nonce is the
// epoch (the system actor keeps no nonce of its own; the epoch makes the
// origin of any actor address it creates unique) and it carries no fee.
func systemMessage(epoch abi.ChainEpoch, to address.Address, method abi.MethodNum, params []byte, gasLimit int64) *Message {
	return &Message{
		From:       builtin0.SystemActorAddr,
		To:         to,
		Nonce:      uint64(epoch),
		Value:      big.Zero(),
		GasLimit:   gasLimit,
		GasFeeCap:  big.Zero(),
		GasPremium: big.Zero(),
		Method:     method,
		Params:     params,
	}
}

// RewardMessage is the implicit message that pays a block's miner: the
// reward actor's AwardBlockReward with the block's win count, the penalty
// its messages incurred and the tips they paid. The parameter encoding is
// the same four-tuple in every actors version.
func RewardMessage(epoch abi.ChainEpoch, miner address.Address, penalty, gasReward abi.TokenAmount, winCount int64) (*Message, error) {
	p := reward0.AwardBlockRewardParams{Miner: miner, Penalty: penalty, GasReward: gasReward, WinCount: winCount}
	var buf bytes.Buffer
	if err := p.MarshalCBOR(&buf); err != nil {
		return nil, fmt.Errorf("encode block reward parameters for %s: %w", miner, err)
	}
	return systemMessage(epoch, builtin0.RewardActorAddr, builtin0.MethodsReward.AwardBlockReward, buf.Bytes(), rewardMessageGasLimit), nil
}

// CronMessage is the implicit end-of-epoch message to the cron actor.
func CronMessage(epoch abi.ChainEpoch) *Message {
	return systemMessage(epoch, builtin0.CronActorAddr, builtin0.MethodsCron.EpochTick, nil, cronMessageGasLimit)
}

// applySystemMessage applies an implicit message and insists it succeeds:
// the chain cannot carry on past a tipset whose rewards or cron failed, so
// any failure, even an ordinary exit code, is an error for the tipset.
func (m *Machine) applySystemMessage(ctx context.Context, msg *Message, what string) (*ApplyResult, error) {
	res, err := m.ApplyImplicitMessage(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("%s at epoch %d: %w", what, m.cfg.Epoch, err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("%w: %s at epoch %d failed with exit code %d: %s", ErrFatal, what, m.cfg.Epoch, res.ExitCode, res.Error)
	}
	return res, nil
}
