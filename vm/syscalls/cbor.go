package syscalls

import (
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Limits Filecoin's generated CBOR codecs apply to headers; decoding larger
// values fails exactly where the chain's own decoder would.
const (
	maxCborArrayLen = cbg.MaxLength
	maxCborBytesLen = cbg.ByteArrayMaxLen
)

// cborWriter writes a sequence of CBOR items and remembers the first error,
// so encoders read as a flat list of fields.
type cborWriter struct {
	w       io.Writer
	scratch [9]byte
	err     error
}

func (cw *cborWriter) header(major byte, n uint64) {
	if cw.err == nil {
		cw.err = cbg.WriteMajorTypeHeaderBuf(cw.scratch[:], cw.w, major, n)
	}
}

func (cw *cborWriter) uint(v uint64) { cw.header(cbg.MajUnsignedInt, v) }

func (cw *cborWriter) int(v int64) {
	if v >= 0 {
		cw.header(cbg.MajUnsignedInt, uint64(v))
	} else {
		cw.header(cbg.MajNegativeInt, uint64(-(v + 1)))
	}
}

func (cw *cborWriter) bytes(b []byte) {
	if len(b) > maxCborBytesLen {
		cw.fail(fmt.Errorf("byte string of %d bytes exceeds %d", len(b), maxCborBytesLen))
		return
	}
	cw.header(cbg.MajByteString, uint64(len(b)))
	if cw.err == nil {
		_, cw.err = cw.w.Write(b)
	}
}

func (cw *cborWriter) array(n int) {
	if n > maxCborArrayLen {
		cw.fail(fmt.Errorf("array of %d items exceeds %d", n, maxCborArrayLen))
		return
	}
	cw.header(cbg.MajArray, uint64(n))
}

func (cw *cborWriter) cid(c cid.Cid) {
	if cw.err == nil {
		cw.err = cbg.WriteCidBuf(cw.scratch[:], cw.w, c)
	}
}

func (cw *cborWriter) null() {
	if cw.err == nil {
		_, cw.err = cw.w.Write(cbg.CborNull)
	}
}

func (cw *cborWriter) value(m cbg.CBORMarshaler) {
	if cw.err == nil {
		cw.err = m.MarshalCBOR(cw.w)
	}
}

func (cw *cborWriter) fail(err error) {
	if cw.err == nil {
		cw.err = err
	}
}

// cborReader is the decoding counterpart of cborWriter. It accepts only the
// canonical (shortest) header encodings, like the chain's decoders.
type cborReader struct {
	r       cbg.BytePeeker
	scratch [8]byte
	err     error
}

func newCborReader(r io.Reader) *cborReader { return &cborReader{r: cbg.GetPeeker(r)} }

func (cr *cborReader) header() (byte, uint64) {
	if cr.err != nil {
		return 0, 0
	}
	major, n, err := cbg.CborReadHeaderBuf(cr.r, cr.scratch[:])
	if err != nil {
		cr.err = err
	}
	return major, n
}

func (cr *cborReader) expect(what string, want byte) uint64 {
	major, n := cr.header()
	if cr.err == nil && major != want {
		cr.err = fmt.Errorf("%s: cbor major type %d, want %d", what, major, want)
	}
	return n
}

// array reads an array header and checks its length is exactly n (n >= 0) or
// at most the chain's limit (n < 0), returning the length.
func (cr *cborReader) array(what string, n int) int {
	got := cr.expect(what, cbg.MajArray)
	if cr.err != nil {
		return 0
	}
	if n >= 0 && got != uint64(n) {
		cr.err = fmt.Errorf("%s: array of %d items, want %d", what, got, n)
		return 0
	}
	if got > maxCborArrayLen {
		cr.err = fmt.Errorf("%s: array of %d items exceeds %d", what, got, maxCborArrayLen)
		return 0
	}
	return int(got)
}

func (cr *cborReader) uint(what string) uint64 {
	return cr.expect(what, cbg.MajUnsignedInt)
}

func (cr *cborReader) int(what string) int64 {
	major, n := cr.header()
	if cr.err != nil {
		return 0
	}
	if n > 1<<63-1 {
		cr.err = fmt.Errorf("%s: integer overflows int64", what)
		return 0
	}
	switch major {
	case cbg.MajUnsignedInt:
		return int64(n)
	case cbg.MajNegativeInt:
		return -1 - int64(n)
	default:
		cr.err = fmt.Errorf("%s: cbor major type %d is not an integer", what, major)
		return 0
	}
}

func (cr *cborReader) bytes(what string) []byte {
	n := cr.expect(what, cbg.MajByteString)
	if cr.err != nil {
		return nil
	}
	if n > maxCborBytesLen {
		cr.err = fmt.Errorf("%s: byte string of %d bytes exceeds %d", what, n, maxCborBytesLen)
		return nil
	}
	if n == 0 {
		return nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr.r, buf); err != nil {
		cr.err = fmt.Errorf("%s: %w", what, err)
		return nil
	}
	return buf
}

func (cr *cborReader) cid(what string) cid.Cid {
	if cr.err != nil {
		return cid.Undef
	}
	c, err := cbg.ReadCid(cr.r)
	if err != nil {
		cr.err = fmt.Errorf("%s: %w", what, err)
	}
	return c
}

// isNull consumes a CBOR null and reports true, or leaves the input as it
// was and reports false.
func (cr *cborReader) isNull() bool {
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

func (cr *cborReader) value(what string, u cbg.CBORUnmarshaler) {
	if cr.err != nil {
		return
	}
	if err := u.UnmarshalCBOR(cr.r); err != nil {
		cr.err = fmt.Errorf("%s: %w", what, err)
	}
}
