package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/internal/fuzzwatch"
)

type headerFixture struct {
	CID     string `json:"cid"`
	CBORHex string `json:"cbor_hex"`
	Miner   string `json:"miner"`
	Height  int64  `json:"height"`
	Parents int    `json:"parents"`
	raw     []byte
}

// publishedHeaders loads the block headers Filecoin publishes as
// serialization vectors (see testdata/block_headers.json for the source).
func publishedHeaders(t testing.TB) []headerFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/block_headers.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Headers []headerFixture `json:"headers"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	for i := range file.Headers {
		if file.Headers[i].raw, err = hex.DecodeString(file.Headers[i].CBORHex); err != nil {
			t.Fatal(err)
		}
	}
	if len(file.Headers) == 0 {
		t.Fatal("no header fixtures")
	}
	return file.Headers
}

func TestBlockHeaderPublishedEncodings(t *testing.T) {
	for _, f := range publishedHeaders(t) {
		h, err := DecodeBlockHeader(f.raw)
		if err != nil {
			t.Fatalf("%s: %v", f.CID, err)
		}
		if h.Miner.String()[1:] != f.Miner[1:] || int64(h.Height) != f.Height || len(h.Parents) != f.Parents {
			t.Errorf("%s: decoded miner %s height %d parents %d, want %s %d %d", f.CID, h.Miner, h.Height, len(h.Parents), f.Miner, f.Height, f.Parents)
		}
		if h.Ticket == nil || h.ElectionProof == nil || h.BlockSig == nil || h.BLSAggregate == nil || len(h.BeaconEntries) != 1 || len(h.WinPoStProof) != 1 {
			t.Errorf("%s: optional fields lost in decoding: %+v", f.CID, h)
		}
		again, err := h.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, f.raw) {
			t.Errorf("%s: re-encoding differs:\n got %x\nwant %x", f.CID, again, f.raw)
		}
		c, err := h.Cid()
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != f.CID {
			t.Errorf("cid %s, want %s", c, f.CID)
		}
		// The CID's digest is the BLAKE2b-256 of the encoding.
		dmh, err := multihash.Decode(c.Hash())
		if err != nil {
			t.Fatal(err)
		}
		if sum := blake2b.Sum256(f.raw); !bytes.Equal(dmh.Digest, sum[:]) {
			t.Errorf("%s: BLAKE2b-256 %x, cid digest %x", f.CID, sum, dmh.Digest)
		}
		// Signing bytes are the same header with a null signature.
		sb, err := h.SigningBytes()
		if err != nil {
			t.Fatal(err)
		}
		unsigned, err := DecodeBlockHeader(sb)
		if err != nil {
			t.Fatal(err)
		}
		if unsigned.BlockSig != nil || h.BlockSig == nil {
			t.Errorf("%s: signing bytes kept the signature or dropped it from the original", f.CID)
		}
		unsigned.BlockSig = h.BlockSig
		if !reflect.DeepEqual(unsigned, h) {
			t.Errorf("%s: signing bytes changed another field", f.CID)
		}
	}
}

func testCid(t testing.TB, s string) cid.Cid {
	t.Helper()
	c, err := abi.CidBuilder.Sum([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBlockHeaderRoundTripOptionalFields(t *testing.T) {
	miner, _ := address.NewIDAddress(1234)
	full := &BlockHeader{
		Miner:                 miner,
		Ticket:                &Ticket{VRFProof: []byte{1, 2, 3}},
		ElectionProof:         &ElectionProof{WinCount: -2, VRFProof: []byte{4}},
		BeaconEntries:         []BeaconEntry{{Round: 1 << 40, Data: []byte{5}}, {Round: 2, Data: []byte{6}}},
		WinPoStProof:          []proof.PoStProof{{PoStProof: abi.RegisteredPoStProof_StackedDrgWinning32GiBV1, ProofBytes: []byte{7}}},
		Parents:               []cid.Cid{testCid(t, "a"), testCid(t, "b")},
		ParentWeight:          big.NewInt(1 << 62),
		Height:                -5,
		ParentStateRoot:       testCid(t, "state"),
		ParentMessageReceipts: testCid(t, "receipts"),
		Messages:              testCid(t, "messages"),
		BLSAggregate:          &crypto.Signature{Type: crypto.SigTypeBLS, Data: []byte{8}},
		Timestamp:             1 << 33,
		BlockSig:              &crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: []byte{9}},
		ForkSignaling:         3,
		ParentBaseFee:         big.NewInt(100),
	}
	sparse := &BlockHeader{
		Miner:                 miner,
		ParentWeight:          big.Zero(),
		ParentStateRoot:       testCid(t, "state"),
		ParentMessageReceipts: testCid(t, "receipts"),
		Messages:              testCid(t, "messages"),
		ParentBaseFee:         big.Zero(),
	}
	for name, h := range map[string]*BlockHeader{"full": full, "sparse": sparse} {
		b, err := h.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := DecodeBlockHeader(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, h) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, h)
		}
	}
}

func TestBlockHeaderRejectsMalformed(t *testing.T) {
	raw := publishedHeaders(t)[1].raw
	// Every strict prefix is an error, never a panic.
	for n := 0; n < len(raw); n++ {
		if _, err := DecodeBlockHeader(raw[:n]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", n)
		}
	}
	if _, err := DecodeBlockHeader(append(append([]byte(nil), raw...), 0x00)); err == nil {
		t.Error("trailing byte accepted by DecodeBlockHeader")
	}
	wrongArity := append([]byte{0x8f}, raw[1:]...)
	if _, err := DecodeBlockHeader(wrongArity); err == nil {
		t.Error("15-field tuple accepted")
	}
	// 0x18 0x05 is a non-canonical encoding of the unsigned integer 5.
	var h BlockHeader
	if err := h.UnmarshalCBOR(bytes.NewReader([]byte{0x90, 0x18, 0x05})); err == nil {
		t.Error("non-canonical header accepted")
	}
}

// FuzzDecodeBlockHeader checks that decoding never panics and that whatever
// decodes re-encodes to bytes that decode to the same header.
func FuzzDecodeBlockHeader(f *testing.F) {
	for _, h := range publishedHeaders(f) {
		f.Add(h.raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer fuzzwatch.Start("DecodeBlockHeader")()
		h, err := DecodeBlockHeader(b)
		if err != nil {
			return
		}
		enc, err := h.Bytes()
		if err != nil {
			return // e.g. an undefined address cannot be re-encoded
		}
		h2, err := DecodeBlockHeader(enc)
		if err != nil {
			t.Fatalf("re-encoded header does not decode: %v", err)
		}
		if !reflect.DeepEqual(h, h2) {
			t.Fatalf("unstable round trip")
		}
	})
}
