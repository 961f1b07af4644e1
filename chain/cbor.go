package chain

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// enc writes CBOR items in sequence and keeps the first error, so each
// tuple encoder is a flat list of its fields.
type enc struct {
	w   io.Writer
	buf [9]byte
	err error
}

func (e *enc) head(major byte, n uint64) {
	if e.err == nil {
		e.err = cbg.WriteMajorTypeHeaderBuf(e.buf[:], e.w, major, n)
	}
}

func (e *enc) tuple(n int) { e.head(cbg.MajArray, uint64(n)) }
func (e *enc) uint(v uint64) {
	e.head(cbg.MajUnsignedInt, v)
}

func (e *enc) int(v int64) {
	if v < 0 {
		e.head(cbg.MajNegativeInt, uint64(-1-v))
		return
	}
	e.head(cbg.MajUnsignedInt, uint64(v))
}

func (e *enc) bytes(b []byte) {
	if len(b) > cbg.ByteArrayMaxLen {
		e.setErr(fmt.Errorf("byte string of %d bytes is longer than %d", len(b), cbg.ByteArrayMaxLen))
		return
	}
	e.head(cbg.MajByteString, uint64(len(b)))
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *enc) cid(c cid.Cid) {
	if e.err == nil {
		e.err = cbg.WriteCidBuf(e.buf[:], e.w, c)
	}
}

func (e *enc) marshal(m cbg.CBORMarshaler) {
	if e.err == nil {
		e.err = m.MarshalCBOR(e.w)
	}
}

func (e *enc) setErr(err error) {
	if e.err == nil {
		e.err = err
	}
}

// dec reads CBOR items in sequence and keeps the first error, naming the
// field that failed.
// It reads no further than the items it is asked for, so a caller can check
// for trailing bytes.
type dec struct {
	r   io.Reader
	err error
}

func newDec(r io.Reader) *dec { return &dec{r: r} }

func (d *dec) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", field, err)
	}
}

func (d *dec) head(field string) (byte, uint64) {
	if d.err != nil {
		return 0, 0
	}
	maj, n, err := cbg.CborReadHeader(d.r)
	if err != nil {
		d.fail(field, err)
	}
	return maj, n
}

func (d *dec) want(field string, major byte) uint64 {
	maj, n := d.head(field)
	if d.err == nil && maj != major {
		d.fail(field, fmt.Errorf("CBOR major type %d, want %d", maj, major))
	}
	return n
}

// tuple reads an array header of exactly n items.
func (d *dec) tuple(field string, n int) {
	if got := d.want(field, cbg.MajArray); d.err == nil && got != uint64(n) {
		d.fail(field, fmt.Errorf("tuple of %d fields, want %d", got, n))
	}
}

func (d *dec) int(field string) int64 {
	maj, n := d.head(field)
	if d.err != nil {
		return 0
	}
	if n > math.MaxInt64 {
		d.fail(field, errors.New("integer overflows int64"))
		return 0
	}
	switch maj {
	case cbg.MajUnsignedInt:
		return int64(n)
	case cbg.MajNegativeInt:
		return -1 - int64(n)
	}
	d.fail(field, fmt.Errorf("CBOR major type %d, want an integer", maj))
	return 0
}

func (d *dec) bytes(field string) []byte {
	n := d.want(field, cbg.MajByteString)
	if d.err != nil {
		return nil
	}
	if n > cbg.ByteArrayMaxLen {
		d.fail(field, fmt.Errorf("byte string of %d bytes is longer than %d", n, cbg.ByteArrayMaxLen))
		return nil
	}
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(field, err)
		return nil
	}
	return b
}

func (d *dec) cid(field string) cid.Cid {
	if d.err != nil {
		return cid.Undef
	}
	c, err := cbg.ReadCid(d.r)
	if err != nil {
		d.fail(field, err)
	}
	return c
}

func (d *dec) unmarshal(field string, u cbg.CBORUnmarshaler) {
	if d.err == nil {
		if err := u.UnmarshalCBOR(d.r); err != nil {
			d.fail(field, err)
		}
	}
}

// decodeExact decodes b into u and rejects trailing bytes: a block holds one
// object.
func decodeExact(what string, b []byte, u cbg.CBORUnmarshaler) error {
	r := bytes.NewReader(b)
	if err := u.UnmarshalCBOR(r); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("decode %s: %d trailing bytes", what, r.Len())
	}
	return nil
}

// encode returns m's CBOR bytes.
func encode(m cbg.CBORMarshaler) ([]byte, error) {
	var buf bytes.Buffer
	if err := m.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cidOf returns the chain's CID for an object: CIDv1, dag-cbor,
// blake2b-256, the builder every Filecoin chain object uses.
func cidOf(b []byte) (cid.Cid, error) {
	c, err := abi.CidBuilder.Sum(b)
	if err != nil {
		return cid.Undef, fmt.Errorf("hash object: %w", err)
	}
	return c, nil
}
