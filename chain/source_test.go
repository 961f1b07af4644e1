package chain_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"

	"github.com/tvx-project/tvx/chain"
)

func msgCids(ms []chainMsg) []cid.Cid {
	out := make([]cid.Cid, len(ms))
	for i, m := range ms {
		out[i] = m.cid
	}
	return out
}

func parentCids(ps []chain.ParentMessage) []cid.Cid {
	out := make([]cid.Cid, len(ps))
	for i, p := range ps {
		out[i] = p.Cid
	}
	return out
}

func equalCids(a, b []cid.Cid) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSource runs the chain queries against a source serving the fixture
// as a network-version-13 chain. CAR and RPC sources must both pass it.
func checkSource(t *testing.T, f *fixture, src chain.Source) {
	ctx := context.Background()

	head, err := src.Head(ctx)
	if err != nil || head.Key() != f.ts5.Key() {
		t.Fatalf("head %v (%v), want %s", head, err, f.ts5.Key())
	}
	for _, want := range []*chain.TipSet{f.gen, f.ts1, f.ts3, f.ts4, f.ts5} {
		got, err := src.TipSet(ctx, want.Key())
		if err != nil || got.Key() != want.Key() || got.Height() != want.Height() {
			t.Fatalf("tipset %s: %v (%v)", want.Key(), got, err)
		}
	}
	if got, err := src.TipSet(ctx, chain.EmptyTipSetKey); err != nil || got.Key() != f.ts5.Key() {
		t.Errorf("empty key is not the head: %v %v", got, err)
	}

	// Heights, with the null round at 2.
	for _, c := range []struct {
		h         abi.ChainEpoch
		below     *chain.TipSet
		null      bool
		afterward *chain.TipSet
	}{
		{0, f.gen, false, f.gen}, {1, f.ts1, false, f.ts1}, {2, f.ts1, true, f.ts3},
		{3, f.ts3, false, f.ts3}, {5, f.ts5, false, f.ts5},
	} {
		ts, null, err := src.TipSetByHeight(ctx, c.h, chain.EmptyTipSetKey)
		if err != nil || ts.Key() != c.below.Key() || null != c.null {
			t.Errorf("TipSetByHeight(%d) = %v null=%t (%v), want %s null=%t", c.h, ts, null, err, c.below.Key(), c.null)
		}
		after, err := src.TipSetAfterHeight(ctx, c.h, chain.EmptyTipSetKey)
		if err != nil || after.Key() != c.afterward.Key() {
			t.Errorf("TipSetAfterHeight(%d) = %v (%v), want %s", c.h, after, err, c.afterward.Key())
		}
	}
	if ts, _, err := src.TipSetByHeight(ctx, 1, f.ts3.Key()); err != nil || ts.Key() != f.ts1.Key() {
		t.Errorf("TipSetByHeight from ts3: %v %v", ts, err)
	}
	if _, _, err := src.TipSetByHeight(ctx, 4, f.ts3.Key()); err == nil {
		t.Error("height above the starting tipset accepted")
	}
	if _, _, err := src.TipSetByHeight(ctx, -1, chain.EmptyTipSetKey); err == nil {
		t.Error("negative height accepted")
	}

	// Headers and block messages.
	first := f.ts1.Blocks()[0]
	fc, sc := f.ts1.Cids()[0], f.ts1.Cids()[1]
	h, err := src.BlockHeader(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	if hc, _ := h.Cid(); hc != fc || h.Messages != first.Messages || !bytes.Equal(h.Ticket.VRFProof, first.Ticket.VRFProof) {
		t.Errorf("header %s differs", fc)
	}
	bm, err := src.BlockMessages(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	if want := msgCids([]chainMsg{f.a5, f.b9, f.sKeyA5, f.sB10}); !equalCids(bm.Cids, want) || len(bm.BlsMessages) != 2 || len(bm.SecpkMessages) != 2 {
		t.Errorf("first block messages %v, want %v", bm.Cids, want)
	}
	if !bm.SecpkMessages[1].Message.SameCall(f.sB10.msg) || bm.SecpkMessages[1].Signature.Type != f.sB10.signed.Signature.Type {
		t.Error("signed message content differs")
	}
	bm2, err := src.BlockMessages(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if want := msgCids([]chainMsg{f.b9, f.sB12, f.sKeyA6}); !equalCids(bm2.Cids, want) {
		t.Errorf("second block messages %v, want %v", bm2.Cids, want)
	}

	// Executed (parent) messages and receipts: any block of the child
	// tipset gives the same answer.
	pm, err := src.ParentMessages(ctx, f.ts3.Cids()[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := msgCids(f.exec1NV13); !equalCids(parentCids(pm), want) {
		t.Errorf("parent messages %v, want %v", parentCids(pm), want)
	}
	for i, p := range pm {
		if !p.Message.SameCall(f.exec1NV13[i].msg) {
			t.Errorf("parent message %d: unsigned message differs", i)
		}
	}
	rs, err := src.ParentReceipts(ctx, f.ts3.Cids()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(f.receipts1) {
		t.Fatalf("%d parent receipts, want %d", len(rs), len(f.receipts1))
	}
	for i := range rs {
		if rs[i].ExitCode != f.receipts1[i].ExitCode || rs[i].GasUsed != f.receipts1[i].GasUsed || !bytes.Equal(rs[i].Return, f.receipts1[i].Return) {
			t.Errorf("receipt %d = %+v, want %+v", i, rs[i], f.receipts1[i])
		}
	}
	if pm, err := src.ParentMessages(ctx, f.gen.Cids()[0]); err != nil || pm != nil {
		t.Errorf("genesis parent messages %v %v", pm, err)
	}
	if pm, err := src.ParentMessages(ctx, f.ts4.Cids()[0]); err != nil || len(pm) != 0 {
		t.Errorf("parent messages of an empty tipset: %v %v", pm, err)
	}

	// Messages by CID: a signed CID gives the unsigned message.
	m, err := src.Message(ctx, f.sKeyA6.cid)
	if err != nil || !m.SameCall(f.sKeyA6.msg) {
		t.Errorf("message by signed CID: %v %v", m, err)
	}
	if _, err := src.Message(ctx, f.a5.cid); err != nil {
		t.Error(err)
	}

	// Message search.
	for _, c := range []struct {
		name    string
		msg     chainMsg
		limit   abi.ChainEpoch
		replace bool
		at      *chain.TipSet
		found   cid.Cid
		receipt *chain.MessageReceipt
	}{
		{"bls in first block", f.a5, chain.LookbackNoLimit, false, f.ts3, f.a5.cid, f.receipts1[0]},
		{"secp by key address", f.sKeyA6, chain.LookbackNoLimit, false, f.ts3, f.sKeyA6.cid, f.receipts1[3]},
		{"recent", f.sA7, chain.LookbackNoLimit, false, f.ts5, f.sA7.cid, f.receipts4[1]},
		{"within limit", f.a5, 3, false, f.ts3, f.a5.cid, f.receipts1[0]},
		{"beyond limit", f.a5, 2, false, nil, cid.Undef, nil},
		{"limit zero sees the head only", f.sA7, 0, false, f.ts5, f.sA7.cid, f.receipts4[1]},
		{"never included", f.unincluded, chain.LookbackNoLimit, false, nil, cid.Undef, nil},
		{"dropped duplicate nonce", f.sKeyA5, chain.LookbackNoLimit, false, nil, cid.Undef, nil},
		{"replacement allowed", f.replacedBR, chain.LookbackNoLimit, true, f.ts5, f.bR.cid, f.receipts4[0]},
	} {
		l, err := src.SearchMessage(ctx, chain.EmptyTipSetKey, c.msg.cid, c.limit, c.replace)
		if err != nil {
			t.Errorf("search %s: %v", c.name, err)
			continue
		}
		if c.at == nil {
			if l != nil {
				t.Errorf("search %s: found at %s", c.name, l.TipSet)
			}
			continue
		}
		if l == nil || l.TipSet != c.at.Key() || l.Height != c.at.Height() || l.Message != c.found ||
			l.Receipt.GasUsed != c.receipt.GasUsed || l.Receipt.ExitCode != c.receipt.ExitCode {
			t.Errorf("search %s: %+v, want at %d %s receipt %+v", c.name, l, c.at.Height(), c.found, c.receipt)
		}
	}
	if _, err := src.SearchMessage(ctx, chain.EmptyTipSetKey, f.replacedBR.cid, chain.LookbackNoLimit, false); err == nil {
		t.Error("search found a replacement although replacements were not allowed")
	}
	if _, err := src.SearchMessage(ctx, chain.EmptyTipSetKey, f.b9.cid, chain.LookbackNoLimit, false); err != nil {
		t.Errorf("search b9: %v", err)
	}

	// Raw blocks.
	blk, err := src.Get(ctx, f.stateRoot)
	if err != nil || blk.Cid() != f.stateRoot {
		t.Fatalf("state root block: %v", err)
	}
	if ok, err := src.Has(ctx, f.stateRoot); err != nil || !ok {
		t.Errorf("Has(state root) = %t, %v", ok, err)
	}
	absent, _ := abi.CidBuilder.Sum([]byte("not in the chain"))
	if _, err := src.Get(ctx, absent); !errors.Is(err, chain.ErrNotFound) || !ipld.IsNotFound(err) {
		t.Errorf("missing block: %v", err)
	}
	if ok, err := src.Has(ctx, absent); err != nil || ok {
		t.Errorf("Has(absent) = %t, %v", ok, err)
	}
	if _, err := src.BlockHeader(ctx, absent); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("missing header: %v", err)
	}
	if _, err := src.TipSet(ctx, chain.NewTipSetKey(absent)); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("missing tipset: %v", err)
	}
	if _, err := src.Message(ctx, absent); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("missing message: %v", err)
	}
}

func TestCARSource(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	for _, v2 := range []bool{false, true} {
		name := map[bool]string{false: "v1", true: "v2"}[v2]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".car")
			if err := os.WriteFile(path, f.car(t, v2), 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := chain.OpenCAR(path, chain.WithNetworkVersion(network.Version13))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			checkSource(t, f, src)
		})
	}
}

// Before network version 13, senders are told apart by the address a
// message names: the key-address message with A's nonce is then a sender
// of its own and executes; from 13 on it is a duplicate nonce of A.
func TestParentMessagesSenderIdentityByNetworkVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	block := f.ts3.Cids()[0]
	for _, c := range []struct {
		nv   network.Version
		want []chainMsg
	}{{network.Version12, f.exec1NV12}, {network.Version13, f.exec1NV13}, {network.Version15, f.exec1NV13}} {
		src := f.source(t, chain.WithNetworkVersion(c.nv))
		pm, err := src.ParentMessages(ctx, block)
		if err != nil {
			t.Fatal(err)
		}
		if !equalCids(parentCids(pm), msgCids(c.want)) {
			t.Errorf("nv%d: parent messages %v, want %v", c.nv, parentCids(pm), msgCids(c.want))
		}
	}
	// The chain's receipts AMT holds the nv13 count; read as nv12 it
	// lacks one, and the source says so instead of inventing it.
	src := f.source(t, chain.WithNetworkVersion(network.Version12))
	if _, err := src.ParentReceipts(ctx, block); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("receipts beyond the AMT: %v", err)
	}
	// The switch happens at the upgrade epoch itself (the tipset at the
	// upgrade height is the first compared by ID).
	schedule := func(h abi.ChainEpoch) network.Version {
		if h <= 1 {
			return network.Version12
		}
		return network.Version13
	}
	src = f.source(t, chain.WithNetworkSchedule(schedule))
	pm, err := src.ParentMessages(ctx, block)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCids(parentCids(pm), msgCids(f.exec1NV13)) {
		t.Errorf("tipset at the upgrade epoch: parent messages %v, want the ID-resolved %v", parentCids(pm), msgCids(f.exec1NV13))
	}
}

