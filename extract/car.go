package extract

import (
	"context"
	"fmt"
	"io"
	"os"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	carbs "github.com/ipld/go-car/v2/blockstore"

	"github.com/tvx-project/tvx/schema"
)

// vectorCAR assembles blks under roots in a read-write CARv2 blockstore in
// dir (a temporary file, removed afterwards), finalises it, and returns its
// CARv1 payload gzipped for a vector's `car` field. Blocks go in sorted by
// CID bytes and roots in the order given, so the same blocks always give
// the same bytes.
func vectorCAR(ctx context.Context, dir string, roots []cid.Cid, blks []blocks.Block) ([]byte, error) {
	f, err := os.CreateTemp(dir, "tvx-extract-*.car")
	if err != nil {
		return nil, fmt.Errorf("vector CAR: %w", err)
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	// OpenReadWrite resumes a non-empty file; start from nothing.
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("vector CAR: %w", err)
	}

	rw, err := carbs.OpenReadWrite(path, uniqueRoots(roots), carbs.UseWholeCIDs(true))
	if err != nil {
		return nil, fmt.Errorf("vector CAR: open %s: %w", path, err)
	}
	sorted := append([]blocks.Block(nil), blks...)
	sortBlocks(sorted)
	for _, b := range sorted {
		if isIdentity(b.Cid()) {
			continue
		}
		if err := rw.Put(ctx, b); err != nil {
			rw.Discard()
			return nil, fmt.Errorf("vector CAR: put %s: %w", b.Cid(), err)
		}
	}
	if err := rw.Finalize(); err != nil {
		return nil, fmt.Errorf("vector CAR: finalise: %w", err)
	}

	r, err := carv2.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("vector CAR: reopen: %w", err)
	}
	defer r.Close()
	dr, err := r.DataReader()
	if err != nil {
		return nil, fmt.Errorf("vector CAR: payload: %w", err)
	}
	v1, err := io.ReadAll(dr)
	if err != nil {
		return nil, fmt.Errorf("vector CAR: payload: %w", err)
	}
	gz, err := schema.EncodeCAR(v1)
	if err != nil {
		return nil, fmt.Errorf("vector CAR: gzip: %w", err)
	}
	return gz, nil
}

func uniqueRoots(roots []cid.Cid) []cid.Cid {
	var out []cid.Cid
	seen := map[cid.Cid]bool{}
	for _, r := range roots {
		if r.Defined() && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
