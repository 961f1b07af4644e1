package extract

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-address"
	blocks "github.com/ipfs/go-block-format"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	car "github.com/ipld/go-car/v2"

	fvmstate "github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/statediff"
	"github.com/tvx-project/tvx/vm"
)

// TestMaskedStateOfVersion5Trees masks the pre-state of every nv18 vector
// (state tree v5) with its CAR as the trace: the masked tree is a v5 tree
// whose actors are copies of the pre-state's, f4 addresses included; it
// keeps the sender, the receiver, the fixed actors and every actor the
// vector's own pre/post diff (statediff's independent walk) shows changed;
// and with wide set it keeps actors with f4 addresses the trace holds.
func TestMaskedStateOfVersion5Trees(t *testing.T) {
	ctx := context.Background()
	files, err := schema.Walk(testcorpus.FVMSet(t, "nv18-hygge"))
	if err != nil {
		t.Fatal(err)
	}
	delegatedKept := 0
	for i, f := range files {
		if raceEnabled && i%6 != 0 {
			continue // every sixth vector under the race detector
		}
		name := filepath.Base(f)
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := v.CARv1(0)
		if err != nil {
			t.Fatal(err)
		}
		bs := blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore()))
		br, err := car.NewBlockReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var traced []blocks.Block
		for {
			b, err := br.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := bs.Put(ctx, b); err != nil {
				t.Fatal(err)
			}
			traced = append(traced, b)
		}
		cst := ipldcbor.NewCborStore(bs)
		pre, post := v.Pre.StateTree.RootCID, v.Post.StateTree.RootCID
		tree, err := openMaskTree(ctx, cst, pre)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, err := openMaskTree(ctx, cst, post)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tree.version() != 5 {
			t.Fatalf("%s: pre-state version %d", name, tree.version())
		}
		msg, err := vm.DecodeMessage(v.ApplyMessages[0].Bytes)
		if err != nil {
			t.Fatal(err)
		}
		diff, err := statediff.Diff(ctx, bs, pre, post)
		if err != nil {
			t.Fatal(err)
		}
		for _, wide := range []bool{false, true} {
			keep := retainedActors(tree, after, traced, msg, wide)
			kept := map[address.Address]bool{}
			for _, id := range keep {
				kept[id] = true
			}
			need := append([]address.Address(nil), alwaysRetained...)
			for _, a := range []address.Address{msg.From, msg.To} {
				id, err := tree.lookupID(a)
				if err != nil {
					t.Fatalf("%s: resolve %s: %v", name, a, err)
				}
				need = append(need, id)
			}
			for _, ad := range diff.Actors {
				if _, ok := tree.actor(ad.Addr); ok && ad.Op == statediff.OpChanged {
					need = append(need, ad.Addr)
				}
			}
			for _, id := range need {
				if !kept[id] {
					t.Errorf("%s (wide %v): %s not kept", name, wide, id)
				}
			}
			root, n, err := tree.masked(ctx, keep)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			mt, err := fvmstate.Load(ctx, cst, root)
			if err != nil || mt.Version() != 5 {
				t.Fatalf("%s: masked tree: %v", name, err)
			}
			count := 0
			err = mt.ForEach(func(id uint64, a *fvmstate.Actor) error {
				count++
				ida, _ := address.NewIDAddress(id)
				want, ok := tree.actor(ida)
				got := maskRow{code: a.Code, head: a.Head, nonce: a.Nonce, balance: a.Balance.String(), delegated: string(a.Delegated)}
				if !ok || got != want {
					t.Errorf("%s: masked %s is %+v, pre-state has %+v (%v)", name, ida, got, want, ok)
				}
				if !kept[ida] {
					t.Errorf("%s: masked tree holds %s, which was not chosen", name, ida)
				}
				if wide && a.Delegated != nil {
					delegatedKept++
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if count != n {
				t.Errorf("%s: masked tree has %d actors, masking reported %d", name, count, n)
			}
		}
	}
	if delegatedKept == 0 {
		t.Error("no actor with an f4 address was kept by a wide mask")
	}
}
