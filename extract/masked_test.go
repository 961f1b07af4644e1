package extract

import (
	"context"
	"testing"

	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/chain"
)

// A miner's state links sector commitments (sealed and unsealed CIDs) that
// name no block; the retention walk keeps them as leaves and never asks
// the chain for them, which a node answers with "not found".
func TestDagBlocksCommitmentLinksAreLeaves(t *testing.T) {
	ctx := context.Background()
	commitment := func(codec uint64, fill byte) cid.Cid {
		digest := make([]byte, 32)
		for i := range digest {
			digest[i] = fill
		}
		h, err := mh.Encode(digest, mh.SHA2_256_TRUNC254_PADDED)
		if err != nil {
			t.Fatal(err)
		}
		return cid.NewCidV1(codec, h)
	}
	sealed := commitment(cid.FilCommitmentSealed, 1)
	unsealed := commitment(cid.FilCommitmentUnsealed, 2)

	mem := chain.NewMemBlocks()
	cst := ipldcbor.NewCborStore(mem)
	leaf, err := cst.Put(ctx, []uint64{7})
	if err != nil {
		t.Fatal(err)
	}
	// Shaped like a pre-commit: a sealed CID beside a deal's piece CID and
	// an ordinary link.
	root, err := cst.Put(ctx, []cid.Cid{sealed, unsealed, leaf})
	if err != nil {
		t.Fatal(err)
	}
	src := chain.NewBlockSource(mem, func() *chain.TipSet { return nil })
	got, err := dagBlocks(ctx, newStore(src), root)
	if err != nil {
		t.Fatalf("walk fetched a commitment: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("walk returned %d blocks, want the root and its one real link", len(got))
	}
	for _, b := range got {
		if b.Cid() != root && b.Cid() != leaf {
			t.Errorf("unexpected block %s", b.Cid())
		}
	}
}
