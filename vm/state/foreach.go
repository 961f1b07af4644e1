package state

import (
	"fmt"

	"github.com/filecoin-project/go-address"
)

// ForEach calls fn once for every actor in the tree, changes not yet flushed
// included (deleted actors are left out), in no particular order. fn gets a
// copy of the actor; changing it does not change the tree. An error from fn
// stops the walk and is returned wrapped (errors.Is sees it). A block of the actors HAMT that the
// store cannot produce is an error, never a silently shorter walk.
func (t *Tree) ForEach(fn func(id address.Address, act *Actor) error) error {
	// Pending changes, the newest layer winning, shadow what the HAMT holds.
	pending := make(map[address.Address]op)
	for _, l := range t.layers {
		for id, o := range l.actors {
			pending[id] = o
		}
	}

	var stored Actor
	err := t.hamt.ForEach(&stored, func(key string) error {
		id, err := address.NewFromBytes([]byte(key))
		if err != nil {
			return fmt.Errorf("actors HAMT key %x: %w", key, err)
		}
		if _, shadowed := pending[id]; shadowed {
			return nil
		}
		a := stored
		return fn(id, &a)
	})
	if err != nil {
		return fmt.Errorf("walk actors: %w", err)
	}
	for id, o := range pending {
		if o.deleted {
			continue
		}
		a := o.act
		if err := fn(id, &a); err != nil {
			return fmt.Errorf("walk actors: %w", err)
		}
	}
	return nil
}
