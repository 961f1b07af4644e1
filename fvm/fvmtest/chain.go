package fvmtest

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/vm"
)

// Chain is a chain built on a World: every tipset executed on tvx's FVM,
// each header committing to the state and receipts its parent's execution
// produced, as a node would have stored them.
type Chain struct {
	Blocks *chain.MemBlocks
	Head   *chain.TipSet
	// NetworkVersion is in force at every height.
	NetworkVersion network.Version
	// Miner mines every block after genesis; the first tipset creates it.
	Miner address.Address
	// Messages are the CIDs of the chain's messages by what they do:
	// "CreateMiner" (height 1), "Send" (height 3, after a null round) and
	// "PubkeyAddress" (height 4).
	Messages map[string]cid.Cid
	// Tipsets are the tipsets that carry messages, in order.
	Tipsets []*chain.TipSet
}

// BuildChain builds a chain on w: genesis at 0, the miner's creation at 1,
// a transfer to a new account at 3, a call of the first account's
// PubkeyAddress at 4, and an empty tipset at 5 committing to the last
// results. w's store is the chain's: building writes into it.
func BuildChain(ctx context.Context, w *World) (*Chain, error) {
	miner := idAddr(FirstAccountID + uint64(len(w.Accounts)))
	out := &Chain{Blocks: w.Blocks, NetworkVersion: network.Version(w.NetworkVersion), Miner: miner, Messages: map[string]cid.Cid{}}
	b := &chainBuilder{ctx: ctx, w: w, cb: &chaintest.Builder{Blocks: w.Blocks}, root: w.Root, miner: miner}
	b.src = chain.NewBlockSource(w.Blocks, func() *chain.TipSet { return b.head }, chain.WithNetworkVersion(out.NetworkVersion))
	var err error
	if b.receipts, err = b.cb.Receipts(nil); err != nil {
		return nil, err
	}
	if b.head, err = b.cb.Genesis(w.Root, idAddr(SystemID)); err != nil {
		return nil, err
	}
	params, err := CreateMinerParams(idAddr(FirstAccountID))
	if err != nil {
		return nil, err
	}
	key := make([]byte, 48)
	key[0] = 0xee
	dest, err := address.NewBLSAddress(key)
	if err != nil {
		return nil, err
	}
	from := w.Accounts[0]
	msg := func(nonce uint64, to address.Address, method abi.MethodNum, params []byte, value abi.TokenAmount) *chain.Message {
		return &chain.Message{From: from, To: to, Nonce: nonce, Value: value, Method: method, Params: params,
			GasLimit: 200_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(50)}
	}
	for _, s := range []struct {
		height abi.ChainEpoch
		name   string
		msg    *chain.Message
	}{
		{1, "CreateMiner", msg(0, idAddr(PowerID), MethodPowerCreateMiner, params, big.Zero())},
		{3, "Send", msg(1, dest, 0, nil, FIL(1))},
		{4, "PubkeyAddress", msg(2, idAddr(FirstAccountID), 2, nil, big.Zero())},
	} {
		c, err := b.tipset(s.height, s.msg)
		if err != nil {
			return nil, err
		}
		out.Messages[s.name] = c
		out.Tipsets = append(out.Tipsets, b.head)
	}
	if _, err := b.tipset(5, nil); err != nil {
		return nil, err
	}
	out.Head = b.head
	return out, nil
}

// Source serves the chain, under its network version at every height.
func (c *Chain) Source() *chain.BlockSource {
	head := c.Head
	return chain.NewBlockSource(c.Blocks, func() *chain.TipSet { return head },
		chain.WithNetworkVersion(c.NetworkVersion), chain.WithCirculatingSupply(FIL(defaultRewardFunds)))
}

type chainBuilder struct {
	ctx   context.Context
	w     *World
	cb    *chaintest.Builder
	src   *chain.BlockSource
	miner address.Address
	head  *chain.TipSet
	// root and receipts are what executing head produced.
	root, receipts cid.Cid
}

// tipset adds a one-block tipset at h holding msg (if any, a BLS
// message), executes it, and returns the message's CID, failing unless the
// message succeeded.
func (b *chainBuilder) tipset(h abi.ChainEpoch, msg *chain.Message) (cid.Cid, error) {
	spec := chaintest.BlockSpec{Miner: b.miner, Ticket: []byte(fmt.Sprintf("ticket %d", h))}
	blk := vm.TipsetBlock{Miner: b.miner, WinCount: 1}
	if msg != nil {
		spec.Bls = append(spec.Bls, msg)
		raw, err := msg.Serialize()
		if err != nil {
			return cid.Undef, err
		}
		bm, err := vm.DecodeBlockMessage(raw)
		if err != nil {
			return cid.Undef, err
		}
		blk.BLSMessages = append(blk.BLSMessages, bm)
	}
	ts, err := b.cb.Tipset(b.head, chaintest.TipsetSpec{Height: h, ParentState: b.root, ParentReceipts: b.receipts,
		ParentBaseFee: big.NewInt(100), Blocks: []chaintest.BlockSpec{spec}})
	if err != nil {
		return cid.Undef, fmt.Errorf("fvmtest chain: tipset at %d: %w", h, err)
	}
	parent := b.head.Height()
	b.head = ts
	cfg := b.w.Config(h)
	cfg.Rand = chain.NewRand(b.src, ts.Key())
	res, err := fvm.ApplyTipset(b.ctx, b.w.Blocks, vm.Tipset{ParentState: b.root, ParentEpoch: parent, Epoch: h, Blocks: []vm.TipsetBlock{blk}}, cfg)
	if err != nil {
		return cid.Undef, fmt.Errorf("fvmtest chain: execute tipset at %d: %w", h, err)
	}
	b.root, b.receipts = res.StateRoot, res.ReceiptsRoot
	for _, a := range res.Applied {
		if a.Kind == vm.AppliedExplicit {
			if a.Result.ExitCode != 0 {
				return cid.Undef, fmt.Errorf("fvmtest chain: message at %d: exit %d: %s", h, a.Result.ExitCode, a.Result.Error)
			}
			return a.Cid, nil
		}
	}
	return cid.Undef, nil
}
