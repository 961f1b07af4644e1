package main

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/builtin"
	fvmstate "github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm/state"
)

// listedActor is one actor of a listing and its f4 address, if it has one
// (state-tree version 5 and later).
type listedActor struct {
	state.Listed
	Delegated address.Address
}

// listActors lists the actors of the state tree at root, ordered by ID,
// with the tree's version. Trees up to version 4 are read as the legacy VM
// reads them; version 5, the FVM's from network version 18, whose actor
// rows carry a delegated address, as the FVM reads it.
func listActors(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (uint64, []listedActor, error) {
	version, listed, err := state.List(ctx, store, root)
	if err == nil {
		out := make([]listedActor, len(listed))
		for i, l := range listed {
			out[i] = listedActor{Listed: l}
		}
		return uint64(version), out, nil
	}
	tree, ferr := fvmstate.Load(ctx, store, root)
	if ferr != nil || tree.Version() < 5 {
		return 0, nil, err
	}
	var out []listedActor
	err = tree.ForEach(func(id uint64, a *fvmstate.Actor) error {
		ida, err := address.NewIDAddress(id)
		if err != nil {
			return err
		}
		la := listedActor{Listed: state.Listed{ID: ida, Code: a.Code, Head: a.Head, Nonce: a.Nonce, Balance: a.Balance}}
		if a.Delegated != nil {
			if la.Delegated, err = address.NewFromBytes(a.Delegated); err != nil {
				return fmt.Errorf("actor %s: delegated address %x: %w", ida, a.Delegated, err)
			}
		}
		out = append(out, la)
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	return tree.Version(), out, nil
}

// actorCodeName names an actor's code: the name a Go actor's code carries
// ("fil/7/storageminer"), the same form for a builtin-actors bundle's Wasm
// code ("fil/10/evm"), or the CID.
func actorCodeName(a state.Listed, bundled map[cid.Cid]builtin.BundleCode) string {
	if b, ok := bundled[a.Code]; ok {
		return fmt.Sprintf("fil/%d/%s", b.Version, b.Kind)
	}
	return a.CodeName()
}
