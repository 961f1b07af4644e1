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
func (v *Vector) CARv1(maxSize int64) ([]byte, error) { return v.CARv1Reserving(maxSize, nil) }

// DeclaredCARSize returns the decompressed size the `car` field's gzip
// trailer states, or 0 when the field is too short to hold a gzip stream.
// The figure is a hint: it is the size mod 2^32 of the last gzip member
// only, and a hostile stream can state anything.
func (v *Vector) DeclaredCARSize() int64 {
	if n := len(v.CAR); n >= 18 {
		return int64(binary.LittleEndian.Uint32(v.CAR[n-4:]))
	}
	return 0
}

// CARv1Reserving is CARv1 for a caller that accounts for the memory it
// holds: the caller has budgeted for DeclaredCARSize bytes, and reserve (if
// not nil) is called for every n bytes more that the stream turns out to
// hold (a stream whose trailer understates it) before they are held; an
// error from reserve ends the decompression with that error.
func (v *Vector) CARv1Reserving(maxSize int64, reserve func(n int64) error) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxCARSize
	}
	carErr := func(err error) error { return &Error{File: v.Path, Field: "car", Err: err} }
	// A bomb that states its size honestly is refused before any
	// decompression; the read below enforces the cap whatever the trailer
	// says.
	declared := v.DeclaredCARSize()
	if declared > maxSize {
		return nil, carErr(fmt.Errorf("%w (%d bytes): gzip trailer gives %d", ErrCARTooLarge, maxSize, declared))
	}
	zr, err := gzip.NewReader(bytes.NewReader(v.CAR))
	if err != nil {
		return nil, carErr(fmt.Errorf("not gzip: %w", err))
	}
	defer zr.Close()
	lr := io.LimitReader(zr, maxSize+1)
	// The stated size, when honest (any single-member stream that gunzips
	// without a checksum error), is read into one buffer of that size.
	first := make([]byte, declared+1)
	n, err := io.ReadFull(lr, first)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return first[:n], nil
	}
	if err != nil {
		return nil, carErr(fmt.Errorf("gunzip: %w", err))
	}
	// Anything past the stated size is read in chunks, each reserved
	// first, so that a stream lying about its size costs at most the cap,
	// not the cap times the growth factor of one doubling buffer.
	chunks := [][]byte{first}
	total := declared + 1
	for {
		if reserve != nil {
			if err := reserve(carChunk); err != nil {
				return nil, carErr(fmt.Errorf("gunzip: %w", err))
			}
		}
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
			return nil, carErr(fmt.Errorf("gunzip: %w", err))
		}
	}
	if total > maxSize {
		return nil, carErr(fmt.Errorf("%w (%d bytes)", ErrCARTooLarge, maxSize))
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	// Joining holds the chunks and their copy at once.
	if reserve != nil {
		if err := reserve(total); err != nil {
			return nil, carErr(fmt.Errorf("gunzip: %w", err))
		}
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
