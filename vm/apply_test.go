package vm

import (
	"context"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/gas"
)

var fil = big.NewInt(1_000_000_000_000_000_000)

// A successful transfer charges the on-chain size and one invocation, and
// the sender's escrow is split exactly into burn, tip and refund.
func TestTransferGasAndFees(t *testing.T) {
	w := newWorld(t)
	fromKey, fromID := w.account(1, fil)
	_, toID := w.account(2, big.Zero())
	root := w.root()
	m := w.machine(root, genesisConfig())

	msg := transferMsg(fromKey, toID, 0, 1000)
	res := apply(t, m, msg)
	if res.ExitCode != exitcode.Ok {
		t.Fatalf("exit %d: %s", res.ExitCode, res.Error)
	}
	n, _ := msg.ChainLength()
	pl := genesisPrices(t)
	want := pl.OnChainMessage(n).Total() + pl.OnMethodInvocation(msg.Value, 0).Total()
	if res.GasUsed != want {
		t.Fatalf("gas used %d, want %d (on-chain %d + invocation)", res.GasUsed, want, pl.OnChainMessage(n).Total())
	}
	// The secp sender pays for a 65-byte signature: the signed encoding is
	// the message plus an array header and a signature field (2-byte
	// header, type byte, 65 bytes).
	enc, _ := msg.Serialize()
	if n != len(enc)+1+2+1+65 {
		t.Fatalf("chain length %d for a %d-byte secp message", n, len(enc))
	}

	out := res.Outputs
	// base fee 100 < fee cap 200: the whole base fee is burned on gas used,
	// the tip is the premium on the whole limit.
	if !out.BaseFeeBurn.Equals(big.Mul(big.NewInt(100), big.NewInt(res.GasUsed))) {
		t.Errorf("base fee burn %s", out.BaseFeeBurn)
	}
	if !out.MinerTip.Equals(big.Mul(big.NewInt(10), big.NewInt(msg.GasLimit))) {
		t.Errorf("miner tip %s", out.MinerTip)
	}
	total := big.Sum(out.BaseFeeBurn, out.MinerTip, out.OverEstimationBurn, out.Refund)
	if !total.Equals(big.Mul(big.NewInt(msg.GasLimit), msg.GasFeeCap)) {
		t.Errorf("fees %s do not add up to the escrow", total)
	}

	spent := big.Sum(msg.Value, out.BaseFeeBurn, out.MinerTip, out.OverEstimationBurn)
	if got, want := w.balance(m, fromID), big.Sub(fil, spent); !got.Equals(want) {
		t.Errorf("sender balance %s, want %s", got, want)
	}
	if got := w.balance(m, toID); !got.Equals(msg.Value) {
		t.Errorf("receiver balance %s", got)
	}
	if got := w.balance(m, builtin0.BurntFundsActorAddr); !got.Equals(big.Add(out.BaseFeeBurn, out.OverEstimationBurn)) {
		t.Errorf("burnt funds %s", got)
	}
	if got := w.balance(m, builtin0.RewardActorAddr); !got.Equals(out.MinerTip) {
		t.Errorf("reward actor %s", got)
	}
	if w.nonce(m, fromID) != 1 {
		t.Errorf("nonce not incremented")
	}
	if _, err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Messages the sender cannot pay for or did not sequence are rejected
// before execution: no gas used, no state change, the miner is penalised.
func TestRejectedMessagesLeaveStateAlone(t *testing.T) {
	w := newWorld(t)
	fromKey, _ := w.account(1, big.NewInt(5_000_000))
	_, toID := w.account(2, big.Zero())
	unknown, _ := address.NewSecp256k1Address(append([]byte{4}, make([]byte, 64)...))
	root := w.root()

	cases := []struct {
		name    string
		msg     *Message
		code    exitcode.ExitCode
		penalty func(*Message) abi.TokenAmount
	}{
		{"bad nonce", transferMsg(fromKey, toID, 7, 1), exitcode.SysErrSenderStateInvalid, limitPenalty},
		// 10M gas at fee cap 200 is far more than the 5M attoFIL balance.
		{"escrow above balance", transferMsg(fromKey, toID, 0, 1), exitcode.SysErrSenderStateInvalid, limitPenalty},
		{"unknown sender", transferMsg(unknown, toID, 0, 1), exitcode.SysErrSenderInvalid, limitPenalty},
		{"non-account sender", transferMsg(builtin0.InitActorAddr, toID, 0, 1), exitcode.SysErrSenderInvalid, limitPenalty},
		{"limit below on-chain cost", func() *Message {
			m := transferMsg(fromKey, toID, 0, 1)
			m.GasLimit = 1000
			return m
		}(), exitcode.SysErrOutOfGas, func(m *Message) abi.TokenAmount {
			n, _ := m.ChainLength()
			return big.Mul(big.NewInt(100), big.NewInt(genesisPrices(t).OnChainMessage(n).Total()))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "bad nonce" {
				c.msg.GasLimit = 1000_000 // affordable, so only the nonce is wrong
				c.msg.GasFeeCap = abi.NewTokenAmount(1)
			}
			m := w.machine(root, genesisConfig())
			res := apply(t, m, c.msg)
			if res.ExitCode != c.code || res.GasUsed != 0 {
				t.Fatalf("exit %d gas %d, want exit %d gas 0 (%s)", res.ExitCode, res.GasUsed, c.code, res.Error)
			}
			if want := c.penalty(c.msg); !res.Outputs.MinerPenalty.Equals(want) {
				t.Errorf("miner penalty %s, want %s", res.Outputs.MinerPenalty, want)
			}
			after, err := m.Flush(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if after != root {
				t.Errorf("state changed by a rejected message")
			}
		})
	}
}

func limitPenalty(m *Message) abi.TokenAmount {
	return big.Mul(big.NewInt(100), big.NewInt(m.GasLimit))
}

// A transfer above the balance left after escrow fails with
// SysErrInsufficientFunds: the value stays, but gas is paid and the nonce moves.
func TestTransferAboveBalance(t *testing.T) {
	w := newWorld(t)
	fromKey, fromID := w.account(1, fil)
	_, toID := w.account(2, big.Zero())
	m := w.machine(w.root(), genesisConfig())

	msg := transferMsg(fromKey, toID, 0, 0)
	msg.Value = fil
	res := apply(t, m, msg)
	if res.ExitCode != exitcode.SysErrInsufficientFunds {
		t.Fatalf("exit %d, want %d (%s)", res.ExitCode, exitcode.SysErrInsufficientFunds, res.Error)
	}
	if res.GasUsed == 0 {
		t.Fatal("no gas charged for an executed message")
	}
	paid := big.Sum(res.Outputs.BaseFeeBurn, res.Outputs.MinerTip, res.Outputs.OverEstimationBurn)
	if got := w.balance(m, fromID); !got.Equals(big.Sub(fil, paid)) {
		t.Errorf("sender balance %s, want %s", got, big.Sub(fil, paid))
	}
	if got := w.balance(m, toID); !got.IsZero() {
		t.Errorf("receiver got %s", got)
	}
	if w.nonce(m, fromID) != 1 {
		t.Errorf("nonce not incremented")
	}
}

// Running out of gas mid-execution uses the whole limit and reverts the send.
func TestOutOfGasUsesWholeLimit(t *testing.T) {
	w := newWorld(t)
	fromKey, _ := w.account(1, fil)
	_, toID := w.account(2, big.Zero())
	m := w.machine(w.root(), genesisConfig())

	msg := transferMsg(fromKey, toID, 0, 5)
	n, _ := msg.ChainLength()
	msg.GasLimit = genesisPrices(t).OnChainMessage(n).Total() + 100 // not enough for the invocation
	res := apply(t, m, msg)
	if res.ExitCode != exitcode.SysErrOutOfGas || res.GasUsed != msg.GasLimit {
		t.Fatalf("exit %d gas %d, want exit 7 gas %d", res.ExitCode, res.GasUsed, msg.GasLimit)
	}
	if got := w.balance(m, toID); !got.IsZero() {
		t.Errorf("value moved despite out of gas: %s", got)
	}
}

// Sending to an unknown key address creates an account actor for it,
// charging the creation and the account constructor's state writes.
func TestImplicitAccountCreation(t *testing.T) {
	w := newWorld(t)
	fromKey, _ := w.account(1, fil)
	newKey, _ := address.NewSecp256k1Address(append([]byte{4, 9}, make([]byte, 63)...))
	m := w.machine(w.root(), Config{NetworkVersion: 0, TraceGas: true})

	res := apply(t, m, transferMsg(fromKey, newKey, 0, 42))
	if res.ExitCode != 0 {
		t.Fatalf("exit %d: %s", res.ExitCode, res.Error)
	}
	id, err := m.StateTree().LookupID(newKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.balance(m, id); !got.Equals(abi.NewTokenAmount(42)) {
		t.Errorf("new account balance %s", got)
	}
	var names []string
	for _, c := range res.GasTrace {
		if c.Total() != 0 {
			names = append(names, c.Name)
		}
	}
	// The account constructor only creates its state (one put).
	want := []string{"OnChainMessage", "OnCreateActor", "OnMethodInvocation", "OnIpldPut", "OnMethodInvocation"}
	if len(names) != len(want) {
		t.Fatalf("charges %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("charges %v, want %v", names, want)
		}
	}
	var sum int64
	for _, c := range res.GasTrace {
		sum += c.Total()
	}
	if sum != res.GasUsed {
		t.Errorf("trace sums to %d, gas used %d", sum, res.GasUsed)
	}
	// The constructor ran in a subcall frame opened by the top frame.
	if len(res.FrameParents) != 2 || res.FrameParents[1] != 0 {
		t.Errorf("frames %v", res.FrameParents)
	}
}

func genesisPrices(t *testing.T) *gas.PriceList {
	t.Helper()
	pl, err := gas.ForEra(protocol.PricesGenesis)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}
