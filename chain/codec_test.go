package chain_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

func loadVector(t *testing.T, rel string) *schema.Vector {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Messages of real vectors decode, re-encode to the same bytes and have the
// CID of those bytes.
func TestMessageCodecOnCorpus(t *testing.T) {
	root := testcorpus.Shared(t)
	files, err := schema.Walk(filepath.Join(root, "msg_application"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raws [][]byte
		for _, m := range v.ApplyMessages {
			raws = append(raws, m.Bytes)
		}
		for _, ts := range v.ApplyTipsets {
			for _, b := range ts.Blocks {
				for _, m := range b.Messages {
					raws = append(raws, m)
				}
			}
		}
		for _, raw := range raws {
			var got *chain.Message
			if m, err := chain.DecodeMessage(raw); err == nil {
				got = m
				back, err := m.Serialize()
				if err != nil || !bytes.Equal(back, raw) {
					t.Fatalf("%s: message re-encodes differently (%v)", f, err)
				}
			} else {
				sm, err := chain.DecodeSignedMessage(raw)
				if err != nil {
					t.Fatalf("%s: neither message nor signed message: %v", f, err)
				}
				back, err := sm.Bytes()
				if err != nil || !bytes.Equal(back, raw) {
					t.Fatalf("%s: signed message re-encodes differently (%v)", f, err)
				}
				got = &sm.Message
				raw, _ = got.Serialize()
			}
			// The CID is that of the bytes the chain carries (for a signed
			// message, of its unsigned part).
			c, err := got.Cid()
			if err != nil {
				t.Fatal(err)
			}
			if want, err := abi.CidBuilder.Sum(raw); err != nil || c != want {
				t.Fatalf("%s: message CID %s, its bytes hash to %s (%v)", f, c, want, err)
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d corpus messages checked", n)
	}
	t.Logf("%d corpus messages round-tripped", n)
}

// The receipts AMT a real tipset vector commits to is rebuilt exactly from
// its explicit messages' receipts: receipt encoding and the AMT layout
// (v0, whatever the network version) both match the chain's.
func TestReceiptsRootMatchesCorpus(t *testing.T) {
	for _, name := range []string{"smoke", "ignition", "actorsv2", "tape", "liftoff"} {
		rel := "msg_application/gas_cost--msg-ok-secp-bls-gas-costs--" + name + ".json"
		v := loadVector(t, rel)
		explicit := 0
		for _, b := range v.ApplyTipsets[0].Blocks {
			explicit += len(b.Messages)
		}
		var rs []*chain.MessageReceipt
		for _, r := range v.Post.Receipts[:explicit] {
			rs = append(rs, &chain.MessageReceipt{ExitCode: exitcode.ExitCode(r.ExitCode), Return: r.ReturnValue, GasUsed: r.GasUsed})
		}
		got, err := chain.StoreReceipts(context.Background(), chaintest.NewBlocks(), rs)
		if err != nil {
			t.Fatal(err)
		}
		if want := v.Post.ReceiptsRoots[0]; got != want {
			t.Errorf("%s: receipts root %s, vector has %s", rel, got, want)
		}
		// One receipt off changes the root: the comparison is not vacuous.
		rs[0].GasUsed++
		if other, _ := chain.StoreReceipts(context.Background(), chaintest.NewBlocks(), rs); other == got {
			t.Errorf("%s: receipts root ignores gas used", rel)
		}
	}
}

type headerFixture struct {
	Headers []struct {
		Cid     string `json:"cid"`
		CborHex string `json:"cbor_hex"`
	} `json:"headers"`
}

// Real Lotus block headers keep their CIDs through Lotus's JSON form.
func TestBlockHeaderJSONRoundTrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testcorpus.RepoRoot(t), "wire", "testdata", "block_headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx headerFixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Headers) == 0 {
		t.Fatal("no headers in fixture")
	}
	for _, h := range fx.Headers {
		raw, err := hex.DecodeString(h.CborHex)
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := chain.DecodeBlockHeader(raw)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(hdr)
		if err != nil {
			t.Fatal(err)
		}
		// go-address prints the network prefix it is configured with
		// (t by default, f in a mainnet build of Lotus); both parse.
		prefix := mustAddr(t, "f01").String()[:1]
		for _, field := range []string{`"Miner":"` + prefix + `0`, `"ParentWeight":"`, `"ParentBaseFee":"`, `"ParentStateRoot":{"/":"`, `"Parents":[{"/":"`} {
			if !strings.Contains(string(js), field) {
				t.Errorf("header JSON lacks Lotus form %s: %s", field, js)
			}
		}
		var back chain.BlockHeader
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		c, err := back.Cid()
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != h.Cid {
			t.Errorf("header CID after JSON round trip %s, want %s", c, h.Cid)
		}
	}
}

func mustAddr(t *testing.T, s string) address.Address {
	t.Helper()
	a, err := address.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The JSON forms are Lotus's: keys as CID arrays, big integers as strings,
// bytes as base64, addresses as strings, CIDs attached to messages.
func TestLotusJSONForms(t *testing.T) {
	c1, _ := cid.Decode("bafy2bzacecv2dnse37l6p2xwhqaq63txtme7hc7ajkgawuswyzqftgdmuhrfs")
	key := chain.NewTipSetKey(c1)
	js, err := json.Marshal(key)
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `[{"/":"bafy2bzacecv2dnse37l6p2xwhqaq63txtme7hc7ajkgawuswyzqftgdmuhrfs"}]` {
		t.Errorf("tipset key JSON %s", js)
	}
	if js, _ := json.Marshal(chain.EmptyTipSetKey); string(js) != `[]` {
		t.Errorf("empty key JSON %s, want []", js)
	}
	var k chain.TipSetKey
	if err := json.Unmarshal([]byte(`null`), &k); err != nil || !k.IsEmpty() {
		t.Errorf("null key: %v %v", k, err)
	}

	m := &chain.Message{
		To: mustAddr(t, "f01001"), From: mustAddr(t, "f0101"), Nonce: 7,
		Value: big.NewInt(1000), GasLimit: 1_000_000, GasFeeCap: big.NewInt(200), GasPremium: big.NewInt(100),
		Method: 2, Params: []byte{1, 2, 3},
	}
	mc, _ := m.Cid()
	js, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	p := mustAddr(t, "f01").String()[:1]
	want := `{"Version":0,"To":"` + p + `01001","From":"` + p + `0101","Nonce":7,"Value":"1000","GasLimit":1000000,"GasFeeCap":"200","GasPremium":"100","Method":2,"Params":"AQID","CID":{"/":"` + mc.String() + `"}}`
	if string(js) != want {
		t.Errorf("message JSON\n got %s\nwant %s", js, want)
	}
	var back chain.Message
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if bc, _ := back.Cid(); bc != mc {
		t.Errorf("message JSON round trip changed the CID")
	}
	// A CID that does not match the fields is refused.
	tampered := strings.Replace(string(js), `"Nonce":7`, `"Nonce":8`, 1)
	if err := json.Unmarshal([]byte(tampered), &back); err == nil {
		t.Error("message JSON with a stale CID accepted")
	}

	sm := &chain.SignedMessage{Message: *m, Signature: crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: bytes.Repeat([]byte{9}, 65)}}
	sc, _ := sm.Cid()
	if sc == mc {
		t.Error("secp signed message has its unsigned CID")
	}
	js, _ = json.Marshal(sm)
	if !strings.HasPrefix(string(js), `{"Message":{"Version":0,`) || !strings.Contains(string(js), `"Signature":{"Type":1,"Data":"`) ||
		!strings.HasSuffix(string(js), `"CID":{"/":"`+sc.String()+`"}}`) {
		t.Errorf("signed message JSON %s", js)
	}
	var sback chain.SignedMessage
	if err := json.Unmarshal(js, &sback); err != nil {
		t.Fatal(err)
	}
	blsSigned := &chain.SignedMessage{Message: *m, Signature: crypto.Signature{Type: crypto.SigTypeBLS, Data: make([]byte, 96)}}
	if c, _ := blsSigned.Cid(); c != mc {
		t.Error("BLS signed message not known by its unsigned CID")
	}

	r := &chain.MessageReceipt{ExitCode: 16, Return: []byte{0xff}, GasUsed: 42}
	js, _ = json.Marshal(r)
	if string(js) != `{"ExitCode":16,"Return":"/w==","GasUsed":42}` {
		t.Errorf("receipt JSON %s", js)
	}
}

// A tipset orders its blocks by ticket digest whatever order they come in,
// and refuses blocks that cannot share a tipset.
func TestTipSetOrderAndChecks(t *testing.T) {
	b := chaintest.NewBuilder()
	stateRoot, _ := abi.CidBuilder.Sum([]byte("state"))
	gen, err := b.Genesis(stateRoot, mustAddr(t, "f01000"))
	if err != nil {
		t.Fatal(err)
	}
	specs := []chaintest.BlockSpec{
		{Miner: mustAddr(t, "f01000"), Ticket: []byte("ticket a")},
		{Miner: mustAddr(t, "f01001"), Ticket: []byte("ticket b")},
		{Miner: mustAddr(t, "f01002"), Ticket: []byte("ticket c")},
	}
	ts, err := b.Tipset(gen, chaintest.TipsetSpec{Height: 1, ParentState: gen.ParentState(), Blocks: specs})
	if err != nil {
		t.Fatal(err)
	}
	blocks := ts.Blocks()
	for i := 1; i < len(blocks); i++ {
		if ticketDigestLess(blocks[i].Ticket.VRFProof, blocks[i-1].Ticket.VRFProof) {
			t.Fatalf("blocks %d and %d out of ticket order", i-1, i)
		}
	}
	rev := []*chain.BlockHeader{blocks[2], blocks[0], blocks[1]}
	again, err := chain.NewTipSet(rev)
	if err != nil {
		t.Fatal(err)
	}
	if again.Key() != ts.Key() {
		t.Errorf("order depends on input order: %s vs %s", again.Key(), ts.Key())
	}
	js, err := json.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	var back chain.TipSet
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Key() != ts.Key() || back.Height() != 1 {
		t.Errorf("tipset JSON round trip: %s at %d", back.Key(), back.Height())
	}

	other := *blocks[0]
	other.Height = 2
	if _, err := chain.NewTipSet([]*chain.BlockHeader{blocks[1], &other}); err == nil {
		t.Error("blocks at two heights accepted")
	}
	orphan := *blocks[0]
	orphan.Parents = nil
	if _, err := chain.NewTipSet([]*chain.BlockHeader{blocks[1], &orphan}); err == nil {
		t.Error("blocks with different parents accepted")
	}
	if _, err := chain.NewTipSet([]*chain.BlockHeader{blocks[1], blocks[1]}); err == nil {
		t.Error("a block twice accepted")
	}
	if _, err := chain.NewTipSet(nil); err == nil {
		t.Error("empty tipset accepted")
	}
	if ts.Height() != abi.ChainEpoch(1) || ts.Parents() != gen.Key() {
		t.Errorf("tipset at %d with parents %s", ts.Height(), ts.Parents())
	}
}