func TestNetworkVersionAndCirculatingSupply(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	src := f.source(t)
	for _, c := range []struct {
		h  abi.ChainEpoch
		nv network.Version
	}{{0, 0}, {41280, 0}, {41281, 1}, {138720, 3}, {138721, 4}, {1594680, 14}, {1594681, 15}, {1960320, 15}, {1960321, 16}} {
		if got, err := src.NetworkVersion(ctx, c.h); err != nil || got != c.nv {
			t.Errorf("mainnet version at %d = %d (%v), want %d", c.h, got, err, c.nv)
		}
	}
	if got, _ := f.source(t, chain.WithNetworkVersion(9)).NetworkVersion(ctx, 3); got != 9 {
		t.Errorf("override: %d", got)
	}
	if _, err := src.CirculatingSupply(ctx, f.ts3.Key()); !errors.Is(err, chain.ErrUnavailable) {
		t.Errorf("CAR circulating supply without override: %v", err)
	}
	cs := big.NewInt(123456789)
	got, err := f.source(t, chain.WithCirculatingSupply(cs)).CirculatingSupply(ctx, f.ts3.Key())
	if err != nil || !got.Equals(cs) {
		t.Errorf("circulating supply override: %v %v", got, err)
	}
}

// A chain CAR that starts after genesis (old headers not exported) answers
// what it holds and says ErrNotFound past its start.
func TestCARWithHoles(t *testing.T) {
	f := newFixture(t)
	f.b.Blocks.Delete(f.gen.Cids()[0])
	src := f.source(t, chain.WithNetworkVersion(network.Version13))
	ctx := context.Background()
	if ts, _, err := src.TipSetByHeight(ctx, 1, chain.EmptyTipSetKey); err != nil || ts.Key() != f.ts1.Key() {
		t.Errorf("height 1: %v %v", ts, err)
	}
	if _, _, err := src.TipSetByHeight(ctx, 0, chain.EmptyTipSetKey); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("height 0 past the CAR's start: %v", err)
	}
	if _, err := src.ParentMessages(ctx, f.ts1.Cids()[0]); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("parent messages past the start: %v", err)
	}
	if l, err := src.SearchMessage(ctx, chain.EmptyTipSetKey, f.a5.cid, chain.LookbackNoLimit, false); err != nil || l == nil {
		t.Errorf("search within the CAR: %v %v", l, err)
	}
	if _, err := src.SearchMessage(ctx, chain.EmptyTipSetKey, f.unincluded.cid, chain.LookbackNoLimit, false); !errors.Is(err, chain.ErrNotFound) {
		t.Errorf("search running off the CAR's start: %v", err)
	}
}

