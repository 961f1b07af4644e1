package chain

import (
	"context"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/actorshamt"
	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/state"
)

// idLookup resolves an address (f1, f3, f4, ...) to its actor's ID address.
type idLookup func(address.Address) (address.Address, error)

// idLookupAt returns the address resolution of the state tree at root:
// trees up to version 4 read as the legacy VM reads them; version 5 (the
// FVM's from network version 18, whose senders may be f4 addresses, and
// whose actor rows the legacy tree cannot decode) through its init
// actor's address map directly.
func idLookupAt(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (idLookup, error) {
	t, err := state.Load(ctx, store, root)
	if err == nil {
		return t.LookupID, nil
	}
	var sr stateRoot
	if gerr := store.Get(ctx, root, &sr); gerr != nil || sr.version < 5 {
		return nil, err
	}
	layout, err := actorshamt.For(protocol.StateTreeVersion(sr.version))
	if err != nil {
		return nil, err
	}
	actors, err := layout.Open(ctx, store, sr.actors)
	if err != nil {
		return nil, fmt.Errorf("state tree %s: actors: %w", root, err)
	}
	initAct, err := getActor(actors, initActorID)
	if err != nil {
		return nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	ist, err := builtin.LoadInitState(ctx, store, initAct.code, initAct.head)
	if err != nil {
		return nil, fmt.Errorf("state tree %s: init actor: %w", root, err)
	}
	return func(a address.Address) (address.Address, error) {
		if a.Protocol() == address.ID {
			return a, nil
		}
		id, found, err := ist.ResolveAddress(a)
		if err != nil {
			return address.Undef, fmt.Errorf("resolve address %s: %w", a, err)
		}
		if !found {
			return address.Undef, fmt.Errorf("resolve address %s: %w", a, state.ErrActorNotFound)
		}
		return id, nil
	}, nil
}

// initActorID is the init actor's ID in every state tree.
const initActorID = 1

// getActor reads the actor with ID id from an actors HAMT.
func getActor(actors actorshamt.Map, id uint64) (actorRow, error) {
	addr, err := address.NewIDAddress(id)
	if err != nil {
		return actorRow{}, err
	}
	var row actorRow
	found, err := actors.Get(abi.AddrKey(addr), &row)
	if err != nil {
		return actorRow{}, fmt.Errorf("actor %s: %w", addr, err)
	}
	if !found {
		return actorRow{}, fmt.Errorf("actor %s: %w", addr, state.ErrActorNotFound)
	}
	return row, nil
}

// stateRoot is the versioned state root [version, actors, info].
type stateRoot struct {
	version uint64
	actors  cid.Cid
}

func (r *stateRoot) UnmarshalCBOR(rd io.Reader) error {
	cr := cborseq.NewReader(rd)
	cr.Array("state root", 3)
	r.version = cr.Uint("state root version")
	r.actors = cr.Cid("state root actors")
	cr.Cid("state root info")
	return cr.Err()
}

// actorRow is the part of an actor row the lookups read: code, head and
// nonce, which lead every state-tree version's row (version 5 appends the
// delegated address).
type actorRow struct {
	code, head cid.Cid
	nonce      uint64
}

func (r *actorRow) UnmarshalCBOR(rd io.Reader) error {
	cr := cborseq.NewReader(rd)
	if n := cr.Array("actor", -1); cr.Err() == nil && n != 4 && n != 5 {
		return fmt.Errorf("actor: %d fields, want 4 or 5", n)
	}
	r.code = cr.Cid("actor code")
	r.head = cr.Cid("actor head")
	r.nonce = cr.Uint("actor nonce")
	return cr.Err()
}
