package migration

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	init3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/init"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/vm/state"
)

// surgeries are the state edits mainnet's nodes made right after an
// upgrade's migration, by the name protocol rows give them
// (protocol.Upgrade.Surgery), with the actors version they edit.
var surgeries = map[string]struct {
	actors int
	run    func(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (cid.Cid, error)
}{
	"terminate-zero-bls": {actors: 3, run: terminateZeroBLS},
}

var burntFunds = func() address.Address {
	a, err := address.NewIDAddress(99)
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return a
}()

// terminateZeroBLS removes the zero BLS key's account from an actors v3
// state, as mainnet did at Trust: its balance goes to the burnt-funds
// actor and its key leaves the init actor's address map. A state without
// that account is returned as it is.
func terminateZeroBLS(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (cid.Cid, error) {
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		return cid.Undef, err
	}
	id, err := tree.LookupID(builtin.ZeroBLSKey())
	if errors.Is(err, state.ErrActorNotFound) {
		return root, nil
	}
	if err != nil {
		return cid.Undef, err
	}
	act, err := tree.GetActor(id)
	if errors.Is(err, state.ErrActorNotFound) {
		return root, nil
	}
	if err != nil {
		return cid.Undef, err
	}
	balance := act.Balance
	if err := tree.MutateActor(burntFunds, func(b *state.Actor) error {
		b.Balance = big.Add(b.Balance, balance)
		return nil
	}); err != nil {
		return cid.Undef, fmt.Errorf("credit the burnt-funds actor: %w", err)
	}
	if err := tree.DeleteActor(id); err != nil {
		return cid.Undef, err
	}
	if err := tree.MutateActor(initActor, func(ia *state.Actor) error {
		var st init3.State
		if err := store.Get(ctx, ia.Head, &st); err != nil {
			return err
		}
		m, err := adt3.AsMap(adt3.WrapStore(ctx, store), st.AddressMap, builtin3.DefaultHamtBitwidth)
		if err != nil {
			return err
		}
		if err := m.Delete(abi.AddrKey(builtin.ZeroBLSKey())); err != nil {
			return err
		}
		if st.AddressMap, err = m.Root(); err != nil {
			return err
		}
		ia.Head, err = store.Put(ctx, &st)
		return err
	}); err != nil {
		return cid.Undef, fmt.Errorf("init actor: remove %s: %w", builtin.ZeroBLSKey(), err)
	}
	return tree.Flush(ctx)
}
