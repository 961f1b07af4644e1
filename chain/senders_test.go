package chain

import (
	"context"
	"path/filepath"
	"testing"

	"bytes"
	"github.com/filecoin-project/go-address"
	carbs "github.com/ipld/go-car/v2/blockstore"

	"github.com/tvx-project/tvx/actorshamt"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/protocol"
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
		var sr stateRoot
		if err := store.Get(ctx, v.Pre.StateTree.RootCID, &sr); err != nil {
			t.Fatal(err)
		}
		layout, err := actorshamt.For(protocol.StateTreeVersion(sr.version))
		if err != nil {
			t.Fatal(err)
		}
		actors, err := layout.Open(ctx, store, sr.actors)
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
			a, err := getActor(actors, n)
			if err != nil || a.nonce != m.Nonce {
				t.Errorf("%s: message %d: sender %s resolves to %s (%v) with nonce %d, message nonce %d", filepath.Base(f), i, m.From, id, err, a.nonce, m.Nonce)
			}
			if sr.version != 5 {
				t.Errorf("%s: state-tree version %d, want 5", filepath.Base(f), sr.version)
			}
			resolved++
		}
		bs.Close()
	}
	if resolved == 0 {
		t.Fatal("no sender resolved")
	}
}
