package vm

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// signed wraps a message's bytes as a signed message with a zero secp256k1
// signature: [message, 0x01 ‖ 65 bytes].
func signed(t *testing.T, msg *Message) []byte {
	t.Helper()
	b, err := msg.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteByte(0x82)
	buf.Write(b)
	if err := cbg.WriteMajorTypeHeader(&buf, cbg.MajByteString, 66); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte(1)
	buf.Write(make([]byte, 65))
	return buf.Bytes()
}

func TestDecodeBlockMessage(t *testing.T) {
	secp, err := address.NewSecp256k1Address(bytes.Repeat([]byte{7}, 65))
	if err != nil {
		t.Fatal(err)
	}
	to, _ := address.NewIDAddress(1000)
	msg := &Message{To: to, From: secp, Nonce: 3, Value: big.NewInt(5), GasLimit: 1000,
		GasFeeCap: big.NewInt(1), GasPremium: big.NewInt(1), Method: 0}
	bare, err := msg.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	sig := signed(t, msg)

	fromBare, err := DecodeBlockMessage(bare)
	if err != nil {
		t.Fatal(err)
	}
	fromSigned, err := DecodeBlockMessage(sig)
	if err != nil {
		t.Fatal(err)
	}
	// A bare secp256k1 message is priced as the signed form it would take.
	if fromBare.ChainLength != len(sig) || fromSigned.ChainLength != len(sig) {
		t.Errorf("chain lengths %d (bare) and %d (signed), want %d", fromBare.ChainLength, fromSigned.ChainLength, len(sig))
	}
	c1, err := MessageCID(fromBare.Message)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := MessageCID(fromSigned.Message)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Errorf("bare and signed forms have different message CIDs %s, %s", c1, c2)
	}
	other := *msg
	other.Nonce++
	if c3, _ := MessageCID(&other); c3 == c1 {
		t.Error("different messages share a CID")
	}

	// A non-secp sender's bare message is priced by its own length.
	idMsg := *msg
	idMsg.From = to
	b, _ := idMsg.Serialize()
	if bm, err := DecodeBlockMessage(b); err != nil || bm.ChainLength != len(b) {
		t.Errorf("ID sender: length %d, err %v; want %d", bm.ChainLength, err, len(b))
	}

	for name, bad := range map[string][]byte{
		"empty":                       nil,
		"trailing byte":               append(append([]byte{}, sig...), 0),
		"no signature":                append([]byte{0x82}, bare...),
		"signature not a byte string": append(append([]byte{0x82}, bare...), 0x01),
		"truncated":                   sig[:len(sig)-10],
		"bare with trailer":           append(append([]byte{}, bare...), 0),
	} {
		if _, err := DecodeBlockMessage(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestReceiptsRootLayout decodes the receipts AMT back: each entry is the
// tuple [exit code, return, gas used], in application order.
func TestReceiptsRootLayout(t *testing.T) {
	ctx := context.Background()
	bs := corpus.NewBuffered(emptyBlockstore(t))
	in := []receipt{{code: 0, ret: nil, gas: 412268}, {code: 6, ret: []byte{1, 2}, gas: 7}, {code: 0, ret: nil, gas: 0}}
	root, err := receiptsRoot(ctx, bs, in)
	if err != nil {
		t.Fatal(err)
	}
	arr, err := adt0.AsArray(adt0.WrapStore(ctx, ipldcbor.NewCborStore(bs)), root)
	if err != nil {
		t.Fatal(err)
	}
	if arr.Length() != uint64(len(in)) {
		t.Fatalf("AMT holds %d receipts, want %d", arr.Length(), len(in))
	}
	for i, want := range in {
		var raw cbg.Deferred
		found, err := arr.Get(uint64(i), &raw)
		if err != nil || !found {
			t.Fatalf("receipt %d: found %v, %v", i, found, err)
		}
		var w bytes.Buffer
		if err := (&want).MarshalCBOR(&w); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw.Raw, w.Bytes()) {
			t.Errorf("receipt %d stored as %x, want %x", i, raw.Raw, w.Bytes())
		}
	}
	// [6, h'0102', 7]
	if want := []byte{0x83, 0x06, 0x42, 0x01, 0x02, 0x07}; !bytes.Equal(mustMarshal(t, &in[1]), want) {
		t.Errorf("receipt encoding %x, want %x", mustMarshal(t, &in[1]), want)
	}
}

func mustMarshal(t *testing.T, r *receipt) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.MarshalCBOR(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func emptyBlockstore(t *testing.T) corpus.Blockstore {
	t.Helper()
	bs, err := corpus.OpenCAR(emptyCAR(t))
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// emptyCAR is a CARv1 whose only content is a header with one root (the
// empty object, absent from the data).
func emptyCAR(t *testing.T) []byte {
	t.Helper()
	var hdr bytes.Buffer
	// {"roots": [root], "version": 1}
	hdr.WriteByte(0xa2)
	_ = cbg.WriteMajorTypeHeader(&hdr, cbg.MajTextString, 5)
	hdr.WriteString("roots")
	_ = cbg.WriteMajorTypeHeader(&hdr, cbg.MajArray, 1)
	if err := cbg.WriteCid(&hdr, EmptyObjectCID()); err != nil {
		t.Fatal(err)
	}
	_ = cbg.WriteMajorTypeHeader(&hdr, cbg.MajTextString, 7)
	hdr.WriteString("version")
	hdr.WriteByte(0x01)
	var out bytes.Buffer
	n := hdr.Len()
	for n >= 0x80 {
		out.WriteByte(byte(n) | 0x80)
		n >>= 7
	}
	out.WriteByte(byte(n))
	out.Write(hdr.Bytes())
	return out.Bytes()
}

// corpusTipset loads a tipset-class vector and returns its blockstore and
// first tipset, decoded.
func corpusTipset(t *testing.T, rel string) (*schema.Vector, *corpus.Buffered, Tipset) {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	bs, release, err := corpus.Memory{}.Open(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	ts := v.ApplyTipsets[0]
	base := abi.ChainEpoch(v.Pre.Variants[0].Epoch)
	out := Tipset{ParentState: v.Pre.StateTree.RootCID, ParentEpoch: base, Epoch: base + abi.ChainEpoch(ts.EpochOffset)}
	for _, b := range ts.Blocks {
		blk := TipsetBlock{Miner: b.MinerAddr, WinCount: b.WinCount}
		for _, raw := range b.Messages {
			bm, err := DecodeBlockMessage(raw)
			if err != nil {
				t.Fatal(err)
			}
			if bm.Message.From.Protocol() == address.SECP256K1 {
				blk.SecpMessages = append(blk.SecpMessages, bm)
			} else {
				blk.BLSMessages = append(blk.BLSMessages, bm)
			}
		}
		out.Blocks = append(out.Blocks, blk)
	}
	return v, corpus.NewBuffered(bs), out
}

const dedupVector = "msg_application/duplicates--messages-deduplicated--genesis.json"

func tipsetConfig(v *schema.Vector) Config {
	return Config{NetworkVersion: network.Version(v.Pre.Variants[0].NetworkVersion), CircSupply: big.Zero()}
}

// TestApplyTipsetDeduplicates runs a tipset whose three blocks carry the
// same two messages three times each: each message runs once, in the first
// block, and the order of applied messages is each block's new messages,
// its reward, then the epoch's cron.
func TestApplyTipsetDeduplicates(t *testing.T) {
	ctx := context.Background()
	v, bs, ts := corpusTipset(t, dedupVector)
	res, err := ApplyTipset(ctx, bs, ts, tipsetConfig(v))
	if err != nil {
		t.Fatal(err)
	}
	if res.StateRoot != v.Post.StateTree.RootCID || res.ReceiptsRoot != v.Post.ReceiptsRoots[0] {
		t.Fatalf("roots %s %s, want %s %s", res.StateRoot, res.ReceiptsRoot, v.Post.StateTree.RootCID, v.Post.ReceiptsRoots[0])
	}
	var kinds []string
	for _, a := range res.Applied {
		kinds = append(kinds, a.Kind.String())
		if a.Kind == AppliedExplicit && a.Block != 0 {
			t.Errorf("message %s applied in block %d", a.Cid, a.Block)
		}
	}
	if got, want := strings.Join(kinds, ","), "message,message,reward,reward,reward,cron"; got != want {
		t.Fatalf("applied %s, want %s", got, want)
	}
	if n := len(res.Explicit()); n != 2 {
		t.Fatalf("%d explicit messages, want 2", n)
	}

	// The same messages again in signed form in a later block are the same
	// messages: nothing changes.
	for _, bm := range ts.Blocks[0].BLSMessages {
		again, err := DecodeBlockMessage(signed(t, bm.Message))
		if err != nil {
			t.Fatal(err)
		}
		ts.Blocks[2].SecpMessages = append(ts.Blocks[2].SecpMessages, again)
	}
	res2, err := ApplyTipset(ctx, bs, ts, tipsetConfig(v))
	if err != nil {
		t.Fatal(err)
	}
	if res2.StateRoot != res.StateRoot || res2.ReceiptsRoot != res.ReceiptsRoot {
		t.Fatal("signed duplicates changed the outcome")
	}
}

// TestApplyTipsetImplicitFailureIsFatal gives a block a win count of zero:
// the reward actor rejects it (illegal argument), and the tipset has no
// outcome at all rather than a failed receipt.
func TestApplyTipsetImplicitFailureIsFatal(t *testing.T) {
	v, bs, ts := corpusTipset(t, dedupVector)
	ts.Blocks[1].WinCount = 0
	_, err := ApplyTipset(context.Background(), bs, ts, tipsetConfig(v))
	if !errors.Is(err, ErrFatal) || !strings.Contains(err.Error(), "block reward for miner") ||
		!strings.Contains(err.Error(), "(block 1)") || !strings.Contains(err.Error(), "exit code 16") {
		t.Fatalf("got %v, want a fatal block reward failure for block 1, exit code 16", err)
	}
}

func TestApplyTipsetBeforeParent(t *testing.T) {
	v, bs, ts := corpusTipset(t, dedupVector)
	ts.ParentEpoch = ts.Epoch + 1
	if _, err := ApplyTipset(context.Background(), bs, ts, tipsetConfig(v)); err == nil {
		t.Fatal("tipset before its parent ran")
	}
}

// TestImplicitMessages checks the system messages' fixed fields.
func TestImplicitMessages(t *testing.T) {
	miner, _ := address.NewIDAddress(1000)
	rw, err := RewardMessage(42, miner, big.NewInt(3), big.NewInt(4), 2)
	if err != nil {
		t.Fatal(err)
	}
	cron := CronMessage(42)
	for _, m := range []*Message{rw, cron} {
		if m.From.String()[1:] != "00" || m.Nonce != 42 || !m.Value.IsZero() || !m.GasFeeCap.IsZero() || !m.GasPremium.IsZero() || m.Method != 2 {
			t.Errorf("implicit message %+v", m)
		}
	}
	if rw.To.String()[1:] != "02" || rw.GasLimit != 1<<30 {
		t.Errorf("reward message to %s limit %d", rw.To, rw.GasLimit)
	}
	if cron.To.String()[1:] != "03" || cron.GasLimit != 100_000_000_000_000 || cron.Params != nil {
		t.Errorf("cron message to %s limit %d params %x", cron.To, cron.GasLimit, cron.Params)
	}
	// [miner, penalty, gas reward, win count]
	want := []byte{0x84, 0x43, 0x00, 0xe8, 0x07, 0x42, 0x00, 0x03, 0x42, 0x00, 0x04, 0x02}
	if !bytes.Equal(rw.Params, want) {
		t.Errorf("reward params %x, want %x", rw.Params, want)
	}
}
