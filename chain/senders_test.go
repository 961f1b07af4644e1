package chain

import (
	"context"
	"path/filepath"
	"testing"

	"bytes"
	"github.com/filecoin-project/go-address"
	carbs "github.com/ipld/go-car/v2/blockstore"

	fvmstate "github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TestSenderLookupOnVersion5States resolves the sender of every nv18
// vector's message in its pre-state (state tree v5, which the legacy VM's
// tree does not read) and checks the actor found is the sender: an
// account whose nonce is the message's.
func TestSenderLookupOnVersion5States(t *testing.T) {
	ctx := context.Background()
	files, err := schema.Walk(testcorpus.FVMSet(t, "nv18-hygge"))
	if err != nil {
		t.Fatal(err)
	}
	resolved := 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		car, err := v.CARv1(0)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
		if err != nil {
			t.Fatal(err)
		}
		store := IPLDStore(NewBlockSource(bs, func() *TipSet { return nil }))
		lookup, err := idLookupAt(ctx, store, v.Pre.StateTree.RootCID)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		tree, err := fvmstate.Load(ctx, store, v.Pre.StateTree.RootCID)
		if err != nil {
			t.Fatal(err)
		}
		for i, am := range v.ApplyMessages {
			m, err := vm.DecodeMessage(am.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			id, err := lookup(m.From)
			if err != nil {
				t.Errorf("%s: message %d: sender %s: %v", filepath.Base(f), i, m.From, err)
				continue
			}
			n, _ := address.IDFromAddress(id)
			a, ok, err := tree.GetActor(n)
			if err != nil || !ok || a.Nonce != m.Nonce {
				t.Errorf("%s: message %d: sender %s resolves to %s (found %v, %v) with nonce %v, message nonce %d", filepath.Base(f), i, m.From, id, ok, err, a, m.Nonce)
			}
			resolved++
		}
		bs.Close()
	}
	if resolved == 0 {
		t.Fatal("no sender resolved")
	}
}
