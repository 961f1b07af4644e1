package fvm_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	power8 "github.com/filecoin-project/go-state-types/builtin/v8/power"
	reward8 "github.com/filecoin-project/go-state-types/builtin/v8/reward"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/fvmtest"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm"
)

// blockMsg is msg as a block carries it (BLS senders: bare).
func blockMsg(t *testing.T, msg *vm.Message) vm.BlockMessage {
	t.Helper()
	b, err := msg.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	bm, err := vm.DecodeBlockMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return bm
}

func idAddr(id uint64) address.Address {
	a, _ := address.NewIDAddress(id)
	return a
}

// minerTipset is the tipset the tests run on a World: two null rounds,
// then block 0 (the first account creates a miner — ID 101 — sends one FIL
// to a new account and sends a message with a wrong nonce) and block 1
// repeating the transfer, both blocks mined by the new miner.
func minerTipset(t *testing.T, w *fvmtest.World) (vm.Tipset, []*vm.Message) {
	t.Helper()
	from := w.Accounts[0]
	params, err := fvmtest.CreateMinerParams(idAddr(fvmtest.FirstAccountID))
	if err != nil {
		t.Fatal(err)
	}
	newKey := make([]byte, 48)
	newKey[0] = 0xee
	dest, _ := address.NewBLSAddress(newKey)
	msg := func(nonce uint64, to address.Address, method abi.MethodNum, params []byte, value abi.TokenAmount) *vm.Message {
		return &vm.Message{From: from, To: to, Nonce: nonce, Value: value, Method: method, Params: params,
			GasLimit: 200_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(50)}
	}
	msgs := []*vm.Message{
		msg(0, idAddr(fvmtest.PowerID), fvmtest.MethodPowerCreateMiner, params, big.Zero()),
		msg(1, dest, 0, nil, fvmtest.FIL(1)),
		msg(7, dest, 0, nil, fvmtest.FIL(1)), // wrong nonce: penalised
	}
	miner := idAddr(fvmtest.FirstAccountID + 1)
	ts := vm.Tipset{ParentState: w.Root, ParentEpoch: 0, Epoch: 3, Blocks: []vm.TipsetBlock{
		{Miner: miner, WinCount: 1, BLSMessages: []vm.BlockMessage{blockMsg(t, msgs[0]), blockMsg(t, msgs[1]), blockMsg(t, msgs[2])}},
		{Miner: miner, WinCount: 2, BLSMessages: []vm.BlockMessage{blockMsg(t, msgs[1])}},
	}}
	return ts, msgs
}

// totalBalance sums every actor's balance in the state at root.
func totalBalance(t *testing.T, w *fvmtest.World, root cid.Cid) abi.TokenAmount {
	t.Helper()
	tree, err := state.Load(context.Background(), ipldcbor.NewCborStore(w.Blocks), root)
	if err != nil {
		t.Fatal(err)
	}
	sum := big.Zero()
	for id := uint64(0); id < 200; id++ {
		a, ok, err := tree.GetActor(id)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			sum = big.Add(sum, a.Balance)
		}
	}
	return sum
}

func actorAt(t *testing.T, w *fvmtest.World, root cid.Cid, id uint64) *state.Actor {
	t.Helper()
	tree, err := state.Load(context.Background(), ipldcbor.NewCborStore(w.Blocks), root)
	if err != nil {
		t.Fatal(err)
	}
	a, ok, err := tree.GetActor(id)
	if err != nil || !ok {
		t.Fatalf("actor %d: %v (found %v)", id, err, ok)
	}
	return a
}

