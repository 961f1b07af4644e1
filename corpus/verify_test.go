package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/internal/fuzzwatch"
	"github.com/tvx-project/tvx/schema"
)

// forgeBlock returns a copy of v whose CAR has the last byte of one block's
// data flipped (its CID kept), and that block's CID.
func forgeBlock(t testing.TB, v *schema.Vector) (*schema.Vector, cid.Cid) {
	t.Helper()
	car, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	car = append([]byte(nil), car...)
	hdr, n := binary.Uvarint(car)
	off := n + int(hdr)
	sec, n := binary.Uvarint(car[off:])
	cl, c, err := cid.CidFromBytes(car[off+n:])
	if err != nil || int(sec) <= cl {
		t.Fatalf("first section: %v", err)
	}
	car[off+n+int(sec)-1] ^= 0xff
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(car)
	zw.Close()
	forged := *v
	forged.CAR = gz.Bytes()
	return &forged, c
}

// A block that does not hash to its CID is rejected at load, the CID named,
// through memory and through the store alike.
func TestForgedBlockRejected(t *testing.T) {
	ctx := context.Background()
	forged, c := forgeBlock(t, loadSample(t))
	st, err := OpenStore(ctx, t.TempDir(), StoreOptions{MemoryBelow: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, src := range map[string]Source{"memory": Memory{}, "store": st} {
		_, release, err := src.Open(ctx, forged)
		if err == nil {
			release()
			t.Fatalf("%s: forged block %s accepted", name, c)
		}
		var se *schema.Error
		if !errors.Is(err, ErrBlockHash) || !strings.Contains(err.Error(), c.String()) || !errors.As(err, &se) || se.Field != "car" {
			t.Errorf("%s: error %v should name field car and block %s", name, err, c)
		}
	}
}

func BenchmarkOpenCAR(b *testing.B) {
	car := benchCAR(b)
	b.SetBytes(int64(len(car)))
	for b.Loop() {
		bs, err := OpenCAR(car)
		if err != nil {
			b.Fatal(err)
		}
		bs.Close()
	}
}

func BenchmarkVerifyBlocks(b *testing.B) {
	car := benchCAR(b)
	b.SetBytes(int64(len(car)))
	for b.Loop() {
		if err := VerifyBlocks(car); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCAR is the largest CAR of the bundled sample corpus.
func benchCAR(b *testing.B) []byte {
	b.Helper()
	files, err := schema.Walk("public")
	if err != nil {
		b.Fatal(err)
	}
	var best []byte
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			continue
		}
		if car, err := v.CARv1(0); err == nil && len(car) > len(best) {
			best = car
		}
	}
	return best
}

// BenchmarkDecompressCAR is the decompression every load pays, for scale.
func BenchmarkDecompressCAR(b *testing.B) {
	car := benchCAR(b)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(car)
	zw.Close()
	v := &schema.Vector{}
	v.CAR = gz.Bytes()
	b.SetBytes(int64(len(car)))
	for b.Loop() {
		if _, err := v.CARv1(0); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzOpenCAR checks that a CAR from a vector, however damaged, is either
// rejected with an error or yields only blocks that hash to their CIDs,
// without panicking or hanging.
func FuzzOpenCAR(f *testing.F) {
	if v, err := schema.LoadFile("public/multisig/basic--ok-create--genesis.json"); err == nil {
		if car, err := v.CARv1(0); err == nil {
			f.Add(car)
			f.Add(car[:len(car)/2])
		}
	}
	f.Add([]byte{0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x01})
	f.Fuzz(func(t *testing.T, car []byte) {
		defer fuzzwatch.Start("OpenCAR")()
		if VerifyBlocks(car) != nil {
			return
		}
		bs, err := OpenCAR(car)
		if err != nil {
			return
		}
		defer bs.Close()
		ctx := context.Background()
		keys, err := bs.AllKeysChan(ctx)
		if err != nil {
			return
		}
		for c := range keys {
			blk, err := bs.Get(ctx, c)
			if err != nil {
				continue
			}
			if err := checkBlock(c, blk.RawData()); err != nil {
				t.Fatalf("verified CAR serves a bad block: %v", err)
			}
		}
	})
}
