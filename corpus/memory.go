// Package corpus serves a vector's blocks to the VM: a read-only, indexed
// CARv2 blockstore over the vector's CAR, under a write buffer that takes the
// blocks the VM writes, so the vector's own data is never modified.
package corpus

import (
	"bytes"
	"context"
	"fmt"

	blockstore "github.com/ipfs/go-ipfs-blockstore"
	carbs "github.com/ipld/go-car/v2/blockstore"

	"github.com/tvx-project/tvx/schema"
)

// Blockstore is the blockstore interface tvx's components share.
type Blockstore = blockstore.Blockstore

// Source yields the blocks of a vector. Open returns a read-only blockstore
// and a release function the caller must call when done with it.
type Source interface {
	Open(ctx context.Context, v *schema.Vector) (Blockstore, func(), error)
}

// Memory is the Source that decodes and indexes a vector's CAR in memory on
// every Open. It needs no set-up and holds no state.
type Memory struct {
	// MaxCARSize caps the decompressed CAR; 0 means schema.DefaultMaxCARSize.
	MaxCARSize int64
}

// Open implements Source.
func (m Memory) Open(ctx context.Context, v *schema.Vector) (Blockstore, func(), error) {
	carv1, err := vectorCARv1(ctx, v, m.MaxCARSize)
	if err != nil {
		return nil, nil, err
	}
	bs, err := OpenCAR(carv1)
	if err != nil {
		return nil, nil, &schema.Error{File: v.Path, Field: "car", Err: err}
	}
	if err := CheckRoots(ctx, bs, v); err != nil {
		bs.Close()
		return nil, nil, err
	}
	return bs, func() { bs.Close() }, nil
}

// OpenCAR indexes a CARv1 (or CARv2) held in memory and returns it as a
// read-only blockstore.
func OpenCAR(car []byte) (*carbs.ReadOnly, error) {
	bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
	if err != nil {
		return nil, fmt.Errorf("index CAR: %w", err)
	}
	return bs, nil
}

// CheckRoots verifies that the vector's pre-state root is present in bs: a
// vector whose CAR lacks it cannot run at all.
func CheckRoots(ctx context.Context, bs Blockstore, v *schema.Vector) error {
	root := v.Pre.StateTree.RootCID
	ok, err := bs.Has(ctx, root)
	if err != nil {
		return &schema.Error{File: v.Path, Field: "car", Err: fmt.Errorf("look up pre-state root %s: %w", root, err)}
	}
	if !ok {
		return &schema.Error{File: v.Path, Field: "preconditions.state_tree.root_cid", Err: fmt.Errorf("root %s not in the vector's CAR", root)}
	}
	return nil
}
