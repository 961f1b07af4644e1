package cborseq

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// A tuple written field by field reads back field by field; a wrong arity,
// a wrong type or a truncation is an error naming the field, and reads
// after an error return zero values.
func TestTupleRoundTripAndErrors(t *testing.T) {
	c, err := cid.Decode("bafy2bzacecv2dnse37l6p2xwhqaq63txtme7hc7ajkgawuswyzqftgdmuhrfs")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Array(5)
	w.Uint(7)
	w.Int(-3)
	w.Bytes([]byte{1, 2})
	w.Cid(c)
	w.Null()
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()

	r := NewReader(bytes.NewReader(enc))
	if n := r.Array("t", 5); n != 5 {
		t.Fatalf("array length %d", n)
	}
	if u, i, b, got := r.Uint("u"), r.Int("i"), r.Bytes("b"), r.Cid("c"); u != 7 || i != -3 || !bytes.Equal(b, []byte{1, 2}) || got != c {
		t.Fatalf("read back %d %d %x %s", u, i, b, got)
	}
	if !r.IsNull() || r.Err() != nil {
		t.Fatalf("null not read: %v", r.Err())
	}

	r = NewReader(bytes.NewReader(enc))
	r.Array("tuple", 4)
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "tuple") {
		t.Fatalf("arity 5 read as 4: %v", err)
	}
	if v := r.Uint("after"); v != 0 {
		t.Fatalf("read %d after an error", v)
	}

	r = NewReader(bytes.NewReader(enc))
	r.Array("t", 5)
	r.Bytes("first")
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "first") {
		t.Fatalf("uint read as bytes: %v", err)
	}

	r = NewReader(bytes.NewReader(enc[:len(enc)-3]))
	r.Array("t", 5)
	r.Uint("u")
	r.Int("i")
	r.Bytes("b")
	r.Cid("cid")
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "cid") {
		t.Fatalf("truncated CID: %v", err)
	}
}

// Over-long byte strings are refused both ways, at cbor-gen's limit.
func TestByteStringLimit(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Bytes(make([]byte, cbg.ByteArrayMaxLen+1))
	if w.Err() == nil || buf.Len() != 0 {
		t.Fatalf("over-long byte string written (%d bytes, %v)", buf.Len(), w.Err())
	}
	buf.Reset()
	if err := cbg.WriteMajorTypeHeader(&buf, cbg.MajByteString, cbg.ByteArrayMaxLen+1); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	if b := r.Bytes("big"); b != nil || r.Err() == nil {
		t.Fatal("over-long byte string read")
	}
}

// DecodeExact refuses trailing bytes and names what it decoded.
func TestDecodeExact(t *testing.T) {
	var buf bytes.Buffer
	if err := cbg.WriteMajorTypeHeader(&buf, cbg.MajUnsignedInt, 5); err != nil {
		t.Fatal(err)
	}
	var d cbg.Deferred
	if err := DecodeExact("thing", buf.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	b, err := Encode(&d)
	if err != nil || !bytes.Equal(b, buf.Bytes()) {
		t.Fatalf("re-encoded %x (%v), want %x", b, err, buf.Bytes())
	}
	err = DecodeExact("thing", append(buf.Bytes(), 0), &d)
	if err == nil || !strings.Contains(err.Error(), "decode thing: 1 trailing bytes") {
		t.Fatalf("trailing byte: %v", err)
	}
}
