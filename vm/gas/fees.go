package gas

import (
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
)

// Over-estimation: gas limit above 110% of gas used is partly burned.
const (
	overuseNum   = 11
	overuseDenom = 10
)

// Outputs is how a message's gas funds (GasLimit × GasFeeCap, escrowed
// before execution) are split after it ran.
type Outputs struct {
	BaseFeeBurn        abi.TokenAmount
	OverEstimationBurn abi.TokenAmount
	// MinerPenalty is owed by the block's miner (it is not taken from the
	// escrow); tipset execution collects it.
	MinerPenalty abi.TokenAmount
	MinerTip     abi.TokenAmount
	Refund       abi.TokenAmount

	GasRefund int64
	GasBurned int64
}

// ZeroOutputs is an Outputs with every amount zero.
func ZeroOutputs() Outputs {
	return Outputs{
		BaseFeeBurn:        big.Zero(),
		OverEstimationBurn: big.Zero(),
		MinerPenalty:       big.Zero(),
		MinerTip:           big.Zero(),
		Refund:             big.Zero(),
	}
}

// OverEstimation splits the unused gas (limit − used) into the part refunded
// and the part burned. Nothing is burned while the limit is within 110% of
// use; beyond that the burned share grows linearly until, at twice the use,
// all unused gas is burned. A message that used no gas burns its whole limit.
func OverEstimation(used, limit int64) (refund, burned int64) {
	if used == 0 {
		return 0, limit
	}
	over := limit - (overuseNum*used)/overuseDenom
	if over < 0 {
		return limit - used, 0
	}
	if over > used {
		over = used
	}
	// (limit-used)*over can exceed int64 for pathological limits.
	b := big.Div(big.Mul(big.NewInt(limit-used), big.NewInt(over)), big.NewInt(used))
	burned = b.Int64()
	return limit - used - burned, burned
}

// ComputeOutputs settles a message: the base fee (capped by the fee cap) is
// burned on gas used unless burnBaseFee is false, the miner gets its premium
// (capped so base fee + premium ≤ fee cap) on the whole gas limit, the
// over-estimation share is burned at the base fee, the rest is refunded.
// Base fee above the fee cap becomes a miner penalty.
func ComputeOutputs(used, limit int64, baseFee, feeCap, premium abi.TokenAmount, burnBaseFee bool) Outputs {
	out := ZeroOutputs()
	usedBig := big.NewInt(used)

	basePaid := baseFee
	if baseFee.GreaterThan(feeCap) {
		basePaid = feeCap
		out.MinerPenalty = big.Mul(big.Sub(baseFee, feeCap), usedBig)
	}
	if burnBaseFee {
		out.BaseFeeBurn = big.Mul(basePaid, usedBig)
	}

	tip := premium
	if big.Add(basePaid, tip).GreaterThan(feeCap) {
		tip = big.Sub(feeCap, basePaid)
	}
	out.MinerTip = big.Mul(tip, big.NewInt(limit))

	out.GasRefund, out.GasBurned = OverEstimation(used, limit)
	if out.GasBurned != 0 {
		burned := big.NewInt(out.GasBurned)
		out.OverEstimationBurn = big.Mul(basePaid, burned)
		out.MinerPenalty = big.Add(out.MinerPenalty, big.Mul(big.Sub(baseFee, basePaid), burned))
	}

	escrow := big.Mul(big.NewInt(limit), feeCap)
	out.Refund = big.Sub(big.Sub(big.Sub(escrow, out.BaseFeeBurn), out.MinerTip), out.OverEstimationBurn)
	return out
}
