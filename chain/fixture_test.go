package chain_test

import (
	"bytes"
	"context"
	"sort"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/vm/state"
)

// fixture is a small chain on top of a real vector's state:
//
//	height 0  genesis
//	height 1  two blocks (first, second in canonical order) whose messages
//	          exercise duplicates, out-of-order nonces and a sender named
//	          by both its ID and its key address
//	height 2  null round
//	height 3  one block, no messages; parent receipts of height 1
//	height 4  one block with two messages
//	height 5  head; parent receipts of height 4
//
// The chain is built as a network-version-13 chain: the executed messages
// of height 1 (and so its receipts) resolve senders to IDs.
type fixture struct {
	b                       *chaintest.Builder
	stateRoot               cid.Cid
	gen, ts1, ts3, ts4, ts5 *chain.TipSet
	idA, keyA, idB          address.Address

	a5, b9, sKeyA5, sB10, sB12, sKeyA6 chainMsg
	bR, sA7                            chainMsg
	replacedBR, unincluded             chainMsg

	exec1NV13, exec1NV12 []chainMsg // executed messages of height 1
	receipts1, receipts4 []*chain.MessageReceipt
}

// chainMsg is a message with the CID the chain knows it by.
type chainMsg struct {
	cid    cid.Cid
	msg    *chain.Message
	signed *chain.SignedMessage // nil for a BLS message
}

func blsMsg(t *testing.T, from, to address.Address, nonce uint64, method abi.MethodNum, premium int64) chainMsg {
	t.Helper()
	m := &chain.Message{To: to, From: from, Nonce: nonce, Value: big.NewInt(int64(nonce) * 10),
		GasLimit: 1_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(premium), Method: method}
	c, err := m.Cid()
	if err != nil {
		t.Fatal(err)
	}
	return chainMsg{cid: c, msg: m}
}

func secpMsg(t *testing.T, from, to address.Address, nonce uint64, method abi.MethodNum) chainMsg {
	t.Helper()
	cm := blsMsg(t, from, to, nonce, method, 100)
	sm := &chain.SignedMessage{Message: *cm.msg, Signature: crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: bytes.Repeat([]byte{byte(nonce)}, 65)}}
	c, err := sm.Cid()
	if err != nil {
		t.Fatal(err)
	}
	return chainMsg{cid: c, msg: &sm.Message, signed: sm}
}