func loadState(t *testing.T, w *fvmtest.World, head cid.Cid, out cbg.CBORUnmarshaler) {
	t.Helper()
	blk, err := w.Blocks.Get(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.UnmarshalCBOR(bytes.NewReader(blk.RawData())); err != nil {
		t.Fatal(err)
	}
}

// TestApplyTipsetOnBuiltState executes a tipset with null rounds, a
// miner's creation, a transfer included twice and a penalised message on
// states the v8 (nv16), v9 (nv17) and v10 (nv18) bundles built, and checks what the
// actors' own state says happened against the tipset's results.
func TestApplyTipsetOnBuiltState(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiles and runs several actors")
	}
	for _, nv := range []uint{16, 17, 18} {
		t.Run(map[uint]string{16: "nv16", 17: "nv17", 18: "nv18"}[nv], func(t *testing.T) {
			ctx := context.Background()
			w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: nv})
			if err != nil {
				t.Fatal(err)
			}
			ts, msgs := minerTipset(t, w)
			res, err := fvm.ApplyTipset(ctx, w.Blocks, ts, w.Config(0))
			if err != nil {
				t.Fatal(err)
			}

			// The order: null-round crons, block 0's three messages and
			// reward, block 1's reward (its one message was seen), cron.
			type step struct {
				kind  vm.AppliedKind
				epoch abi.ChainEpoch
				block int
			}
			want := []step{{vm.AppliedCron, 1, -1}, {vm.AppliedCron, 2, -1},
				{vm.AppliedExplicit, 3, 0}, {vm.AppliedExplicit, 3, 0}, {vm.AppliedExplicit, 3, 0},
				{vm.AppliedReward, 3, 0}, {vm.AppliedReward, 3, 1}, {vm.AppliedCron, 3, -1}}
			if len(res.Applied) != len(want) {
				t.Fatalf("%d messages applied, want %d", len(res.Applied), len(want))
			}
			for i, a := range res.Applied {
				if (step{a.Kind, a.Epoch, a.Block}) != want[i] {
					t.Errorf("applied[%d] = %s epoch %d block %d, want %+v", i, a.Kind, a.Epoch, a.Block, want[i])
				}
				if a.Kind != vm.AppliedExplicit && (a.Message.GasLimit != fvm.ImplicitMessageGasLimit || a.Message.From != idAddr(0)) {
					t.Errorf("applied[%d]: implicit message from %s with gas limit %d", i, a.Message.From, a.Message.GasLimit)
				}
			}
			ex := res.Explicit()
			if ex[0].Result.ExitCode != 0 || ex[1].Result.ExitCode != 0 {
				t.Fatalf("create miner exit %d (%s), transfer exit %d", ex[0].Result.ExitCode, ex[0].Result.Error, ex[1].Result.ExitCode)
			}
			if ex[2].Result.ExitCode != exitcode.SysErrSenderStateInvalid {
				t.Errorf("wrong-nonce message exit %d", ex[2].Result.ExitCode)
			}
			penalty := big.Mul(big.NewInt(100), big.NewInt(msgs[2].GasLimit))
			if !ex[2].Result.Outputs.MinerPenalty.Equals(penalty) {
				t.Errorf("penalty %s, want base fee times gas limit %s", ex[2].Result.Outputs.MinerPenalty, penalty)
			}

			// The FVM mints nothing: rewards move FIL from the reward actor.
			if before, after := totalBalance(t, w, w.Root), totalBalance(t, w, res.StateRoot); !before.Equals(after) {
				t.Errorf("total FIL %s before, %s after", before, after)
			}
			// What the reward actor paid out is what its state says it
			// awarded to miners; the tips it took in passed on.
			var rw0, rw1 reward8.State
			r0, r1 := actorAt(t, w, w.Root, fvmtest.RewardID), actorAt(t, w, res.StateRoot, fvmtest.RewardID)
			loadState(t, w, r0.Head, &rw0)
			loadState(t, w, r1.Head, &rw1)
			paid := big.Sub(r0.Balance, r1.Balance)
			if awarded := big.Sub(rw1.TotalStoragePowerReward, rw0.TotalStoragePowerReward); paid.Sign() <= 0 || !paid.Equals(awarded) {
				t.Errorf("reward actor paid %s, its state awarded %s", paid, awarded)
			}
			// The last cron moved the reward actor past the tipset's epoch.
			if rw1.Epoch != ts.Epoch+1 {
				t.Errorf("reward epoch %d -> %d, want %d", rw0.Epoch, rw1.Epoch, ts.Epoch+1)
			}
			var pw power8.State
			loadState(t, w, actorAt(t, w, res.StateRoot, fvmtest.PowerID).Head, &pw)
			if pw.MinerCount != 1 {
				t.Errorf("power actor counts %d miners", pw.MinerCount)
			}
			if m := actorAt(t, w, res.StateRoot, fvmtest.FirstAccountID+1); m.Balance.Sign() <= 0 {
				t.Errorf("miner balance %s after its rewards", m.Balance)
			}

			// The receipts AMT holds the explicit receipts in order.
			arr, err := adt0.AsArray(adt0.WrapStore(ctx, ipldcbor.NewCborStore(w.Blocks)), res.ReceiptsRoot)
			if err != nil {
				t.Fatal(err)
			}
			if arr.Length() != uint64(len(ex)) {
				t.Fatalf("receipts AMT holds %d, want %d", arr.Length(), len(ex))
			}
			for i, a := range ex {
				var d cbg.Deferred
				if ok, err := arr.Get(uint64(i), &d); err != nil || !ok {
					t.Fatalf("receipt %d: %v", i, err)
				}
				code, gas := decodeReceipt(t, d.Raw, nv >= 18)
				if code != int64(a.Result.ExitCode) || gas != a.Result.GasUsed {
					t.Errorf("receipt %d: AMT (%d, %d), applied (%d, %d)", i, code, gas, a.Result.ExitCode, a.Result.GasUsed)
				}
			}

			// Before nv18 the chain's own receipts AMT of the same receipts
			// has the same root.
			var chainReceipts []*chain.MessageReceipt
			for _, a := range ex {
				chainReceipts = append(chainReceipts, &chain.MessageReceipt{ExitCode: a.Result.ExitCode, Return: a.Result.Return, GasUsed: a.Result.GasUsed})
			}
			if c, err := chain.StoreReceipts(ctx, w.Blocks, chainReceipts); nv < 18 && (err != nil || c != res.ReceiptsRoot) {
				t.Errorf("chain receipts root %s (%v), tipset's %s", c, err, res.ReceiptsRoot)
			}

			// The same tipset again gives the same roots.
			res2, err := fvm.ApplyTipset(ctx, w.Blocks, ts, w.Config(0))
			if err != nil {
				t.Fatal(err)
			}
			if res2.StateRoot != res.StateRoot || res2.ReceiptsRoot != res.ReceiptsRoot {
				t.Errorf("second run: %s %s, first %s %s", res2.StateRoot, res2.ReceiptsRoot, res.StateRoot, res.ReceiptsRoot)
			}

			// Message by message: the explicit messages applied alone, on
			// the state the null rounds left, give the same receipts.
			nulls, err := fvm.ApplyTipset(ctx, w.Blocks, vm.Tipset{ParentState: w.Root, ParentEpoch: 0, Epoch: 2}, w.Config(0))
			if err != nil {
				t.Fatal(err)
			}
			// That run's own cron at 2 is the second null round's cron.
			root := nulls.StateRoot
			for i, m := range msgs {
				mach, err := fvm.New(ctx, w.Blocks, root, w.Config(3))
				if err != nil {
					t.Fatal(err)
				}
				r, post, err := vm.ApplyOne(ctx, mach, m, "FVM")
				if err != nil {
					t.Fatal(err)
				}
				if r.ExitCode != ex[i].Result.ExitCode || r.GasUsed != ex[i].Result.GasUsed || !bytes.Equal(r.Return, ex[i].Result.Return) {
					t.Errorf("message %d alone: exit %d gas %d, in the tipset exit %d gas %d", i, r.ExitCode, r.GasUsed, ex[i].Result.ExitCode, ex[i].Result.GasUsed)
				}
				root = post
			}
		})
	}
}

