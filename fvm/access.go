package fvm

import (
	"github.com/filecoin-project/go-address"

	"github.com/tvx-project/tvx/fvm/state"
)

// Access states of an actor within one message (Hygge charges the first
// read and the first write of each).
const (
	accessNone uint8 = iota
	accessRead
	accessUpdated
)

// accessTracker records which actors and addresses a message has touched,
// per transaction, so that Hygge charges each state access once and a
// reverted transaction forgets what it touched.
type accessTracker struct {
	actors map[uint64]uint8
	addrs  map[string]bool
	saved  []accessSnapshot
}

type accessSnapshot struct {
	actors map[uint64]uint8
	addrs  map[string]bool
}

func newAccessTracker(preloaded []uint64) *accessTracker {
	t := &accessTracker{actors: map[uint64]uint8{}, addrs: map[string]bool{}}
	for _, id := range preloaded {
		t.actors[id] = accessUpdated
	}
	return t
}

func (t *accessTracker) begin() {
	s := accessSnapshot{actors: make(map[uint64]uint8, len(t.actors)), addrs: make(map[string]bool, len(t.addrs))}
	for k, v := range t.actors {
		s.actors[k] = v
	}
	for k, v := range t.addrs {
		s.addrs[k] = v
	}
	t.saved = append(t.saved, s)
}

func (t *accessTracker) end(revert bool) {
	n := len(t.saved) - 1
	if revert {
		t.actors, t.addrs = t.saved[n].actors, t.saved[n].addrs
	}
	t.saved = t.saved[:n]
}

func (t *accessTracker) recordRead(id uint64) {
	if t.actors[id] < accessRead {
		t.actors[id] = accessRead
	}
}

func (t *accessTracker) recordUpdate(id uint64) { t.actors[id] = accessUpdated }

func (t *accessTracker) recordAddress(a address.Address) { t.addrs[string(a.Bytes())] = true }

// getActor reads an actor, charging Hygge's first-read price.
func (cm *callManager) getActor(id uint64) (*state.Actor, bool, error) {
	if cm.access != nil && cm.access.actors[id] < accessRead {
		if err := cm.gas.Charge(cm.m.prices.OnActorLookup()); err != nil {
			return nil, false, err
		}
	}
	a, ok, err := cm.m.tree.GetActor(id)
	if err != nil {
		return nil, false, &fatalError{err: err}
	}
	if cm.access != nil {
		cm.access.recordRead(id)
	}
	return a, ok, nil
}

// setActor writes an actor, charging Hygge's first-read and first-write
// prices.
func (cm *callManager) setActor(id uint64, a *state.Actor) error {
	if cm.access != nil {
		st := cm.access.actors[id]
		if st < accessRead {
			if err := cm.gas.Charge(cm.m.prices.OnActorLookup()); err != nil {
				return err
			}
		}
		if st < accessUpdated {
			if err := cm.gas.Charge(cm.m.prices.OnActorUpdate()); err != nil {
				return err
			}
		}
		cm.access.recordUpdate(id)
	}
	cm.m.tree.SetActor(id, a)
	return nil
}

// deleteActor removes an actor, charged as a write (nv18).
func (cm *callManager) deleteActor(id uint64) error {
	if cm.access != nil {
		st := cm.access.actors[id]
		if st < accessRead {
			if err := cm.gas.Charge(cm.m.prices.OnActorLookup()); err != nil {
				return err
			}
		}
		if st < accessUpdated {
			if err := cm.gas.Charge(cm.m.prices.OnActorUpdate()); err != nil {
				return err
			}
		}
		cm.access.recordUpdate(id)
	}
	cm.m.tree.DeleteActor(id)
	return nil
}

// resolve maps an address to an actor ID, recording the lookup.
func (cm *callManager) resolve(addr address.Address) (uint64, bool, error) {
	if addr.Protocol() == address.ID {
		id, err := address.IDFromAddress(addr)
		return id, err == nil, err
	}
	if cm.access != nil && !cm.access.addrs[string(addr.Bytes())] {
		if err := cm.gas.Charge(cm.m.prices.OnResolveAddress()); err != nil {
			return 0, false, err
		}
	}
	id, ok, err := cm.m.tree.LookupID(addr)
	if err != nil {
		return 0, false, &fatalError{err: err}
	}
	if ok && cm.access != nil {
		cm.access.recordAddress(addr)
	}
	return id, ok, nil
}
