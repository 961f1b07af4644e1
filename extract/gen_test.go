package extract

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	fbig "github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// genCall is one kind of generated message; together they reach several
// (receiver code, method, exit code) outcomes on the genesis state of the
// corpus's penalties vectors (accounts f0100, f0103 and f0106 hold funds,
// f0102 is a miner, f01 the init actor).
type genCall struct {
	from, to uint64
	value    int64
	huge     bool // a value above every balance
	method   abi.MethodNum
	params   []byte
}

var genCalls = []genCall{
	{from: 100, to: 103, value: 1000},                         // account Send Ok
	{from: 103, to: 106, method: 2},                           // account PubkeyAddress Ok
	{from: 106, to: 100, method: 99},                          // account 99 SysErrInvalidMethod
	{from: 100, to: 104, huge: true},                          // account Send SysErrInsufficientFunds
	{from: 103, to: 1, method: 2, params: []byte{0x82, 0x00}}, // init Exec: bad params
	{from: 106, to: 102, method: 1},                           // miner Constructor: forbidden
}

func idAddr(t testing.TB, id uint64) address.Address {
	a, err := address.NewIDAddress(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// genVector makes a tipset vector of n tipsets on the pre-state of the
// corpus vector "penalties--not-penalized-insufficient-gas-for-return--genesis":
// one or two blocks each, a few generated messages per tipset, a base fee
// that changes, and a null round every seventh height. Its postconditions
// are left empty: chainbuild.Build computes the chain, which is what the tests
// extract from.
func genVector(t testing.TB, n int) *schema.Vector {
	t.Helper()
	base := corpusVector(t, "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	v := &schema.Vector{Path: "generated"}
	v.Class = schema.ClassTipset
	v.Meta = &schema.Metadata{ID: "generated"}
	v.CAR = base.CAR
	v.Pre = &schema.Preconditions{Variants: base.Pre.Variants, StateTree: base.Pre.StateTree}
	v.Post = &schema.Postconditions{StateTree: &schema.StateTree{RootCID: cid.Undef}}
	nonces := map[uint64]uint64{}
	miners := []address.Address{idAddr(t, 102), idAddr(t, 105)}
	offset := int64(1)
	call := 0
	for i := 0; i < n; i++ {
		if (offset+1)%7 == 0 {
			offset++ // a null round
		}
		nblocks := 1 + i%2
		ts := schema.Tipset{EpochOffset: offset, BaseFee: *big.NewInt(int64(100 + i%13))}
		for b := 0; b < nblocks; b++ {
			blk := schema.Block{MinerAddr: miners[b], WinCount: 1}
			for k := 0; k < 2; k++ {
				c := genCalls[call%len(genCalls)]
				call++
				value := fbig.NewInt(c.value)
				if c.huge {
					value = fbig.Mul(vm.TotalFilecoin(), fbig.NewInt(10))
				}
				m := &vm.Message{
					To: idAddr(t, c.to), From: idAddr(t, c.from), Nonce: nonces[c.from],
					Value: value, GasLimit: 10_000_000, GasFeeCap: fbig.NewInt(300), GasPremium: fbig.NewInt(1),
					Method: c.method, Params: c.params,
				}
				nonces[c.from]++
				raw, err := m.Serialize()
				if err != nil {
					t.Fatal(err)
				}
				blk.Messages = append(blk.Messages, raw)
			}
			ts.Blocks = append(ts.Blocks, blk)
		}
		v.ApplyTipsets = append(v.ApplyTipsets, ts)
		offset++
	}
	return v
}

// genChain builds genVector(n)'s chain and returns it with its CAR.
func genChain(t testing.TB, n int) (*chainbuild.Chain, []byte) {
	t.Helper()
	v := genVector(t, n)
	b, err := chainbuild.Build(context.Background(), v, v.Pre.Variants[0])
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.WriteCAR(&buf); err != nil {
		t.Fatal(err)
	}
	return b, buf.Bytes()
}