// A block whose bytes do not hash to its CID is refused.
func TestCARCorruptBlock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	h := f.ts4.Blocks()[0]
	meta, err := f.b.Blocks.Get(ctx, h.Messages)
	if err != nil {
		t.Fatal(err)
	}
	car := f.car(t, false)
	i := bytes.Index(car, meta.RawData())
	if i < 0 {
		t.Fatal("txmeta bytes not found in CAR")
	}
	car[i+len(meta.RawData())-1] ^= 0xff
	src, err := chain.NewCARSource(bytes.NewReader(car))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Get(ctx, h.Messages); err == nil || errors.Is(err, chain.ErrNotFound) {
		t.Errorf("corrupt block: %v", err)
	}
	if _, err := src.BlockMessages(ctx, f.ts4.Cids()[0]); err == nil {
		t.Error("block messages over a corrupt txmeta")
	}
}

func TestCAROpenErrors(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	// Roots that are not block headers.
	if err := chain.WriteCAR(&buf, []cid.Cid{f.stateRoot}, f.b.Blocks.All()); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.NewCARSource(bytes.NewReader(buf.Bytes())); err == nil {
		t.Error("CAR whose root is a state root accepted as a chain CAR")
	}
	if _, err := chain.NewCARSource(bytes.NewReader([]byte("not a car"))); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := chain.OpenCAR(filepath.Join(t.TempDir(), "absent.car")); err == nil {
		t.Error("absent file accepted")
	}
	if err := chain.WriteCAR(&buf, nil, nil); err == nil {
		t.Error("CAR without roots written")
	}
}

// WriteCAR's output depends only on the set of blocks and the roots.
func TestWriteCARDeterministic(t *testing.T) {
	f := newFixture(t)
	all := f.b.Blocks.All()
	var a, b bytes.Buffer
	if err := chain.WriteCAR(&a, f.ts5.Cids(), all); err != nil {
		t.Fatal(err)
	}
	shuffled := append(append(all[len(all)/2:len(all):len(all)], all[:len(all)/2]...), all[0])
	if err := chain.WriteCAR(&b, f.ts5.Cids(), shuffled); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("CAR bytes depend on block order or repeats")
	}
	var v2a, v2b bytes.Buffer
	if err := chain.WriteCARv2(&v2a, f.ts5.Cids(), all); err != nil {
		t.Fatal(err)
	}
	if err := chain.WriteCARv2(&v2b, f.ts5.Cids(), shuffled); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v2a.Bytes(), v2b.Bytes()) {
		t.Error("CARv2 bytes not deterministic")
	}
	if err := chain.WriteCAR(&b, f.ts5.Cids(), append(all, newRawBlockWithCid(t, all[0].Cid(), []byte("other bytes")))); err == nil {
		t.Error("block whose bytes do not match its CID written")
	}
}
