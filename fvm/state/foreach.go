package state

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/filecoin-project/go-address"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// ForEach calls fn with every actor of the tree, in ascending ID order,
// pending changes included (the newest layer winning) and deleted actors
// left out. It reads the whole actors HAMT; it is for listings, not for
// message execution. fn must not change the tree.
func (t *Tree) ForEach(fn func(id uint64, a *Actor) error) error {
	all := map[uint64]Actor{}
	err := t.actors.ForEach(t.ctx, func(k string, v *cbg.Deferred) error {
		key, err := address.NewFromBytes([]byte(k))
		if err != nil {
			return fmt.Errorf("actors HAMT key %x: %w", k, err)
		}
		id, err := address.IDFromAddress(key)
		if err != nil {
			return fmt.Errorf("actors HAMT key %s: %w", key, err)
		}
		var a Actor
		if err := (entry{a: &a, version: t.version}).UnmarshalCBOR(bytes.NewReader(v.Raw)); err != nil {
			return fmt.Errorf("actor %d: %w", id, err)
		}
		all[id] = a
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk actors: %w", err)
	}
	for _, l := range t.layers {
		for id, o := range l.actors {
			if o.deleted {
				delete(all, id)
			} else {
				all[id] = o.act
			}
		}
	}
	ids := make([]uint64, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		a := all[id]
		if err := fn(id, &a); err != nil {
			return err
		}
	}
	return nil
}
