// Package cborseq writes and reads CBOR items one after another with a
// sticky first error, so a tuple codec reads as a flat list of its fields.
// It is what the chain types (packages chain and wire) are encoded with,
// so all follow the same limits as the chain's generated codecs: arrays of
// at most cbor-gen's MaxLength items, byte strings of at most its
// ByteArrayMaxLen bytes.
package cborseq

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Writer writes CBOR items to an io.Writer and keeps the first error; after
// an error it writes nothing more.
type Writer struct {
	w       io.Writer
	scratch [9]byte
	err     error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Err returns the first error met, if any.
func (cw *Writer) Err() error { return cw.err }

// Fail records err unless an error is already recorded.
func (cw *Writer) Fail(err error) {
	if cw.err == nil {
		cw.err = err
	}
}

// Header writes a major type and its count or value.
func (cw *Writer) Header(major byte, n uint64) {
	if cw.err == nil {
		cw.err = cbg.WriteMajorTypeHeaderBuf(cw.scratch[:], cw.w, major, n)
	}
}

// Array writes the header of an n-item array (a tuple of n fields).
func (cw *Writer) Array(n int) {
	if n > cbg.MaxLength {
		cw.Fail(fmt.Errorf("array of %d items exceeds %d", n, cbg.MaxLength))
		return
	}
	cw.Header(cbg.MajArray, uint64(n))
}

// Uint writes an unsigned integer.
func (cw *Writer) Uint(v uint64) { cw.Header(cbg.MajUnsignedInt, v) }

// Int writes a signed integer.
func (cw *Writer) Int(v int64) {
	if v < 0 {
		cw.Header(cbg.MajNegativeInt, uint64(-1-v))
		return
	}
	cw.Header(cbg.MajUnsignedInt, uint64(v))
}

// Bytes writes a byte string.
func (cw *Writer) Bytes(b []byte) {
	if len(b) > cbg.ByteArrayMaxLen {
		cw.Fail(fmt.Errorf("byte string of %d bytes exceeds %d", len(b), cbg.ByteArrayMaxLen))
		return
	}
	cw.Header(cbg.MajByteString, uint64(len(b)))
	if cw.err == nil {
		_, cw.err = cw.w.Write(b)
	}
}

// Text writes a text string.
func (cw *Writer) Text(s string) {
	cw.Header(cbg.MajTextString, uint64(len(s)))
	if cw.err == nil {
		_, cw.err = io.WriteString(cw.w, s)
	}
}

// Cid writes a CID link (tag 42).
func (cw *Writer) Cid(c cid.Cid) {
	if cw.err == nil {
		cw.err = cbg.WriteCidBuf(cw.scratch[:], cw.w, c)
	}
}

// Null writes CBOR null.
func (cw *Writer) Null() {
	if cw.err == nil {
		_, cw.err = cw.w.Write(cbg.CborNull)
	}
}

// Value writes m with its own codec.
func (cw *Writer) Value(m cbg.CBORMarshaler) {
	if cw.err == nil {
		cw.err = m.MarshalCBOR(cw.w)
	}
}

// Reader reads CBOR items from an io.Reader and keeps the first error,
// which names the item (what) that failed; after an error every read
// returns a zero value. It reads no further than the items asked for, so a
// caller can check for trailing bytes, and it accepts only the canonical
// (shortest) header encodings, like the chain's decoders.
type Reader struct {
	r       cbg.BytePeeker
	scratch [8]byte
	err     error
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: cbg.GetPeeker(r)} }

// Err returns the first error met, if any.
func (cr *Reader) Err() error { return cr.err }

func (cr *Reader) fail(what string, err error) {
	if cr.err == nil {
		cr.err = fmt.Errorf("%s: %w", what, err)
	}
}

func (cr *Reader) header(what string) (byte, uint64) {
	if cr.err != nil {
		return 0, 0
	}
	major, n, err := cbg.CborReadHeaderBuf(cr.r, cr.scratch[:])
	if err != nil {
		cr.fail(what, err)
	}
	return major, n
}

