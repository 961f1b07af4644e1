package chain

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	fvmstate "github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm/state"
)

// idLookup resolves an address (f1, f3, f4, ...) to its actor's ID address.
type idLookup func(address.Address) (address.Address, error)

// idLookupAt returns the address resolution of the state tree at root:
// trees up to version 4 read as the legacy VM reads them, version 5 (the
// FVM's from network version 18, whose senders may be f4 addresses) as
// the FVM reads it.
func idLookupAt(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (idLookup, error) {
	t, err := state.Load(ctx, store, root)
	if err == nil {
		return t.LookupID, nil
	}
	ft, ferr := fvmstate.Load(ctx, store, root)
	if ferr != nil || ft.Version() < 5 {
		return nil, err
	}
	return func(a address.Address) (address.Address, error) {
		id, ok, err := ft.LookupID(a)
		if err != nil {
			return address.Undef, fmt.Errorf("resolve address %s: %w", a, err)
		}
		if !ok {
			return address.Undef, fmt.Errorf("resolve address %s: %w", a, fvmstate.ErrNotFound)
		}
		return address.NewIDAddress(id)
	}, nil
}
