package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/multiformats/go-varint"
)

// cycleCAR writes a CARv1 of HAMT nodes (state trees of version 0): root a
// is an honest node linking to b, whose CID is forged so that b links to
// itself (content addressing alone cannot make a cycle); root c is an
// honest leaf. It returns the file and the CIDs of a, b and c.
func cycleCAR(t *testing.T) (string, cid.Cid, cid.Cid, cid.Cid) {
	t.Helper()
	sum := func(data []byte) cid.Cid {
		h, err := multihash.Sum(data, multihash.SHA2_256, -1)
		if err != nil {
			t.Fatal(err)
		}
		return cid.NewCidV1(cid.DagCBOR, h)
	}
	// A HAMT node [bitfield 0b1, [link]] whose one slot links to child.
	node := func(child cid.Cid) []byte {
		link := append([]byte{0}, child.Bytes()...)
		out := []byte{0x82, 0x41, 0x01, 0x81, 0xd8, 0x2a, 0x58, byte(len(link))}
		return append(out, link...)
	}
	// A HAMT node holding one key-value pair in a bucket.
	leaf := []byte{0x82, 0x41, 0x01, 0x81, 0x81, 0x82, 0x41, 'k', 0x41, 'v'}
	b := sum([]byte("forged: not the hash of its data"))
	bData := node(b)
	aData := node(b)
	a, c := sum(aData), sum(leaf)
	var car bytes.Buffer
	root := append([]byte{0}, a.Bytes()...)
	hdr := []byte{0xa2, 0x65, 'r', 'o', 'o', 't', 's', 0x81, 0xd8, 0x2a, 0x58, byte(len(root))}
	hdr = append(hdr, root...)
	hdr = append(hdr, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01)
	car.Write(varint.ToUvarint(uint64(len(hdr))))
	car.Write(hdr)
	for _, blk := range []struct {
		c    cid.Cid
		data []byte
	}{{a, aData}, {b, bData}, {c, leaf}} {
		car.Write(varint.ToUvarint(uint64(len(blk.c.Bytes()) + len(blk.data))))
		car.Write(blk.c.Bytes())
		car.Write(blk.data)
	}
	path := filepath.Join(t.TempDir(), "cycle.car")
	if err := os.WriteFile(path, car.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, a, b, c
}

// tvx diff --car on a state tree whose links run into a cycle ends at
// once with an error naming the forged block, exit 2 (diff's trouble),
// instead of walking forever with memory growing.
func TestDiffCARWithLinkCycle(t *testing.T) {
	path, a, b, c := cycleCAR(t)
	code, out, errw := runTvx(t, "", "diff", "--car", path, a.String(), c.String())
	if code != 2 || !strings.Contains(errw, b.String()) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errw)
	}
}