// accounts returns account actors of a state tree with their key addresses,
// sorted by ID.
func accounts(t *testing.T, bs *chaintest.Blocks, root cid.Cid) [][2]address.Address {
	t.Helper()
	ctx := context.Background()
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]address.Address
	err = tree.ForEach(func(id address.Address, act *state.Actor) error {
		if act.Code != builtin0.AccountActorCodeID && act.Code != builtin2.AccountActorCodeID {
			return nil
		}
		var st account0.State
		if err := store.Get(ctx, act.Head, &st); err != nil {
			return err
		}
		if st.Address.Protocol() == address.SECP256K1 || st.Address.Protocol() == address.BLS {
			out = append(out, [2]address.Address{id, st.Address})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0].String() < out[j][0].String() })
	return out
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	v := loadVector(t, "msg_application/gas_cost--msg-ok-secp-bls-gas-costs--actorsv2.json")
	car, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{b: chaintest.NewBuilder(), stateRoot: v.Pre.StateTree.RootCID}
	if _, err := f.b.Blocks.ImportCAR(bytes.NewReader(car)); err != nil {
		t.Fatal(err)
	}
	accts := accounts(t, f.b.Blocks, f.stateRoot)
	if len(accts) < 2 {
		t.Fatalf("vector state has %d key-addressed accounts, want 2", len(accts))
	}
	f.idA, f.keyA, f.idB = accts[0][0], accts[0][1], accts[1][0]
	to := accts[1][1]

	f.a5 = blsMsg(t, f.idA, to, 5, 0, 100)
	f.b9 = blsMsg(t, f.idB, to, 9, 0, 100)
	f.sKeyA5 = secpMsg(t, f.keyA, to, 5, 2) // same sender and nonce as a5, another call
	f.sB10 = secpMsg(t, f.idB, to, 10, 0)
	f.sB12 = secpMsg(t, f.idB, to, 12, 0) // skips nonce 11
	f.sKeyA6 = secpMsg(t, f.keyA, to, 6, 0)
	f.bR = blsMsg(t, f.idB, to, 11, 0, 100)
	f.replacedBR = blsMsg(t, f.idB, to, 11, 0, 150) // same call as bR, other gas premium
	f.sA7 = secpMsg(t, f.keyA, to, 7, 0)
	f.unincluded = blsMsg(t, f.idA, to, 40, 0, 100)

	miner1, miner2 := mustAddr(t, "f01000"), mustAddr(t, "f01001")
	ctx := context.Background()
	for _, m := range []chainMsg{f.replacedBR, f.unincluded} {
		if _, err := chain.PutObject(ctx, f.b.Blocks, m.msg); err != nil {
			t.Fatal(err)
		}
	}

	if f.gen, err = f.b.Genesis(f.stateRoot, miner1); err != nil {
		t.Fatal(err)
	}
	// Give the block meant to come first the ticket that sorts first.
	t1, t2 := []byte("ticket one"), []byte("ticket two")
	if ticketDigestLess(t2, t1) {
		t1, t2 = t2, t1
	}
	first := chaintest.BlockSpec{Miner: miner1, Ticket: t1,
		Bls:  []*chain.Message{f.a5.msg, f.b9.msg},
		Secp: []*chain.SignedMessage{f.sKeyA5.signed, f.sB10.signed}}
	second := chaintest.BlockSpec{Miner: miner2, Ticket: t2,
		Bls:  []*chain.Message{f.b9.msg},
		Secp: []*chain.SignedMessage{f.sB12.signed, f.sKeyA6.signed}}
	if f.ts1, err = f.b.Tipset(f.gen, chaintest.TipsetSpec{Height: 1, ParentState: f.stateRoot,
		Blocks: []chaintest.BlockSpec{second, first}}); err != nil {
		t.Fatal(err)
	}
	f.exec1NV13 = []chainMsg{f.a5, f.b9, f.sB10, f.sKeyA6}
	f.exec1NV12 = []chainMsg{f.a5, f.b9, f.sKeyA5, f.sB10, f.sKeyA6}
	for i := range f.exec1NV13 {
		f.receipts1 = append(f.receipts1, &chain.MessageReceipt{ExitCode: exitcode.ExitCode(i), Return: []byte{byte(i)}, GasUsed: int64(1000 + i)})
	}
	rr1, err := f.b.Receipts(f.receipts1)
	if err != nil {
		t.Fatal(err)
	}
	if f.ts3, err = f.b.Tipset(f.ts1, chaintest.TipsetSpec{Height: 3, ParentState: f.stateRoot, ParentReceipts: rr1,
		Blocks: []chaintest.BlockSpec{{Miner: miner2, Ticket: []byte("ticket three")}}}); err != nil {
		t.Fatal(err)
	}
	if f.ts4, err = f.b.Tipset(f.ts3, chaintest.TipsetSpec{Height: 4, ParentState: f.stateRoot,
		Blocks: []chaintest.BlockSpec{{Miner: miner1, Ticket: []byte("ticket four"),
			Bls: []*chain.Message{f.bR.msg}, Secp: []*chain.SignedMessage{f.sA7.signed},
			BeaconEntries: []chain.BeaconEntry{{Round: 77, Data: []byte("beacon 77")}}}}}); err != nil {
		t.Fatal(err)
	}
	f.receipts4 = []*chain.MessageReceipt{{ExitCode: 0, GasUsed: 5000}, {ExitCode: 6, GasUsed: 6000}}
	rr4, err := f.b.Receipts(f.receipts4)
	if err != nil {
		t.Fatal(err)
	}
	if f.ts5, err = f.b.Tipset(f.ts4, chaintest.TipsetSpec{Height: 5, ParentState: f.stateRoot, ParentReceipts: rr4,
		Blocks: []chaintest.BlockSpec{{Miner: miner2, Ticket: []byte("ticket five")}}}); err != nil {
		t.Fatal(err)
	}
	if f.ts1.Blocks()[0].Ticket.VRFProof == nil || !bytes.Equal(f.ts1.Blocks()[0].Ticket.VRFProof, t1) {
		t.Fatal("fixture: canonical order is not the intended one")
	}
	return f
}

// car writes the fixture as a chain CAR (v2 when v2 is set).
func (f *fixture) car(t *testing.T, v2 bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	write := f.b.WriteCAR
	if v2 {
		write = f.b.WriteCARv2
	}
	if err := write(&buf, f.ts5); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (f *fixture) source(t *testing.T, opts ...chain.Option) *chain.CARSource {
	t.Helper()
	src, err := chain.NewCARSource(bytes.NewReader(f.car(t, true)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}
