// Package state is the VM's view of the state tree: the actors HAMT of the
// state-tree version in force, an in-memory overlay of layered snapshots
// that calls revert or commit, address resolution through the init actor,
// and flushing to a new state root.
//
// Reads and writes made here are not gas-charged: the VM charges actors
// for their own state access only, not for its bookkeeping.
package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	states0 "github.com/filecoin-project/specs-actors/actors/states"

	"github.com/tvx-project/tvx/actorshamt"
	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/protocol"
)

// Actor is an actor's entry in the state tree. Its encoding is the same in
// every state-tree version.
type Actor = states0.Actor

// ErrActorNotFound reports an address with no actor (or no ID mapping).
var ErrActorNotFound = errors.New("actor not found")

// MaxVersion is the newest state-tree version this package reads and
// writes: the pre-FVM VM's last (version 5 changes the actor rows).
const MaxVersion protocol.StateTreeVersion = 4

// hamtFor opens (root defined) or creates the actors HAMT of a state-tree
// version, in the layout actorshamt gives it.
func hamtFor(ctx context.Context, store ipldcbor.IpldStore, v protocol.StateTreeVersion, r cid.Cid) (actorshamt.Map, error) {
	if v > MaxVersion {
		return nil, fmt.Errorf("state tree version %d is not supported (max %d)", v, MaxVersion)
	}
	l, err := actorshamt.For(v)
	if err != nil {
		return nil, err
	}
	return l.Open(ctx, store, r)
}

// op is a pending change to one actor.
type op struct {
	act     Actor
	deleted bool
}

type layer struct {
	actors   map[address.Address]op
	resolved map[address.Address]address.Address
}

func newLayer() *layer {
	return &layer{actors: map[address.Address]op{}, resolved: map[address.Address]address.Address{}}
}

// Tree is a state tree with a stack of snapshot layers. The bottom layer
// holds changes not yet flushed; each Snapshot pushes a layer that Revert
// discards and ClearSnapshot folds into the one below. A Tree is not safe
// for concurrent use.
type Tree struct {
	ctx     context.Context
	store   ipldcbor.IpldStore
	version protocol.StateTreeVersion
	info    cid.Cid
	hamt    actorshamt.Map
	layers  []*layer
}

// Load opens the state tree rooted at r. The state-tree version is read from
// the root object; a bare HAMT root is version 0.
func Load(ctx context.Context, store ipldcbor.IpldStore, r cid.Cid) (*Tree, error) {
	var rt root
	version, actorsRoot, info := protocol.StateTreeVersion(0), r, cid.Undef
	if err := store.Get(ctx, r, &rt); err == nil {
		version, actorsRoot, info = rt.Version, rt.Actors, rt.Info
	}
	h, err := hamtFor(ctx, store, version, actorsRoot)
	if err != nil {
		return nil, fmt.Errorf("load state tree %s (version %d): %w", r, version, err)
	}
	return &Tree{ctx: ctx, store: store, version: version, info: info, hamt: h, layers: []*layer{newLayer()}}, nil
}

// New creates an empty state tree of the given version.
func New(ctx context.Context, store ipldcbor.IpldStore, v protocol.StateTreeVersion) (*Tree, error) {
	h, err := hamtFor(ctx, store, v, cid.Undef)
	if err != nil {
		return nil, err
	}
	t := &Tree{ctx: ctx, store: store, version: v, hamt: h, layers: []*layer{newLayer()}}
	if v > 0 {
		if t.info, err = store.Put(ctx, emptyInfo{}); err != nil {
			return nil, fmt.Errorf("store state info: %w", err)
		}
	}
	return t, nil
}

// Version is the state-tree version of the tree.
func (t *Tree) Version() protocol.StateTreeVersion { return t.version }

// Store is the (uncharged) IPLD store the tree reads and writes.
func (t *Tree) Store() ipldcbor.IpldStore { return t.store }

func (t *Tree) top() *layer { return t.layers[len(t.layers)-1] }

// LookupID resolves addr to an ID address. ID addresses are returned as
// they are, whether or not an actor exists there; other addresses go
// through the init actor's registry. An unknown address wraps ErrActorNotFound.
func (t *Tree) LookupID(addr address.Address) (address.Address, error) {
	if addr.Protocol() == address.ID {
		return addr, nil
	}
	for i := len(t.layers) - 1; i >= 0; i-- {
		if id, ok := t.layers[i].resolved[addr]; ok {
			return id, nil
		}
	}
	ist, err := t.loadInit()
	if err != nil {
		return address.Undef, err
	}
	id, found, err := ist.ResolveAddress(addr)
	if err != nil {
		return address.Undef, fmt.Errorf("resolve address %s: %w", addr, err)
	}
	if !found {
		return address.Undef, fmt.Errorf("resolve address %s: %w", addr, ErrActorNotFound)
	}
	t.top().resolved[addr] = id
	return id, nil
}

func (t *Tree) loadInit() (builtin.InitState, error) {
	act, err := t.GetActor(builtin0.InitActorAddr)
	if err != nil {
		return nil, fmt.Errorf("get init actor: %w", err)
	}
	ist, err := builtin.LoadInitState(t.ctx, t.store, act.Code, act.Head)
	if err != nil {
		return nil, fmt.Errorf("load init actor state: %w", err)
	}
	return ist, nil
}

