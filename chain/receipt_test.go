package chain_test

import (
	"bytes"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/chain"
)

// TestReceiptEncodingPerVersion writes and reads receipts as the receipts
// AMT holds them: three fields before nv18; four from it (V1), the events
// root as a CID link or null.
func TestReceiptEncodingPerVersion(t *testing.T) {
	events, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum([]byte{0x80})
	if err != nil {
		t.Fatal(err)
	}
	var link bytes.Buffer
	if err := cbg.WriteCid(&link, events); err != nil {
		t.Fatal(err)
	}
	// exit code 16 (0x10), return h'01', gas used 1000 (0x19 0x03e8).
	body := []byte{0x10, 0x41, 0x01, 0x19, 0x03, 0xe8}
	for _, c := range []struct {
		name string
		r    chain.MessageReceipt
		want []byte
	}{
		{"v0", chain.MessageReceipt{ExitCode: 16, Return: []byte{1}, GasUsed: 1000}, append([]byte{0x83}, body...)},
		{"v1 without events", chain.MessageReceipt{ExitCode: 16, Return: []byte{1}, GasUsed: 1000, V1: true}, append(append([]byte{0x84}, body...), 0xf6)},
		{"v1 with events", chain.MessageReceipt{ExitCode: 16, Return: []byte{1}, GasUsed: 1000, V1: true, EventsRoot: &events}, append(append([]byte{0x84}, body...), link.Bytes()...)},
	} {
		var got bytes.Buffer
		if err := c.r.MarshalCBOR(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), c.want) {
			t.Errorf("%s: %x, want %x", c.name, got.Bytes(), c.want)
		}
		var back chain.MessageReceipt
		if err := back.UnmarshalCBOR(bytes.NewReader(c.want)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if back.V1 != c.r.V1 || (back.EventsRoot == nil) != (c.r.EventsRoot == nil) || back.GasUsed != 1000 || back.ExitCode != 16 {
			t.Errorf("%s: decoded %+v", c.name, back)
		}
	}
	var r chain.MessageReceipt
	if err := r.UnmarshalCBOR(bytes.NewReader(append([]byte{0x82}, body[:3]...))); err == nil {
		t.Error("a two-field receipt decoded")
	}
}
