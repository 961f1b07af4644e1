package gas

import (
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
)

func mustEra(t *testing.T, era string) *PriceList {
	t.Helper()
	pl, err := ForEra(era)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func TestForEra(t *testing.T) {
	for _, era := range []string{"genesis", "calico"} {
		if got := mustEra(t, era).Era(); got != era {
			t.Errorf("era %s: list of %s", era, got)
		}
	}
	if _, err := ForEra("hygge"); err == nil {
		t.Error("unknown era accepted")
	}
	// Calico raised the storage multiplier: the same message costs more.
	if g, c := mustEra(t, "genesis").OnChainMessage(100).Total(), mustEra(t, "calico").OnChainMessage(100).Total(); c <= g {
		t.Errorf("calico on-chain cost %d not above genesis %d", c, g)
	}
}

func TestMethodInvocationComponents(t *testing.T) {
	pl := mustEra(t, "genesis")
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

// The syscall prices that arrived with later network versions (aggregate
// seal verification with actors v5, replica updates with v7) live in the
// Calico list, the last one before the FVM; the genesis list charges
// nothing for them. Figures are Lotus v1.15.3 chain/vm/gas.go's.
func TestLaterSyscallPrices(t *testing.T) {
	cal, gen := mustEra(t, "calico"), mustEra(t, "genesis")
	const (
		seal32 = abi.RegisteredSealProof_StackedDrg32GiBV1_1
		seal64 = abi.RegisteredSealProof_StackedDrg64GiBV1_1
	)
	for _, c := range []struct {
		pl    *PriceList
		proof abi.RegisteredSealProof
		n     int
		want  int64
	}{
		{cal, seal32, 3, 449900 * 3},                                               // below the first step
		{cal, seal32, 4, 449900*4 + 103994170},                                     // first step
		{cal, seal32, 12, 449900*12 + 112356810},                                   // within the [7, 13) band
		{cal, seal32, 500, 449900*500 + 528274980},                                 // past the last step
		{cal, seal64, 7, 359272*7 + 110803030},                                     // 64GiB has its own table
		{cal, abi.RegisteredSealProof_StackedDrg2KiBV1_1, 4, 449900*4 + 103994170}, // others priced as 32GiB
		{gen, seal32, 4, 0},
	} {
		if got := c.pl.OnVerifyAggregateSeals(c.proof, c.n).Total(); got != c.want {
			t.Errorf("%s: aggregate of %d %d seals: %d, want %d", c.pl.Era(), c.n, c.proof, got, c.want)
		}
	}
	if got := cal.OnVerifyReplicaUpdate().Total(); got != 36316136 {
		t.Errorf("calico replica update %d", got)
	}
	if got := gen.OnVerifyReplicaUpdate().Total(); got != 0 {
		t.Errorf("genesis replica update %d", got)
	}
	w32 := abi.RegisteredPoStProof_StackedDrgWindow32GiBV1
	for _, c := range []struct {
		pl   *PriceList
		ok   bool
		want int64
	}{
		{cal, true, 117680921 + 43780*10},
		{gen, true, (748593537 + 85639*10) / 2},
		{gen, false, (123861062 + 9226981*10) / 2}, // no proof: the 512MiB price
	} {
		if got := c.pl.OnVerifyPost(w32, c.ok, 10).Total(); got != c.want {
			t.Errorf("%s window PoSt (proof given %v): %d, want %d", c.pl.Era(), c.ok, got, c.want)
		}
	}
}
