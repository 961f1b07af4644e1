package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm/bundle"
	fvmstate "github.com/tvx-project/tvx/fvm/state"
)

// TestListVersion5Tree lists a state tree of version 5 (the FVM's from
// nv18), built with the v10 bundle's codes and an Ethereum account holding
// an f4 address: tvx diff --car with one root names the bundle actors as
// fil/10/<kind> and prints the f4 address, which parses back to the one
// stored.
func TestListVersion5Tree(t *testing.T) {
	ctx := context.Background()
	acts, err := bundle.ReadActors(10)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]*fvmstate.Actor{}
	for _, a := range acts {
		codes[a.Name] = &fvmstate.Actor{Code: a.Code}
	}
	bs := blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))
	cst := ipldcbor.NewCborStore(bs)
	tree, err := fvmstate.New(ctx, cst, 5, codes["init"].Code, 1001, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	// The sub-address is an Ethereum address: 20 bytes.
	eth := bytes.Repeat([]byte{0xab, 0xcd}, 10)
	f4, err := address.NewDelegatedAddress(10, eth)
	if err != nil {
		t.Fatal(err)
	}
	// The empty CBOR array, the state of actors that keep none.
	empty, err := cid.V1Builder{Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31}.Sum([]byte{0x80})
	if err != nil {
		t.Fatal(err)
	}
	emptyBlk, err := blocks.NewBlockWithCid([]byte{0x80}, empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.Put(ctx, emptyBlk); err != nil {
		t.Fatal(err)
	}
	tree.SetActor(1000, &fvmstate.Actor{Code: codes["ethaccount"].Code, Head: empty, Nonce: 2, Balance: big.NewInt(7), Delegated: f4.Bytes()})
	tree.SetActor(10, &fvmstate.Actor{Code: codes["eam"].Code, Head: empty, Balance: big.Zero()})
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := bs.AllKeysChan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var blks []blocks.Block
	for k := range keys {
		b, err := bs.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		blks = append(blks, b)
	}
	var car bytes.Buffer
	if err := chain.WriteCAR(&car, []cid.Cid{root}, blks); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v5.car")
	if err := os.WriteFile(path, car.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	code2, out, errw := runExtractCLI(t, "diff", "--car", path, root.String())
	if code2 != exitOK {
		t.Fatalf("diff one root: exit %d\n%s%s", code2, out, errw)
	}
	if !strings.Contains(out, "version 5, 3 actor(s)") || !strings.Contains(out, "f01\tfil/10/init") || !strings.Contains(out, "f010\tfil/10/eam") {
		t.Errorf("listing:\n%s", out)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "f01000\t") {
			line = l
		}
	}
	fields := strings.Split(line, "\t")
	if len(fields) != 6 || fields[1] != "fil/10/ethaccount" || fields[2] != "nonce 2" || !strings.HasPrefix(fields[5], "f4 f410f") {
		t.Fatalf("ethaccount line %q", line)
	}
	back, err := address.NewFromString(strings.TrimPrefix(fields[5], "f4 "))
	if err != nil || back != f4 {
		t.Errorf("printed f4 address %s parses to %v (%v), want %v", fields[5], back, err, f4)
	}
}
