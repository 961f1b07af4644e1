package state

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

func mainnetTree(t *testing.T) (*Tree, cid.Cid) {
	t.Helper()
	f := filepath.Join(testcorpus.FVMSet(t, "nv17-shark"), "fil_9_account", "Send", "Ok", "ext-0001-fil_9_account-Send-Ok-1.json")
	v, err := schema.LoadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	bs, release, err := corpus.Memory{}.Open(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	tr, err := Load(context.Background(), ipldcbor.NewCborStore(corpus.NewBuffered(bs)), v.Pre.StateTree.RootCID)
	if err != nil {
		t.Fatal(err)
	}
	return tr, v.Pre.StateTree.RootCID
}

func TestMainnetTreeReadsAndFlushesUnchanged(t *testing.T) {
	tr, root := mainnetTree(t)
	if tr.Version() != 4 {
		t.Fatalf("nv17 state tree version %d, want 4", tr.Version())
	}
	burnt, ok, err := tr.GetActor(99)
	if err != nil || !ok {
		t.Fatalf("burnt funds actor: %v %v", ok, err)
	}
	if burnt.Balance.Sign() <= 0 {
		t.Errorf("burnt funds balance %s", burnt.Balance)
	}
	got, err := tr.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != root {
		t.Errorf("flushing a read-only tree gave %s, want %s", got, root)
	}
}

func TestRegisterResolveAndRevert(t *testing.T) {
	ctx := context.Background()
	_, code := mainnetTree(t)
	tr, err := New(ctx, ipldcbor.NewCborStore(blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore()))), 5, code, 100, "built")
	if err != nil {
		t.Fatal(err)
	}
	root, err := tr.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := address.NewSecp256k1Address([]byte("a key that no mainnet actor has"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := tr.LookupID(addr); err != nil || ok {
		t.Fatalf("fresh address resolves: %v %v", ok, err)
	}
	tr.Begin()
	id, err := tr.RegisterNewAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := tr.LookupID(addr); err != nil || !ok || got != id {
		t.Fatalf("registered address resolves to %d %v %v, want %d", got, ok, err, id)
	}
	if id != 100 {
		t.Errorf("first new ID %d, want the init actor's next ID 100", id)
	}
	tr.SetActor(id, &Actor{Code: code, Head: code, Balance: big.NewInt(7)})
	if err := tr.End(true); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := tr.LookupID(addr); ok {
		t.Fatal("reverted registration still resolves")
	}
	if _, ok, _ := tr.GetActor(id); ok {
		t.Fatal("reverted actor still exists")
	}
	if got, err := tr.Flush(context.Background()); err != nil || got != root {
		t.Fatalf("flush after revert: %s %v, want %s", got, err, root)
	}
}

func TestActorEncodingPerVersion(t *testing.T) {
	c, _ := cid.Decode("bafy2bzacedh2gyepmeygtxbmjemunigp7dkic4jpiepqdc3zikvwavhg7y6eu")
	f4 := []byte{4, 10, 1, 2, 3}
	a := &Actor{Code: c, Head: c, Nonce: 3, Balance: big.NewInt(12), Delegated: f4}
	v4, err := encodeActor(a, 4)
	if err != nil {
		t.Fatal(err)
	}
	v5, err := encodeActor(a, 5)
	if err != nil {
		t.Fatal(err)
	}
	if v4[0] != 0x84 || v5[0] != 0x85 {
		t.Fatalf("tuple headers %x %x, want 84 and 85", v4[0], v5[0])
	}
	var back Actor
	if err := (entry{a: &back, version: 5}).UnmarshalCBOR(bytes.NewReader(v5)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Delegated, f4) || back.Nonce != 3 || !back.Balance.Equals(big.NewInt(12)) {
		t.Errorf("v5 round trip: %+v", back)
	}
	none, _ := encodeActor(&Actor{Code: c, Head: c, Balance: big.Zero()}, 5)
	if none[len(none)-1] != 0xf6 {
		t.Errorf("v5 actor without delegated address ends %x, want null", none[len(none)-1])
	}
	if err := (entry{a: &back, version: 4}).UnmarshalCBOR(bytes.NewReader(v5)); err == nil {
		t.Error("a v5 entry decoded as v4")
	}
}
