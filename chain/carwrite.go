package chain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// WriteCAR writes a CARv1 holding blks under the given roots, in a form
// that depends only on its inputs: blocks are sorted by CID bytes and
// repeats dropped, so a chain built twice from the same data gives the
// same file. For a chain CAR the roots are the head tipset's block CIDs.
// Each block's bytes must hash to its CID; a CID given twice with
// different bytes is an error.
func WriteCAR(w io.Writer, roots []cid.Cid, blks []blocks.Block) error {
	if len(roots) == 0 {
		return fmt.Errorf("write CAR: no roots")
	}
	sorted, err := sortedBlocks(blks)
	if err != nil {
		return fmt.Errorf("write CAR: %w", err)
	}
	var hdr bytes.Buffer
	e := cborseq.NewWriter(&hdr)
	e.Header(cbg.MajMap, 2)
	e.Text("roots")
	e.Header(cbg.MajArray, uint64(len(roots)))
	for _, r := range roots {
		e.Cid(r)
	}
	e.Text("version")
	e.Uint(1)
	if err := e.Err(); err != nil {
		return fmt.Errorf("write CAR header: %w", err)
	}
	if err := writeSection(w, hdr.Bytes()); err != nil {
		return fmt.Errorf("write CAR header: %w", err)
	}
	for _, b := range sorted {
		if err := writeSection(w, b.Cid().Bytes(), b.RawData()); err != nil {
			return fmt.Errorf("write CAR block %s: %w", b.Cid(), err)
		}
	}
	return nil
}

// WriteCARv2 writes the same content as WriteCAR wrapped as a CARv2 with
// an index, so readers open it without scanning.
func WriteCARv2(w io.Writer, roots []cid.Cid, blks []blocks.Block) error {
	var v1 bytes.Buffer
	if err := WriteCAR(&v1, roots, blks); err != nil {
		return err
	}
	if err := carv2.WrapV1(bytes.NewReader(v1.Bytes()), w); err != nil {
		return fmt.Errorf("write CARv2: %w", err)
	}
	return nil
}

// writeSection writes a varint length and then the parts.
func writeSection(w io.Writer, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var lb [binary.MaxVarintLen64]byte
	if _, err := w.Write(lb[:binary.PutUvarint(lb[:], uint64(n))]); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

func sortedBlocks(blks []blocks.Block) ([]blocks.Block, error) {
	out := make([]blocks.Block, 0, len(blks))
	for _, b := range blks {
		if err := checkBlock(b.Cid(), b.RawData()); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool { return bytes.Compare(out[i].Cid().Bytes(), out[j].Cid().Bytes()) < 0 })
	dedup := make([]blocks.Block, 0, len(out))
	for _, b := range out {
		if n := len(dedup); n > 0 && dedup[n-1].Cid().Equals(b.Cid()) {
			if !bytes.Equal(dedup[n-1].RawData(), b.RawData()) {
				return nil, fmt.Errorf("block %s given twice with different bytes", b.Cid())
			}
			continue
		}
		dedup = append(dedup, b)
	}
	return dedup, nil
}