func (cr *Reader) expect(what string, want byte) uint64 {
	major, n := cr.header(what)
	if cr.err == nil && major != want {
		cr.fail(what, fmt.Errorf("CBOR major type %d, want %d", major, want))
	}
	return n
}

// Array reads an array header and returns its length, which must be
// exactly n when n >= 0 (a tuple), and at most cbor-gen's MaxLength.
func (cr *Reader) Array(what string, n int) int {
	got := cr.expect(what, cbg.MajArray)
	if cr.err != nil {
		return 0
	}
	if n >= 0 && got != uint64(n) {
		cr.fail(what, fmt.Errorf("array of %d items, want %d", got, n))
		return 0
	}
	if got > cbg.MaxLength {
		cr.fail(what, fmt.Errorf("array of %d items exceeds %d", got, cbg.MaxLength))
		return 0
	}
	return int(got)
}

// Uint reads an unsigned integer.
func (cr *Reader) Uint(what string) uint64 { return cr.expect(what, cbg.MajUnsignedInt) }

// Int reads a signed integer that fits an int64.
func (cr *Reader) Int(what string) int64 {
	major, n := cr.header(what)
	if cr.err != nil {
		return 0
	}
	if n > 1<<63-1 {
		cr.fail(what, fmt.Errorf("integer overflows int64"))
		return 0
	}
	switch major {
	case cbg.MajUnsignedInt:
		return int64(n)
	case cbg.MajNegativeInt:
		return -1 - int64(n)
	}
	cr.fail(what, fmt.Errorf("CBOR major type %d is not an integer", major))
	return 0
}

// Bytes reads a byte string; an empty one is nil.
func (cr *Reader) Bytes(what string) []byte {
	n := cr.expect(what, cbg.MajByteString)
	if cr.err != nil {
		return nil
	}
	if n > cbg.ByteArrayMaxLen {
		cr.fail(what, fmt.Errorf("byte string of %d bytes exceeds %d", n, cbg.ByteArrayMaxLen))
		return nil
	}
	if n == 0 {
		return nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr.r, buf); err != nil {
		cr.fail(what, err)
		return nil
	}
	return buf
}

// Text reads a text string of at most cbor-gen's MaxLength bytes.
func (cr *Reader) Text(what string) string {
	n := cr.expect(what, cbg.MajTextString)
	if cr.err != nil {
		return ""
	}
	if n > cbg.MaxLength {
		cr.fail(what, fmt.Errorf("text string of %d bytes exceeds %d", n, cbg.MaxLength))
		return ""
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr.r, buf); err != nil {
		cr.fail(what, err)
		return ""
	}
	return string(buf)
}

// Cid reads a CID link.
func (cr *Reader) Cid(what string) cid.Cid {
	if cr.err != nil {
		return cid.Undef
	}
	c, err := cbg.ReadCid(cr.r)
	if err != nil {
		cr.fail(what, err)
	}
	return c
}

// IsNull consumes a CBOR null and reports true, or leaves the input as it
// was and reports false.
func (cr *Reader) IsNull() bool {
	if cr.err != nil {
		return false
	}
	b, err := cr.r.ReadByte()
	if err != nil {
		cr.err = err
		return false
	}
	if b == cbg.CborNull[0] {
		return true
	}
	cr.err = cr.r.UnreadByte()
	return false
}

// Value reads u with its own codec.
func (cr *Reader) Value(what string, u cbg.CBORUnmarshaler) {
	if cr.err != nil {
		return
	}
	if err := u.UnmarshalCBOR(cr.r); err != nil {
		cr.fail(what, err)
	}
}

// Encode returns m's CBOR encoding.
func Encode(m cbg.CBORMarshaler) ([]byte, error) {
	var buf bytes.Buffer
	if err := m.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeExact decodes b, which must hold exactly one object (a block holds
// one), into u; errors read "decode <what>: ...".
func DecodeExact(what string, b []byte, u cbg.CBORUnmarshaler) error {
	r := bytes.NewReader(b)
	if err := u.UnmarshalCBOR(r); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("decode %s: %d trailing bytes", what, r.Len())
	}
	return nil
}
