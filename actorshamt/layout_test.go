package actorshamt

import (
	"bytes"
	"context"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	adt4 "github.com/filecoin-project/specs-actors/v4/actors/util/adt"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	adt5 "github.com/filecoin-project/specs-actors/v5/actors/util/adt"

	"github.com/tvx-project/tvx/protocol"
)

// reference opens an empty actors map exactly as the specs-actors release
// that introduced state-tree version v does (its own bit width and hash).
func reference(t *testing.T, ctx context.Context, s ipldcbor.IpldStore, v protocol.StateTreeVersion) Map {
	t.Helper()
	var (
		m   Map
		err error
	)
	switch v {
	case 0:
		m = adt0.MakeEmptyMap(adt0.WrapStore(ctx, s))
	case 1:
		m = adt2.MakeEmptyMap(adt2.WrapStore(ctx, s))
	case 2:
		m, err = adt3.MakeEmptyMap(adt3.WrapStore(ctx, s), builtin3.DefaultHamtBitwidth)
	case 3:
		m, err = adt4.MakeEmptyMap(adt4.WrapStore(ctx, s), builtin4.DefaultHamtBitwidth)
	case 4, 5:
		m, err = adt5.MakeEmptyMap(adt5.WrapStore(ctx, s), builtin5.DefaultHamtBitwidth)
	default:
		t.Fatalf("no reference for version %d", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newStore() (blockstore.Blockstore, ipldcbor.IpldStore) {
	bs := blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))
	return bs, ipldcbor.NewCborStore(bs)
}

func idAddr(t *testing.T, id uint64) address.Address {
	a, err := address.NewIDAddress(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func actor(i uint64) *states0.Actor {
	return &states0.Actor{Code: builtin0.AccountActorCodeID, Head: builtin0.AccountActorCodeID, CallSeqNum: i, Balance: big.NewInt(int64(i) * 1000)}
}

// fill puts n actors and deletes every tenth, through m, and returns the
// root and the IDs left.
func fill(t *testing.T, m Map, n uint64) (cid.Cid, map[address.Address]bool) {
	t.Helper()
	live := map[address.Address]bool{}
	for i := uint64(0); i < n; i++ {
		a := idAddr(t, 100+i)
		if err := m.Put(abi.AddrKey(a), actor(i)); err != nil {
			t.Fatal(err)
		}
		live[a] = true
	}
	for i := uint64(0); i < n; i += 10 {
		a := idAddr(t, 100+i)
		if err := m.Delete(abi.AddrKey(a)); err != nil {
			t.Fatal(err)
		}
		delete(live, a)
	}
	r, err := m.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r, live
}

// Every layout builds, byte for byte, the actors HAMT the specs-actors
// release of its version builds, reads it back, and finds every entry in
// its nodes' buckets.
func TestLayoutsMatchSpecsActors(t *testing.T) {
	ctx := context.Background()
	for v := protocol.StateTreeVersion(0); v <= MaxVersion; v++ {
		l, err := For(v)
		if err != nil {
			t.Fatal(err)
		}
		if l.BitWidth != 5 || l.Version != v {
			t.Fatalf("version %d: layout %+v", v, l)
		}
		bs, store := newStore()
		m, err := l.Open(ctx, store, cid.Undef)
		if err != nil {
			t.Fatal(err)
		}
		root, live := fill(t, m, 400)
		_, refStore := newStore()
		want, _ := fill(t, reference(t, ctx, refStore, v), 400)
		if root != want {
			t.Fatalf("version %d: root %s, specs-actors builds %s", v, root, want)
		}

		back, err := l.Open(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		var got states0.Actor
		if ok, err := back.Get(abi.AddrKey(idAddr(t, 101)), &got); err != nil || !ok || got.CallSeqNum != 1 {
			t.Fatalf("version %d: get f0101: %v %v %+v", v, ok, err, got)
		}
		if ok, err := back.Get(abi.AddrKey(idAddr(t, 100)), &got); err != nil || ok {
			t.Fatalf("version %d: a deleted actor is found (%v, %v)", v, ok, err)
		}
		if err := back.Delete(abi.AddrKey(idAddr(t, 100))); err == nil {
			t.Fatalf("version %d: deleting an absent key succeeds", v)
		}
		n := 0
		if err := back.ForEach(&got, func(k string) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != len(live) {
			t.Fatalf("version %d: ForEach visits %d actors, %d live", v, n, len(live))
		}

		// Every live key sits in exactly one node's bucket. The store
		// also holds the nodes of earlier roots, so read only what is
		// reachable from root.
		seen := map[address.Address]int{}
		queue := []cid.Cid{root}
		for len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			blk, err := bs.Get(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			kvs, ok := l.NodeEntries(blk.RawData())
			if !ok {
				t.Fatalf("version %d: block %s is not a node of its own encoding", v, c)
			}
			for _, kv := range kvs {
				a, err := address.NewFromBytes(kv.Key)
				if err != nil {
					t.Fatal(err)
				}
				seen[a]++
			}
			if err := cbg.ScanForLinks(bytes.NewReader(blk.RawData()), func(l cid.Cid) {
				if l.Prefix().Codec == cid.DagCBOR && l != builtin0.AccountActorCodeID {
					queue = append(queue, l)
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != len(live) {
			t.Fatalf("version %d: node buckets hold %d keys, %d live", v, len(seen), len(live))
		}
		for a, n := range seen {
			if !live[a] || n != 1 {
				t.Fatalf("version %d: %s found %d times (live %v)", v, a, n, live[a])
			}
		}
		if _, ok := l.NodeEntries([]byte{0x80}); ok {
			t.Fatalf("version %d: an empty CBOR list reads as a node", v)
		}
	}
}

func TestUnknownVersion(t *testing.T) {
	if _, err := For(MaxVersion + 1); err == nil {
		t.Fatalf("version %d has a layout", MaxVersion+1)
	}
}
