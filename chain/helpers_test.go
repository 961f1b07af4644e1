package chain_test

import (
	"bytes"
	"testing"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"golang.org/x/crypto/blake2b"
)

func ticketDigestLess(a, b []byte) bool {
	da, db := blake2b.Sum256(a), blake2b.Sum256(b)
	return bytes.Compare(da[:], db[:]) < 0
}

type rawBlock struct {
	c    cid.Cid
	data []byte
}

func (b rawBlock) Cid() cid.Cid                     { return b.c }
func (b rawBlock) RawData() []byte                  { return b.data }
func (b rawBlock) String() string                   { return b.c.String() }
func (b rawBlock) Loggable() map[string]interface{} { return nil }

// newRawBlockWithCid makes a block whose bytes need not match its CID (the
// block-format constructor would check).
func newRawBlockWithCid(t *testing.T, c cid.Cid, data []byte) blocks.Block {
	t.Helper()
	return rawBlock{c: c, data: data}
}
