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
	"github.com/tvx-project/tvx/builtin"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	adt4 "github.com/filecoin-project/specs-actors/v4/actors/util/adt"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	adt5 "github.com/filecoin-project/specs-actors/v5/actors/util/adt"

	"github.com/tvx-project/tvx/protocol"
)

// Actor is an actor's entry in the state tree. Its encoding is the same in
// every state-tree version.
type Actor = states0.Actor

// ErrActorNotFound reports an address with no actor (or no ID mapping).
var ErrActorNotFound = errors.New("actor not found")

// actorMap is the actors HAMT of one state-tree version.
type actorMap interface {
	Get(k abi.Keyer, out cbor.Unmarshaler) (bool, error)
	Put(k abi.Keyer, v cbor.Marshaler) error
	Delete(k abi.Keyer) error
	Root() (cid.Cid, error)
}

// actorsHAMT describes the actors HAMT layout of one state-tree version:
// how to open an existing root and how to start an empty one.
type actorsHAMT struct {
	open  func(ctx context.Context, store ipldcbor.IpldStore, r cid.Cid) (actorMap, error)
	empty func(ctx context.Context, store ipldcbor.IpldStore) (actorMap, error)
}

// hamtLayouts maps each state-tree version to the HAMT its actors map uses,
// which is that of the specs-actors release that introduced the version
// (as the network's reference implementation builds it): version 0 is go-hamt-ipld v1
// (actors v0.9), version 1 go-hamt-ipld v2 (actors v2), versions 2, 3 and 4
// go-hamt-ipld v3 (actors v3, v4 and v5). Every layout has bit width 5 and
// hashes keys with SHA-256; versions 2 to 4 differ only in the version number
// their root records.
var hamtLayouts = map[protocol.StateTreeVersion]actorsHAMT{
	0: {
		open: func(ctx context.Context, s ipldcbor.IpldStore, r cid.Cid) (actorMap, error) {
			return adt0.AsMap(adt0.WrapStore(ctx, s), r)
		},
		empty: func(ctx context.Context, s ipldcbor.IpldStore) (actorMap, error) {
			return adt0.MakeEmptyMap(adt0.WrapStore(ctx, s)), nil
		},
	},
	1: {
		open: func(ctx context.Context, s ipldcbor.IpldStore, r cid.Cid) (actorMap, error) {
			return adt2.AsMap(adt2.WrapStore(ctx, s), r)
		},
		empty: func(ctx context.Context, s ipldcbor.IpldStore) (actorMap, error) {
			return adt2.MakeEmptyMap(adt2.WrapStore(ctx, s)), nil
		},
	},
	2: {
		open: func(ctx context.Context, s ipldcbor.IpldStore, r cid.Cid) (actorMap, error) {
			return adt3.AsMap(adt3.WrapStore(ctx, s), r, builtin3.DefaultHamtBitwidth)
		},
		empty: func(ctx context.Context, s ipldcbor.IpldStore) (actorMap, error) {
			return adt3.MakeEmptyMap(adt3.WrapStore(ctx, s), builtin3.DefaultHamtBitwidth)
		},
	},
	3: {
		open: func(ctx context.Context, s ipldcbor.IpldStore, r cid.Cid) (actorMap, error) {
			return adt4.AsMap(adt4.WrapStore(ctx, s), r, builtin4.DefaultHamtBitwidth)
		},
		empty: func(ctx context.Context, s ipldcbor.IpldStore) (actorMap, error) {
			return adt4.MakeEmptyMap(adt4.WrapStore(ctx, s), builtin4.DefaultHamtBitwidth)
		},
	},
	4: {
		open: func(ctx context.Context, s ipldcbor.IpldStore, r cid.Cid) (actorMap, error) {
			return adt5.AsMap(adt5.WrapStore(ctx, s), r, builtin5.DefaultHamtBitwidth)
		},
		empty: func(ctx context.Context, s ipldcbor.IpldStore) (actorMap, error) {
			return adt5.MakeEmptyMap(adt5.WrapStore(ctx, s), builtin5.DefaultHamtBitwidth)
		},
	},
}

// MaxVersion is the newest state-tree version this package reads and writes.
const MaxVersion protocol.StateTreeVersion = 4

// hamtFor opens (root defined) or creates the actors HAMT layout of a
// state-tree version.
func hamtFor(ctx context.Context, store ipldcbor.IpldStore, v protocol.StateTreeVersion, r cid.Cid) (actorMap, error) {
	l, ok := hamtLayouts[v]
	if !ok {
		return nil, fmt.Errorf("state tree version %d is not supported (max %d)", v, MaxVersion)
	}
	if !r.Defined() {
		return l.empty(ctx, store)
	}
	return l.open(ctx, store, r)
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
	hamt    actorMap
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
