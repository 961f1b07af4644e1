package schema

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxCARSize caps the decompressed size of a vector's CAR. The largest
// public vector decompresses to under 2 MiB; the cap is generous for real
// extractions and keeps a gzip bomb to a bounded cost per worker.
const DefaultMaxCARSize = 64 << 20

// carChunk is the unit the decompressed CAR is read in, so that a stream
// lying about its size costs at most the cap, not the cap times the
// growth factor of one doubling buffer.
const carChunk = 1 << 20

// ErrCARTooLarge is returned when a CAR decompresses past the size cap.
var ErrCARTooLarge = errors.New("decompressed CAR exceeds the size limit")

// CARv1 returns the vector's CAR: the `car` field is base64 (already decoded
// by Decode) of a gzip stream holding a CARv1. At most maxSize decompressed
// bytes are read; 0 means DefaultMaxCARSize.
func (v *Vector) CARv1(maxSize int64) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxCARSize
	}
	// A single-member gzip stream ends with its size mod 2^32; a bomb that
	// states its size honestly is refused before any decompression. The
	// figure is only a hint (it can lie, and wraps at 4 GiB): the read
	// below enforces the cap whatever it says.
	if n := len(v.CAR); n >= 18 {
		if declared := int64(binary.LittleEndian.Uint32(v.CAR[n-4:])); declared > maxSize {
			return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("%w (%d bytes): gzip trailer gives %d", ErrCARTooLarge, maxSize, declared)}
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(v.CAR))
	if err != nil {
		return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("not gzip: %w", err)}
	}
	defer zr.Close()
	lr := io.LimitReader(zr, maxSize+1)
	var chunks [][]byte
	total := int64(0)
	for {
		c := make([]byte, carChunk)
		n, err := io.ReadFull(lr, c)
		total += int64(n)
		if n > 0 {
			chunks = append(chunks, c[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("gunzip: %w", err)}
		}
	}
	if total > maxSize {
		return nil, &Error{File: v.Path, Field: "car", Err: fmt.Errorf("%w (%d bytes)", ErrCARTooLarge, maxSize)}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	return bytes.Join(chunks, nil), nil
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
