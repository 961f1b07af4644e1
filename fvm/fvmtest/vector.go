package fvmtest

import (
	"bytes"
	"context"
	"fmt"
	"math/big"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	fbig "github.com/filecoin-project/go-state-types/big"
	tvschema "github.com/filecoin-project/test-vectors/schema"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TipsetVector is a tipset-class vector on the World's state: its CAR holds
// every block the World wrote, its one variant runs at epoch under the
// World's network version, and its tipsets are ts. Postconditions are left
// empty (an undefined post-state root): the caller fills them from a run,
// or builds a chain from the vector, which computes them.
func (w *World) TipsetVector(id string, epoch int64, ts []schema.Tipset) (*schema.Vector, error) {
	var car bytes.Buffer
	if err := chain.WriteCAR(&car, []cid.Cid{w.Root}, w.Blocks.All()); err != nil {
		return nil, fmt.Errorf("fvmtest: write state CAR: %w", err)
	}
	gz, err := schema.EncodeCAR(car.Bytes())
	if err != nil {
		return nil, fmt.Errorf("fvmtest: gzip state CAR: %w", err)
	}
	v := &schema.Vector{Path: id}
	v.Class = schema.ClassTipset
	v.Meta = &schema.Metadata{ID: id}
	v.CAR = gz
	v.Pre = &schema.Preconditions{
		Variants:   []schema.Variant{{ID: fmt.Sprintf("nv%d", w.NetworkVersion), Epoch: epoch, NetworkVersion: w.NetworkVersion}},
		StateTree:  &schema.StateTree{RootCID: w.Root},
		BaseFee:    big.NewInt(100),
		CircSupply: FIL(defaultRewardFunds).Int,
	}
	v.Post = &schema.Postconditions{StateTree: &schema.StateTree{RootCID: cid.Undef}}
	v.ApplyTipsets = ts
	return v, nil
}

// MinerTipsets are two tipsets for a World's TipsetVector at epoch 0: at
// offset 1 the first account creates a miner (the next actor ID), which
// mines both; at offset 3, after a null round, two blocks carry the same
// transfer to a new account (applied once).
func (w *World) MinerTipsets() ([]schema.Tipset, error) {
	owner := idAddr(FirstAccountID)
	miner := idAddr(FirstAccountID + uint64(len(w.Accounts)))
	params, err := CreateMinerParams(owner)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 48)
	key[0] = 0xee
	dest, err := address.NewBLSAddress(key)
	if err != nil {
		return nil, err
	}
	raw := func(nonce uint64, to address.Address, method abi.MethodNum, params []byte, value abi.TokenAmount) ([]byte, error) {
		m := &vm.Message{From: w.Accounts[0], To: to, Nonce: nonce, Value: value, Method: method, Params: params,
			GasLimit: 200_000_000, GasFeeCap: fbig.NewInt(1000), GasPremium: fbig.NewInt(50)}
		return m.Serialize()
	}
	create, err := raw(0, idAddr(PowerID), MethodPowerCreateMiner, params, fbig.Zero())
	if err != nil {
		return nil, err
	}
	pay, err := raw(1, dest, 0, nil, FIL(1))
	if err != nil {
		return nil, err
	}
	return []schema.Tipset{
		{EpochOffset: 1, BaseFee: *big.NewInt(100), Blocks: []schema.Block{
			{MinerAddr: miner, WinCount: 1, Messages: []tvschema.Base64EncodedBytes{create}},
		}},
		{EpochOffset: 3, BaseFee: *big.NewInt(120), Blocks: []schema.Block{
			{MinerAddr: miner, WinCount: 1, Messages: []tvschema.Base64EncodedBytes{pay}},
			{MinerAddr: miner, WinCount: 2, Messages: []tvschema.Base64EncodedBytes{pay}},
		}},
	}, nil
}

// Expect fills v's postconditions (every receipt, the receipts roots, the
// final state root) by executing its tipsets with fvm.ApplyTipset on the
// World's store; v must be a TipsetVector of w at epoch 0 whose messages
// are BLS messages.
func (w *World) Expect(ctx context.Context, v *schema.Vector) error {
	root, parent := v.Pre.StateTree.RootCID, abi.ChainEpoch(v.Pre.Variants[0].Epoch)
	v.Post.Receipts, v.Post.ReceiptsRoots = nil, nil
	for i, st := range v.ApplyTipsets {
		ts := vm.Tipset{ParentState: root, ParentEpoch: parent, Epoch: abi.ChainEpoch(v.Pre.Variants[0].Epoch + st.EpochOffset)}
		for _, b := range st.Blocks {
			blk := vm.TipsetBlock{Miner: b.MinerAddr, WinCount: b.WinCount}
			for _, m := range b.Messages {
				bm, err := vm.DecodeBlockMessage(m)
				if err != nil {
					return err
				}
				blk.BLSMessages = append(blk.BLSMessages, bm)
			}
			ts.Blocks = append(ts.Blocks, blk)
		}
		cfg := w.Config(0)
		cfg.BaseFee = fbig.NewFromGo(&st.BaseFee)
		res, err := fvm.ApplyTipset(ctx, w.Blocks, ts, cfg)
		if err != nil {
			return fmt.Errorf("fvmtest: tipset %d: %w", i, err)
		}
		for _, a := range res.Applied {
			if a.Kind == vm.AppliedExplicit && a.Result.ExitCode != 0 {
				return fmt.Errorf("fvmtest: tipset %d: message exit %d: %s", i, a.Result.ExitCode, a.Result.Error)
			}
			v.Post.Receipts = append(v.Post.Receipts, &schema.Receipt{ExitCode: int64(a.Result.ExitCode), ReturnValue: a.Result.Return, GasUsed: a.Result.GasUsed})
		}
		v.Post.ReceiptsRoots = append(v.Post.ReceiptsRoots, res.ReceiptsRoot)
		root, parent = res.StateRoot, ts.Epoch
	}
	v.Post.StateTree.RootCID = root
	return nil
}
