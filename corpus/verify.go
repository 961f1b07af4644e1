package corpus

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/internal/membudget"
	"github.com/tvx-project/tvx/schema"
)

// ErrBlockHash is wrapped by the error for a block whose bytes do not hash
// to its CID.
var ErrBlockHash = errors.New("block does not hash to its CID")

// VerifyBlocks checks that every block of a CARv1 hashes to its CID, and
// names the first that does not. The VM trusts a CID to stand for its
// bytes, so one forged block would make a vector test something other than
// what its CIDs say; the check costs one hash per block (see
// BenchmarkVerifyBlocks against BenchmarkOpenCAR).
func VerifyBlocks(carv1 []byte) error {
	return eachBlock(carv1, checkBlock)
}

// eachBlock calls fn with every block of a CARv1, in order, until fn fails.
func eachBlock(carv1 []byte, fn func(c cid.Cid, data []byte) error) error {
	r := bytes.NewReader(carv1)
	hdrLen, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("CAR header: %w", err)
	}
	if hdrLen > uint64(r.Len()) {
		return fmt.Errorf("CAR header: length %d past the end", hdrLen)
	}
	if _, err := r.Seek(int64(hdrLen), io.SeekCurrent); err != nil {
		return err
	}
	for n := 0; r.Len() > 0; n++ {
		off := len(carv1) - r.Len()
		secLen, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("CAR section %d at byte %d: %w", n, off, err)
		}
		if secLen == 0 {
			// A zero-length section ends the data (as go-car reads it).
			return nil
		}
		if secLen > uint64(r.Len()) {
			return fmt.Errorf("CAR section %d at byte %d: length %d past the end", n, off, secLen)
		}
		start := len(carv1) - r.Len()
		sec := carv1[start : start+int(secLen)]
		r.Seek(int64(secLen), io.SeekCurrent)
		cl, c, err := cid.CidFromBytes(sec)
		if err != nil {
			return fmt.Errorf("CAR section %d at byte %d: CID: %w", n, off, err)
		}
		if err := fn(c, sec[cl:]); err != nil {
			return err
		}
	}
	return nil
}

// checkBlock reports whether data hashes to c.
func checkBlock(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return fmt.Errorf("block %s: %w", c, err)
	}
	if !got.Equals(c) {
		return fmt.Errorf("block %s: %w (its bytes hash to %s)", c, ErrBlockHash, got)
	}
	return nil
}

// vectorCARv1 is v's CAR, decompressed (at most max bytes) and with every
// block checked against its CID; errors name the vector and field "car".
// When ctx carries a memory hold (membudget.WithHold), the bytes the CAR
// holds beyond its gzip trailer's stated size are added to it first.
func vectorCARv1(ctx context.Context, v *schema.Vector, max int64) ([]byte, error) {
	var reserve func(int64) error
	if h := membudget.FromContext(ctx); h != nil {
		reserve = func(n int64) error { return h.Grow(ctx, n) }
	}
	carv1, err := v.CARv1Reserving(max, reserve)
	if err != nil {
		return nil, err
	}
	if err := VerifyBlocks(carv1); err != nil {
		return nil, &schema.Error{File: v.Path, Field: "car", Err: err}
	}
	return carv1, nil
}
