package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"path/filepath"
	"testing"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/schema"
)

func loadSample(t *testing.T) *schema.Vector {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join("public", "multisig", "basic--ok-create--genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMemoryOpen(t *testing.T) {
	ctx := context.Background()
	v := loadSample(t)
	bs, release, err := Memory{}.Open(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	blk, err := bs.Get(ctx, v.Pre.StateTree.RootCID)
	if err != nil {
		t.Fatal(err)
	}
	// The block must hash to its CID: the store serves real data.
	c, err := v.Pre.StateTree.RootCID.Prefix().Sum(blk.RawData())
	if err != nil || !c.Equals(v.Pre.StateTree.RootCID) {
		t.Fatalf("pre-state root block does not hash to its CID: %v", err)
	}
}

func TestMissingRoot(t *testing.T) {
	v := loadSample(t)
	other, err := cid.Decode("bafy2bzacecaagsjzlqmnuxzjrui7tmefdg7g6mdwcvrnhsitdchcf2lwdyeae")
	if err != nil {
		t.Fatal(err)
	}
	v.Pre.StateTree.RootCID = other
	_, _, err = Memory{}.Open(context.Background(), v)
	var se *schema.Error
	if !errors.As(err, &se) || se.Field != "preconditions.state_tree.root_cid" {
		t.Fatalf("want an error naming the pre-state root, got %v", err)
	}
}

func TestGarbageCAR(t *testing.T) {
	v := loadSample(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("this is not a CAR file"))
	zw.Close()
	v.CAR = buf.Bytes()
	_, _, err := Memory{}.Open(context.Background(), v)
	var se *schema.Error
	if !errors.As(err, &se) || se.Field != "car" {
		t.Fatalf("want an error naming the car field, got %v", err)
	}
}

func TestBufferedNeverWritesBase(t *testing.T) {
	ctx := context.Background()
	v := loadSample(t)
	bs, release, err := Memory{}.Open(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	buf := NewBuffered(bs)
	blk := blocks.NewBlock([]byte("a block the VM wrote"))
	if err := buf.Put(ctx, blk); err != nil {
		t.Fatal(err)
	}
	if ok, _ := buf.Has(ctx, blk.Cid()); !ok {
		t.Fatal("buffered block not visible")
	}
	if ok, _ := bs.Has(ctx, blk.Cid()); ok {
		t.Fatal("write reached the read-only base")
	}
	if _, err := buf.Get(ctx, v.Pre.StateTree.RootCID); err != nil {
		t.Fatalf("base block not visible through the buffer: %v", err)
	}
	if err := buf.DeleteBlock(ctx, v.Pre.StateTree.RootCID); err == nil {
		t.Fatal("deleting a base block must fail")
	}
}