// decodeReceipt reads a receipt of the receipts AMT: three fields, or
// from nv18 (v1) four, the last a null events root (no actor here emits
// events).
func decodeReceipt(t *testing.T, raw []byte, v1 bool) (code, gas int64) {
	t.Helper()
	r := cbg.GetPeeker(bytes.NewReader(raw))
	maj, n, err := cbg.CborReadHeader(r)
	want := uint64(3)
	if v1 {
		want = 4
	}
	if err != nil || maj != cbg.MajArray || n != want {
		t.Fatalf("receipt header %d %d %v", maj, n, err)
	}
	readInt := func() int64 {
		maj, v, err := cbg.CborReadHeader(r)
		if err != nil {
			t.Fatal(err)
		}
		if maj == cbg.MajNegativeInt {
			return -int64(v) - 1
		}
		return int64(v)
	}
	code = readInt()
	if _, err := cbg.ReadByteArray(r, 1<<20); err != nil {
		t.Fatal(err)
	}
	gas = readInt()
	if v1 {
		if b, err := r.ReadByte(); err != nil || b != cbg.CborNull[0] {
			t.Fatalf("events root %x %v, want null", b, err)
		}
	}
	return code, gas
}

// TestApplyTipsetRewardFailureIsFatal gives a block a win count of zero:
// the reward actor refuses to pay it, and the tipset has no valid outcome.
func TestApplyTipsetRewardFailureIsFatal(t *testing.T) {
	ctx := context.Background()
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	ts := vm.Tipset{ParentState: w.Root, ParentEpoch: 0, Epoch: 1, Blocks: []vm.TipsetBlock{{Miner: idAddr(999), WinCount: 0}}}
	_, err = fvm.ApplyTipset(ctx, w.Blocks, ts, w.Config(0))
	if err == nil || !strings.Contains(err.Error(), "block reward for miner") || !strings.Contains(err.Error(), "invalid win count") || !errors.Is(err, vm.ErrFatal) {
		t.Fatalf("error %v, want the block reward's failure", err)
	}
}
