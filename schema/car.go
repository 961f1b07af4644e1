package schema

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxCARSize caps the decompressed size of a vector's CAR. The largest
// public vector decompresses to under 2 MiB; the cap is generous for real
// extractions and stops a gzip bomb long before memory runs out.
const DefaultMaxCARSize = 256 << 20

// ErrCARTooLarge is returned when a CAR decompresses past the size cap.
var ErrCARTooLarge = errors.New("decompressed CAR exceeds the size limit")

// CARv1 returns the vector's CAR: the `car` field is base64 (already decoded
// by Decode) of a gzip stream holding a CARv1. At most maxSize decompressed
// bytes are read; 0 means DefaultMaxCARSize.
func (v *Vector) CARv1(maxSize int64) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxCARSize
	}
	zr, err := gzip.NewReader(bytes.NewReader(v.CAR))
	if err != nil {
		return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("not gzip: %w", err)}
	}
	defer zr.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, maxSize+1))
	if err != nil {
		return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("gunzip: %w", err)}
	}
	if n > maxSize {
		return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("%w (%d bytes)", ErrCARTooLarge, maxSize)}
	}
	return buf.Bytes(), nil
}

// EncodeCAR gzips a CARv1 for the `car` field. The output is deterministic:
// no file name or modification time is recorded in the gzip header.
func EncodeCAR(carv1 []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(carv1); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
