package statediff

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	"github.com/multiformats/go-varint"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/state"
)

// eamActorID is the Ethereum Address Manager's actor ID, the namespace of
// every f4 address the v10 actors assign (f410…).
const eamActorID = 10

// delegatedActor is an actor of a real state that has an f4 address.
type delegatedActor struct {
	path string
	v    testVector
	id   address.Address
	row  actorRow
}

// hyggeDelegatedActors lists the actors with a delegated address found in
// the parts of the nv18 vectors' pre-state actors HAMTs their CARs carry,
// from the first vectors holding at least max of them (max 0: all).
func hyggeDelegatedActors(t *testing.T, max int) []delegatedActor {
	t.Helper()
	ctx := context.Background()
	var out []delegatedActor
	for _, path := range fvmVectors(t, "nv18-hygge") {
		v := loadVectorFile(t, path)
		d := &differ{ctx: ctx, store: v.store, res: &Result{}}
		var problems []Change // pruned CARs lack most HAMT nodes
		w := d.walker("actors", &problems)
		tr, err := w.loadTreeRoot(v.pre)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		es, err := w.diffHAMT(tr.actors, cid.Undef)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, e := range es {
			ae, err := decodeActor(e.key, e.a)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if ae.act.Delegated != address.Undef {
				out = append(out, delegatedActor{path: path, v: v, id: ae.addr, row: ae.act})
			}
		}
		if max > 0 && len(out) >= max {
			break
		}
	}
	if len(out) == 0 {
		t.Fatal("no actor with a delegated address in any nv18 pre-state")
	}
	return out
}

// TestDelegatedAddressesOfHyggeStates reads the f4 addresses of real v10
// actors from state-tree v5 rows: each is an EAM (namespace 10) address of
// an Ethereum-kind actor (ethaccount, evm or placeholder, the only kinds
// the v10 actors give one), prints in the f410f form, and round-trips
// through its string, bytes, CBOR and JSON forms.
func TestDelegatedAddressesOfHyggeStates(t *testing.T) {
	codes, err := codeTable()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[address.Address]bool{}
	for _, da := range hyggeDelegatedActors(t, 0) {
		a := da.row.Delegated
		if seen[a] {
			continue
		}
		seen[a] = true
		if a.Protocol() != address.Delegated {
			t.Errorf("%s: %s: protocol %d", da.path, da.id, a.Protocol())
			continue
		}
		switch k := codes[da.row.Code].kind; k {
		case "ethaccount", "evm", "placeholder":
		default:
			t.Errorf("%s: %s has f4 address %s but kind %q", da.path, da.id, formatAddress(a), k)
		}
		s := formatAddress(a)
		if !strings.HasPrefix(s, "f410f") {
			t.Errorf("%s: %s prints as %s, want an f410f address", da.path, da.id, s)
		}
		ns, n, err := varint.FromUvarint(a.Payload())
		if err != nil || ns != eamActorID || len(a.Payload())-n != 20 {
			t.Errorf("%s: %s: namespace %d (%v), sub-address of %d bytes", da.path, s, ns, err, len(a.Payload())-n)
		}
		back, err := address.NewFromString(s)
		if err != nil || back != a {
			t.Errorf("%s: parse %s: %v, %v", da.path, s, back, err)
		}
		fromBytes, err := address.NewFromBytes(a.Bytes())
		if err != nil || fromBytes != a {
			t.Errorf("%s: %s from bytes: %v, %v", da.path, s, fromBytes, err)
		}
		var buf bytes.Buffer
		if err := a.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		var fromCBOR address.Address
		if err := fromCBOR.UnmarshalCBOR(&buf); err != nil || fromCBOR != a {
			t.Errorf("%s: %s CBOR round trip: %v, %v", da.path, s, fromCBOR, err)
		}
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON address.Address
		if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != a {
			t.Errorf("%s: %s JSON %s round trip: %v, %v", da.path, s, j, fromJSON, err)
		}
	}
	t.Logf("%d distinct f4 addresses", len(seen))
}

// TestDiffShowsDelegatedAddress changes the balance of a real actor that has
// an f4 address (through the FVM's state tree, on top of the vector's CAR)
// and checks the diff names the actor by ID with its f4 address beside it.
func TestDiffShowsDelegatedAddress(t *testing.T) {
	ctx := context.Background()
	da := hyggeDelegatedActors(t, 1)[0]
	ms := newMemStore(da.v.store)
	tree, err := state.Load(ctx, ipldcbor.NewCborStore(ms), da.v.pre)
	if err != nil {
		t.Fatal(err)
	}
	id, err := address.IDFromAddress(da.id)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.MutateActor(id, func(a *state.Actor) error {
		if !bytes.Equal(a.Delegated, da.row.Delegated.Bytes()) {
			t.Errorf("fvm/state reads delegated address %x, statediff %x", a.Delegated, da.row.Delegated.Bytes())
		}
		a.Balance = big.Add(a.Balance, big.NewInt(1))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Diff(ctx, ms, da.v.pre, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Actors) != 1 || res.Actors[0].Addr != da.id || res.Actors[0].Delegated != da.row.Delegated {
		t.Fatalf("diff actors %+v, want %s with %s", res.Actors, da.id, formatAddress(da.row.Delegated))
	}
	var out bytes.Buffer
	if err := res.Format(&out); err != nil {
		t.Fatal(err)
	}
	want := "~ " + formatAddress(da.id) + " (" + formatAddress(da.row.Delegated) + ") "
	if !strings.Contains(out.String(), want) {
		t.Errorf("diff output lacks %q:\n%s", want, out.String())
	}
	if strings.Contains(out.String(), "DelegatedAddress") {
		t.Errorf("an unchanged delegated address is listed as a change:\n%s", out.String())
	}
}

// TestDiffShowsDelegatedAddressMapKey registers an f4 address in the init
// actor's address map of a built state tree of version 5 (with the v10
// bundle's init actor code) and checks the diff keys the new entry by the
// f4 address and names the ID it maps to.
func TestDiffShowsDelegatedAddressMapKey(t *testing.T) {
	ctx := context.Background()
	acts, err := bundle.ReadActors(10)
	if err != nil {
		t.Fatal(err)
	}
	var initCode cid.Cid
	for _, a := range acts {
		if a.Name == "init" {
			initCode = a.Code
		}
	}
	ms := newMemStore(nil)
	cst := ipldcbor.NewCborStore(ms)
	tree, err := state.New(ctx, cst, 5, initCode, 1000, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	before, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f4, err := address.NewDelegatedAddress(eamActorID, bytes.Repeat([]byte{0x42}, 20))
	if err != nil {
		t.Fatal(err)
	}
	id, err := tree.RegisterNewAddress(f4)
	if err != nil {
		t.Fatal(err)
	}
	after, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Diff(ctx, ms, before, after)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := res.Format(&out); err != nil {
		t.Fatal(err)
	}
	idAddr, _ := address.NewIDAddress(id)
	want := "+ State.AddressMap[" + formatAddress(f4) + "]: " + formatAddress(idAddr)
	if len(res.Problems) > 0 || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "init v10") {
		t.Errorf("diff lacks %q (or names no init v10, or has problems):\n%s", want, out.String())
	}
}
