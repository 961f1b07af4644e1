package fvmtest

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/schema"
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
