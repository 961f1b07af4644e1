package gas

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
)

func TestForEpochPicksEra(t *testing.T) {
	for _, c := range []struct {
		epoch abi.ChainEpoch
		era   string
	}{{0, "genesis"}, {CalicoEpoch - 1, "genesis"}, {CalicoEpoch, "calico"}, {2_000_000, "calico"}} {
		if got := ForEpoch(c.epoch).Era(); got != c.era {
			t.Errorf("epoch %d: era %s, want %s", c.epoch, got, c.era)
		}
	}
	// Calico raised the storage multiplier: the same message costs more.
	if g, c := ForEpoch(0).OnChainMessage(100).Total(), ForEpoch(CalicoEpoch).OnChainMessage(100).Total(); c <= g {
		t.Errorf("calico on-chain cost %d not above genesis %d", c, g)
	}
}

func TestMethodInvocationComponents(t *testing.T) {
	pl := ForEpoch(0)
	base := pl.OnMethodInvocation(big.Zero(), 0).Total()
	transfer := pl.OnMethodInvocation(abi.NewTokenAmount(1), 0).Total()
	invoke := pl.OnMethodInvocation(big.Zero(), 2).Total()
	both := pl.OnMethodInvocation(abi.NewTokenAmount(1), 2).Total()
	if !(transfer > both && both > base && invoke < base) {
		t.Errorf("base %d transfer-only %d invoke %d transfer+invoke %d", base, transfer, invoke, both)
	}
	// The invoke discount and the transfer surcharge are independent.
	if both-invoke != pl.sendTransferFunds {
		t.Errorf("transfer surcharge with a method: %d", both-invoke)
	}
	if pl.OnDeleteActor().Total() >= 0 {
		t.Errorf("deleting an actor must refund gas")
	}
}

func TestOverEstimation(t *testing.T) {
	for _, c := range []struct {
		used, limit    int64
		refund, burned int64
	}{
		{0, 1000, 0, 1000},    // nothing used: all burned
		{1000, 1000, 0, 0},    // exact
		{1000, 1100, 100, 0},  // within 10%: all refunded
		{1000, 2100, 0, 1100}, // 2.1x: all unused burned
		{1000, 5000, 0, 4000}, // beyond: still all unused
	} {
		r, b := OverEstimation(c.used, c.limit)
		if r+b != c.limit-c.used {
			t.Errorf("used %d limit %d: refund %d + burn %d != unused", c.used, c.limit, r, b)
		}
		if r != c.refund || b != c.burned {
			t.Errorf("used %d limit %d: got (%d, %d), want (%d, %d)", c.used, c.limit, r, b, c.refund, c.burned)
		}
	}
	// Between 1.1x and 2.1x the burned share grows with the excess: at
	// limit 1.6x, over = 1600-1100 = 500 and burn = 600*500/1000.
	if _, b := OverEstimation(1000, 1600); b != 300 {
		t.Errorf("burn at 1.6x: %d", b)
	}
}

func TestComputeOutputsCapsAndPenalty(t *testing.T) {
	used, limit := int64(1000), int64(1000)
	// Fee cap below the base fee: the sender pays the cap, the miner is
	// penalised for the difference and gets no tip.
	o := ComputeOutputs(used, limit, abi.NewTokenAmount(100), abi.NewTokenAmount(60), abi.NewTokenAmount(5), true)
	if !o.BaseFeeBurn.Equals(big.NewInt(60*used)) || !o.MinerTip.IsZero() || !o.MinerPenalty.Equals(big.NewInt(40*used)) {
		t.Errorf("capped: burn %s tip %s penalty %s", o.BaseFeeBurn, o.MinerTip, o.MinerPenalty)
	}
	// Premium capped so base fee + tip stays within the fee cap.
	o = ComputeOutputs(used, limit, abi.NewTokenAmount(100), abi.NewTokenAmount(103), abi.NewTokenAmount(5), true)
	if !o.MinerTip.Equals(big.NewInt(3 * limit)) {
		t.Errorf("tip %s, want %d", o.MinerTip, 3*limit)
	}
	// Without the base fee burn the refund grows by exactly that amount.
	a := ComputeOutputs(used, 2000, abi.NewTokenAmount(100), abi.NewTokenAmount(200), abi.NewTokenAmount(1), true)
	b := ComputeOutputs(used, 2000, abi.NewTokenAmount(100), abi.NewTokenAmount(200), abi.NewTokenAmount(1), false)
	if !b.BaseFeeBurn.IsZero() || !big.Sub(b.Refund, a.Refund).Equals(a.BaseFeeBurn) {
		t.Errorf("no-burn refund %s vs %s (burn %s)", b.Refund, a.Refund, a.BaseFeeBurn)
	}
}
