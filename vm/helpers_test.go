package vm

import (
	"context"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"

	"github.com/tvx-project/tvx/vm/state"
)

// world is a hand-built genesis-era (actors v0) state: system, init,
// reward and burnt-funds actors plus key-addressed accounts.
type world struct {
	t     *testing.T
	ctx   context.Context
	bs    blockstore.Blockstore
	store ipldcbor.IpldStore
	tree  *state.Tree
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	bs := blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.New(ctx, store, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, bs: bs, store: store, tree: tree}

	emptyMap, err := adt0.MakeEmptyMap(adt0.WrapStore(ctx, store)).Root()
	if err != nil {
		t.Fatal(err)
	}
	initHead := w.put(init0.ConstructState(emptyMap, "test"))
	w.setActor(builtin0.SystemActorAddr, builtin0.SystemActorCodeID, emptyObjectCID, big.Zero())
	w.setActor(builtin0.InitActorAddr, builtin0.InitActorCodeID, initHead, big.Zero())
	w.setActor(builtin0.RewardActorAddr, builtin0.AccountActorCodeID, emptyObjectCID, big.Zero())
	w.setActor(builtin0.BurntFundsActorAddr, builtin0.AccountActorCodeID, emptyObjectCID, big.Zero())
	return w
}

func (w *world) put(v interface{}) cid.Cid {
	w.t.Helper()
	c, err := w.store.Put(w.ctx, v)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) setActor(a address.Address, code, head cid.Cid, bal abi.TokenAmount) {
	w.t.Helper()
	if err := w.tree.SetActor(a, &state.Actor{Code: code, Head: head, Balance: bal}); err != nil {
		w.t.Fatal(err)
	}
}

// account registers a secp256k1-addressed account with a balance and
// returns its key and ID addresses.
func (w *world) account(seed byte, bal abi.TokenAmount) (key, id address.Address) {
	w.t.Helper()
	pub := make([]byte, 65)
	pub[0] = 4
	pub[1] = seed
	key, err := address.NewSecp256k1Address(pub)
	if err != nil {
		w.t.Fatal(err)
	}
	id, err = w.tree.RegisterNewAddress(key)
	if err != nil {
		w.t.Fatal(err)
	}
	w.setActor(id, builtin0.AccountActorCodeID, w.put(&account0.State{Address: key}), bal)
	return key, id
}

func (w *world) root() cid.Cid {
	w.t.Helper()
	r, err := w.tree.Flush(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) machine(root cid.Cid, cfg Config) *Machine {
	w.t.Helper()
	if cfg.Epoch == 0 {
		cfg.Epoch = 10
	}
	m, err := New(w.ctx, w.bs, root, cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func (w *world) balance(m *Machine, a address.Address) abi.TokenAmount {
	w.t.Helper()
	act, err := m.StateTree().GetActor(a)
	if err != nil {
		w.t.Fatal(err)
	}
	return act.Balance
}

func (w *world) nonce(m *Machine, a address.Address) uint64 {
	w.t.Helper()
	act, err := m.StateTree().GetActor(a)
	if err != nil {
		w.t.Fatal(err)
	}
	return act.CallSeqNum
}

func genesisConfig() Config {
	return Config{NetworkVersion: network.Version0, BaseFee: abi.NewTokenAmount(100)}
}

func transferMsg(from, to address.Address, nonce uint64, value int64) *Message {
	return &Message{
		From: from, To: to, Nonce: nonce, Value: abi.NewTokenAmount(value),
		GasLimit: 10_000_000, GasFeeCap: abi.NewTokenAmount(200), GasPremium: abi.NewTokenAmount(10),
	}
}

func apply(t *testing.T, m *Machine, msg *Message) *ApplyResult {
	t.Helper()
	n, err := msg.ChainLength()
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.ApplyMessage(context.Background(), msg, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
