package driver

import (
	"context"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	tvschema "github.com/filecoin-project/test-vectors/schema"

	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/fvmtest"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// fvmTipsetVector is a tipset vector on a built nv17 state: the first
// account creates a miner (ID 101) at epoch 1, which mines both tipsets; at
// epoch 3 (after a null round) it pays a new account, in two blocks.
// Postconditions come from fvm.ApplyTipset run directly.
func fvmTipsetVector(t *testing.T) *schema.Vector {
	t.Helper()
	ctx := context.Background()
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := address.NewIDAddress(fvmtest.FirstAccountID)
	power, _ := address.NewIDAddress(fvmtest.PowerID)
	miner, _ := address.NewIDAddress(fvmtest.FirstAccountID + 1)
	params, err := fvmtest.CreateMinerParams(owner)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 48)
	key[0] = 0xee
	dest, _ := address.NewBLSAddress(key)
	raw := func(nonce uint64, to address.Address, method abi.MethodNum, params []byte, value abi.TokenAmount) []byte {
		m := &vm.Message{From: w.Accounts[0], To: to, Nonce: nonce, Value: value, Method: method, Params: params,
			GasLimit: 200_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(50)}
		b, err := m.Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pay := raw(1, dest, 0, nil, fvmtest.FIL(1))
	tipsets := []schema.Tipset{
		{EpochOffset: 1, BaseFee: *big.NewInt(100).Int, Blocks: []schema.Block{
			{MinerAddr: miner, WinCount: 1, Messages: []tvschema.Base64EncodedBytes{raw(0, power, fvmtest.MethodPowerCreateMiner, params, big.Zero())}},
		}},
		{EpochOffset: 3, BaseFee: *big.NewInt(120).Int, Blocks: []schema.Block{
			{MinerAddr: miner, WinCount: 1, Messages: []tvschema.Base64EncodedBytes{pay}},
			{MinerAddr: miner, WinCount: 2, Messages: []tvschema.Base64EncodedBytes{pay}},
		}},
	}
	v, err := w.TipsetVector("fvm-built-tipsets", 0, tipsets)
	if err != nil {
		t.Fatal(err)
	}

	root, parent := w.Root, abi.ChainEpoch(0)
	for i, st := range tipsets {
		ts := vm.Tipset{ParentState: root, ParentEpoch: parent, Epoch: abi.ChainEpoch(st.EpochOffset)}
		for _, b := range st.Blocks {
			blk := vm.TipsetBlock{Miner: b.MinerAddr, WinCount: b.WinCount}
			for _, m := range b.Messages {
				bm, err := vm.DecodeBlockMessage(m)
				if err != nil {
					t.Fatal(err)
				}
				blk.BLSMessages = append(blk.BLSMessages, bm)
			}
			ts.Blocks = append(ts.Blocks, blk)
		}
		cfg := w.Config(0)
		cfg.BaseFee = big.NewFromGo(&st.BaseFee)
		res, err := fvm.ApplyTipset(ctx, w.Blocks, ts, cfg)
		if err != nil {
			t.Fatalf("tipset %d: %v", i, err)
		}
		for _, a := range res.Applied {
			if a.Kind == vm.AppliedExplicit && a.Result.ExitCode != 0 {
				t.Fatalf("tipset %d: message exit %d: %s", i, a.Result.ExitCode, a.Result.Error)
			}
			v.Post.Receipts = append(v.Post.Receipts, &schema.Receipt{ExitCode: int64(a.Result.ExitCode), ReturnValue: a.Result.Return, GasUsed: a.Result.GasUsed})
		}
		v.Post.ReceiptsRoots = append(v.Post.ReceiptsRoots, res.ReceiptsRoot)
		root, parent = res.StateRoot, ts.Epoch
	}
	v.Post.StateTree.RootCID = root
	return v
}

// TestFVMTipsetVectorThroughDriver runs a tipset vector on a built nv17
// state through the default driver, which must pick the FVM's tipset
// execution, and checks that a changed receipt or root fails it.
func TestFVMTipsetVectorThroughDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a state with actor code")
	}
	v := fvmTipsetVector(t)
	// null-round cron at 2 is among the receipts: tipset 0 has its message,
	// reward and cron; tipset 1 a cron at 2, then message, two rewards, cron.
	if len(v.Post.Receipts) != 3+5 {
		t.Fatalf("%d receipts recorded", len(v.Post.Receipts))
	}
	ctx := context.Background()
	if o := New().Run(ctx, v, v.Pre.Variants[0]); o.Status != Pass {
		t.Fatalf("%s: %s\n%s", o.Status, o.Reason, o.Detail)
	}

	v.Post.Receipts[4].GasUsed++
	o := New().Run(ctx, v, v.Pre.Variants[0])
	if o.Status != Fail || !strings.Contains(o.Reason, "tipset 1 receipt 4 (message") || !strings.Contains(o.Reason, "gas used") {
		t.Errorf("raised gas: %s: %s", o.Status, o.Reason)
	}
	v.Post.Receipts[4].GasUsed--

	v.Post.StateTree.RootCID = v.Pre.StateTree.RootCID
	if o := New().Run(ctx, v, v.Pre.Variants[0]); o.Status != Fail || !strings.Contains(o.Reason, "post state root") {
		t.Errorf("wrong root: %s: %s", o.Status, o.Reason)
	}
}