// GetActor returns a copy of the actor at addr (any address protocol).
// A missing actor wraps ErrActorNotFound.
func (t *Tree) GetActor(addr address.Address) (*Actor, error) {
	if addr == address.Undef {
		return nil, errors.New("get actor: undefined address")
	}
	id, err := t.LookupID(addr)
	if err != nil {
		return nil, err
	}
	for i := len(t.layers) - 1; i >= 0; i-- {
		if o, ok := t.layers[i].actors[id]; ok {
			if o.deleted {
				return nil, fmt.Errorf("actor %s: %w", id, ErrActorNotFound)
			}
			a := o.act
			return &a, nil
		}
	}
	var a Actor
	found, err := t.hamt.Get(abi.AddrKey(id), &a)
	if err != nil {
		return nil, fmt.Errorf("read actor %s from HAMT: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("actor %s: %w", id, ErrActorNotFound)
	}
	t.top().actors[id] = op{act: a}
	c := a
	return &c, nil
}

// SetActor stores act at addr, which must resolve to an ID.
func (t *Tree) SetActor(addr address.Address, act *Actor) error {
	id, err := t.LookupID(addr)
	if err != nil {
		return fmt.Errorf("set actor: %w", err)
	}
	t.top().actors[id] = op{act: *act}
	return nil
}

// DeleteActor removes the actor at addr, which must exist.
func (t *Tree) DeleteActor(addr address.Address) error {
	if addr == address.Undef {
		return errors.New("delete actor: undefined address")
	}
	id, err := t.LookupID(addr)
	if err != nil {
		return fmt.Errorf("delete actor: %w", err)
	}
	if _, err := t.GetActor(id); err != nil {
		return fmt.Errorf("delete actor: %w", err)
	}
	t.top().actors[id] = op{deleted: true}
	return nil
}

// MutateActor applies f to the actor at addr and stores the result.
func (t *Tree) MutateActor(addr address.Address, f func(*Actor) error) error {
	a, err := t.GetActor(addr)
	if err != nil {
		return err
	}
	if err := f(a); err != nil {
		return err
	}
	return t.SetActor(addr, a)
}

// RegisterNewAddress assigns the next free actor ID to addr in the init
// actor's registry and returns it.
func (t *Tree) RegisterNewAddress(addr address.Address) (address.Address, error) {
	initAct, err := t.GetActor(builtin0.InitActorAddr)
	if err != nil {
		return address.Undef, fmt.Errorf("get init actor: %w", err)
	}
	ist, err := builtin.LoadInitState(t.ctx, t.store, initAct.Code, initAct.Head)
	if err != nil {
		return address.Undef, fmt.Errorf("load init actor state: %w", err)
	}
	id, err := ist.MapAddressToNewID(addr)
	if err != nil {
		return address.Undef, fmt.Errorf("map %s to a new ID: %w", addr, err)
	}
	head, err := t.store.Put(t.ctx, ist.State())
	if err != nil {
		return address.Undef, fmt.Errorf("store init actor state: %w", err)
	}
	initAct.Head = head
	if err := t.SetActor(builtin0.InitActorAddr, initAct); err != nil {
		return address.Undef, err
	}
	return id, nil
}

// Snapshot starts a layer of changes that Revert can discard.
func (t *Tree) Snapshot() { t.layers = append(t.layers, newLayer()) }

// Revert discards the changes of the current layer (the layer stays open).
func (t *Tree) Revert() { t.layers[len(t.layers)-1] = newLayer() }

// ClearSnapshot closes the current layer, keeping its changes.
func (t *Tree) ClearSnapshot() error {
	if len(t.layers) < 2 {
		return errors.New("clear snapshot: no snapshot open")
	}
	last, below := t.top(), t.layers[len(t.layers)-2]
	for k, v := range last.actors {
		below.actors[k] = v
	}
	for k, v := range last.resolved {
		below.resolved[k] = v
	}
	t.layers = t.layers[:len(t.layers)-1]
	return nil
}

// Flush writes pending changes into the HAMT and returns the new state
// root: the bare HAMT root for version 0, a versioned root otherwise.
func (t *Tree) Flush(ctx context.Context) (cid.Cid, error) {
	if len(t.layers) != 1 {
		return cid.Undef, fmt.Errorf("flush with %d snapshot layers open", len(t.layers)-1)
	}
	for id, o := range t.layers[0].actors {
		if o.deleted {
			if err := t.hamt.Delete(abi.AddrKey(id)); err != nil {
				return cid.Undef, fmt.Errorf("flush: delete actor %s: %w", id, err)
			}
			continue
		}
		a := o.act
		if err := t.hamt.Put(abi.AddrKey(id), &a); err != nil {
			return cid.Undef, fmt.Errorf("flush: put actor %s: %w", id, err)
		}
	}
	t.layers[0] = newLayer()
	r, err := t.hamt.Root()
	if err != nil {
		return cid.Undef, fmt.Errorf("flush actors HAMT: %w", err)
	}
	if t.version == 0 {
		return r, nil
	}
	c, err := t.store.Put(ctx, &root{Version: t.version, Actors: r, Info: t.info})
	if err != nil {
		return cid.Undef, fmt.Errorf("store state root: %w", err)
	}
	return c, nil
}
