package state

import (
	"context"
	"io"

	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/filecoin-project/go-address"
	hamt "github.com/filecoin-project/go-hamt-ipld/v3"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
)

// hamtBitWidth is the bit width of the actors HAMT and the init actor's
// address map in every FVM state tree.
const hamtBitWidth = 5

// hamtOptions configure every HAMT of the state tree: bit width 5 and
// SHA-256 key hashing (go-hamt-ipld's default hash is not the chain's).
func hamtOptions() []hamt.Option {
	return []hamt.Option{
		hamt.UseTreeBitWidth(hamtBitWidth),
		hamt.UseHashFunction(func(k []byte) []byte { h := sha256.Sum256(k); return h[:] }),
	}
}

// InitActorID and SystemActorID are the fixed IDs of those singletons.
const (
	SystemActorID uint64 = 0
	InitActorID   uint64 = 1
)

// ErrNotFound reports an address with no actor (or no ID mapping).
var ErrNotFound = errors.New("actor not found")

type op struct {
	act     Actor
	deleted bool
}

type layer struct {
	actors   map[uint64]op
	resolved map[string]uint64
}

func newLayer() *layer {
	return &layer{actors: map[uint64]op{}, resolved: map[string]uint64{}}
}

// Tree is a state tree with a stack of transaction layers: the bottom one
// holds changes not yet flushed, Begin pushes a layer and End folds it into
// the one below or discards it. A Tree is not safe for concurrent use.
type Tree struct {
	ctx     context.Context
	store   ipldcbor.IpldStore
	version uint64
	info    cid.Cid
	actors  *hamt.Node
	layers  []*layer
}

// Load opens the state tree rooted at r, which must be of version 4 or 5.
func Load(ctx context.Context, store ipldcbor.IpldStore, r cid.Cid) (*Tree, error) {
	var rt root
	if err := store.Get(ctx, r, &rt); err != nil {
		return nil, fmt.Errorf("load state root %s: %w", r, err)
	}
	if rt.Version != 4 && rt.Version != 5 {
		return nil, fmt.Errorf("state root %s: state-tree version %d, the FVM runs versions 4 and 5", r, rt.Version)
	}
	n, err := hamt.LoadNode(ctx, store, rt.Actors, hamtOptions()...)
	if err != nil {
		return nil, fmt.Errorf("load actors HAMT %s: %w", rt.Actors, err)
	}
	return &Tree{ctx: ctx, store: store, version: rt.Version, info: rt.Info, actors: n, layers: []*layer{newLayer()}}, nil
}

// New returns an empty state tree of version 4 or 5 whose only actor is an
// init actor with code initCode, an empty address map and next ID nextID
// (for building states).
func New(ctx context.Context, store ipldcbor.IpldStore, version uint64, initCode cid.Cid, nextID uint64, network string) (*Tree, error) {
	if version != 4 && version != 5 {
		return nil, fmt.Errorf("state-tree version %d, the FVM runs versions 4 and 5", version)
	}
	n, err := hamt.NewNode(store, hamtOptions()...)
	if err != nil {
		return nil, err
	}
	empty, err := hamt.NewNode(store, hamtOptions()...)
	if err != nil {
		return nil, err
	}
	amap, err := store.Put(ctx, empty)
	if err != nil {
		return nil, fmt.Errorf("store empty address map: %w", err)
	}
	head, err := store.Put(ctx, &initState{AddressMap: amap, NextID: nextID, NetworkName: network})
	if err != nil {
		return nil, fmt.Errorf("store init state: %w", err)
	}
	info, err := store.Put(ctx, emptyTuple{})
	if err != nil {
		return nil, fmt.Errorf("store state info: %w", err)
	}
	t := &Tree{ctx: ctx, store: store, version: version, info: info, actors: n, layers: []*layer{newLayer()}}
	t.SetActor(InitActorID, &Actor{Code: initCode, Head: head, Balance: big.Zero()})
	return t, nil
}

// emptyTuple is the empty CBOR array (the state info object).
type emptyTuple struct{}

func (emptyTuple) MarshalCBOR(w io.Writer) error { _, err := w.Write([]byte{0x80}); return err }

// Version is the tree's state-tree version.
func (t *Tree) Version() uint64 { return t.version }

// Store is the tree's uncharged IPLD store.
func (t *Tree) Store() ipldcbor.IpldStore { return t.store }

func (t *Tree) top() *layer { return t.layers[len(t.layers)-1] }

// LookupID resolves addr to an actor ID: an ID address directly (whether or
// not an actor exists there), any other through the init actor's address
// map. ok is false when the address is not mapped.
func (t *Tree) LookupID(addr address.Address) (id uint64, ok bool, err error) {
	if addr.Protocol() == address.ID {
		id, err := address.IDFromAddress(addr)
		return id, err == nil, err
	}
	key := string(addr.Bytes())
	for i := len(t.layers) - 1; i >= 0; i-- {
		if id, ok := t.layers[i].resolved[key]; ok {
			return id, true, nil
		}
	}
	st, err := t.initState()
	if err != nil {
		return 0, false, err
	}
	m, err := hamt.LoadNode(t.ctx, t.store, st.AddressMap, hamtOptions()...)
	if err != nil {
		return 0, false, fmt.Errorf("load init address map: %w", err)
	}
	var v actorID
	found, err := m.Find(t.ctx, key, &v)
	if err != nil {
		return 0, false, fmt.Errorf("resolve %s: %w", addr, err)
	}
	if !found {
		return 0, false, nil
	}
	t.top().resolved[key] = uint64(v)
	return uint64(v), true, nil
}

func (t *Tree) initState() (*initState, error) {
	a, ok, err := t.GetActor(InitActorID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("state tree has no init actor")
	}
	var st initState
	if err := t.store.Get(t.ctx, a.Head, &st); err != nil {
		return nil, fmt.Errorf("load init actor state: %w", err)
	}
	return &st, nil
}

// GetActor returns a copy of the actor with ID id; ok is false when there
// is none.
func (t *Tree) GetActor(id uint64) (*Actor, bool, error) {
	for i := len(t.layers) - 1; i >= 0; i-- {
		if o, ok := t.layers[i].actors[id]; ok {
			if o.deleted {
				return nil, false, nil
			}
			a := o.act
			return &a, true, nil
		}
	}
	var a Actor
	found, err := t.actors.Find(t.ctx, idKey(id), entry{a: &a, version: t.version})
	if err != nil {
		return nil, false, fmt.Errorf("read actor %d: %w", id, err)
	}
	if !found {
		return nil, false, nil
	}
	t.layers[0].actors[id] = op{act: a}
	c := a
	return &c, true, nil
}

// SetActor stores a as the actor with ID id.
func (t *Tree) SetActor(id uint64, a *Actor) {
	t.top().actors[id] = op{act: *a}
}

// DeleteActor removes the actor with ID id.
func (t *Tree) DeleteActor(id uint64) {
	t.top().actors[id] = op{deleted: true}
}

// MutateActor applies f to the actor with ID id, which must exist.
func (t *Tree) MutateActor(id uint64, f func(*Actor) error) error {
	a, ok, err := t.GetActor(id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("actor %d: %w", id, ErrNotFound)
	}
	if err := f(a); err != nil {
		return err
	}
	t.SetActor(id, a)
	return nil
}

// RegisterNewAddress maps addr to the init actor's next free ID and
// returns it.
func (t *Tree) RegisterNewAddress(addr address.Address) (uint64, error) {
	ia, ok, err := t.GetActor(InitActorID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errors.New("state tree has no init actor")
	}
	var st initState
	if err := t.store.Get(t.ctx, ia.Head, &st); err != nil {
		return 0, fmt.Errorf("load init actor state: %w", err)
	}
	m, err := hamt.LoadNode(t.ctx, t.store, st.AddressMap, hamtOptions()...)
	if err != nil {
		return 0, fmt.Errorf("load init address map: %w", err)
	}
	id := st.NextID
	if err := m.Set(t.ctx, string(addr.Bytes()), actorID(id)); err != nil {
		return 0, fmt.Errorf("map %s: %w", addr, err)
	}
	if err := m.Flush(t.ctx); err != nil {
		return 0, fmt.Errorf("flush init address map: %w", err)
	}
	if st.AddressMap, err = t.store.Put(t.ctx, m); err != nil {
		return 0, fmt.Errorf("store init address map: %w", err)
	}
	st.NextID++
	if ia.Head, err = t.store.Put(t.ctx, &st); err != nil {
		return 0, fmt.Errorf("store init actor state: %w", err)
	}
	t.SetActor(InitActorID, ia)
	t.top().resolved[string(addr.Bytes())] = id
	return id, nil
}

// Begin opens a transaction layer.
func (t *Tree) Begin() { t.layers = append(t.layers, newLayer()) }

// End closes the innermost transaction layer, keeping its changes unless
// revert is set.
func (t *Tree) End(revert bool) error {
	if len(t.layers) < 2 {
		return errors.New("end transaction: none open")
	}
	last, below := t.top(), t.layers[len(t.layers)-2]
	t.layers = t.layers[:len(t.layers)-1]
	if revert {
		return nil
	}
	for k, v := range last.actors {
		below.actors[k] = v
	}
	for k, v := range last.resolved {
		below.resolved[k] = v
	}
	return nil
}

// Depth is the number of open transaction layers.
func (t *Tree) Depth() int { return len(t.layers) - 1 }

// Flush writes pending changes into the actors HAMT and returns the new
// state root. No transaction may be open.
func (t *Tree) Flush(ctx context.Context) (cid.Cid, error) {
	if len(t.layers) != 1 {
		return cid.Undef, fmt.Errorf("flush with %d transactions open", len(t.layers)-1)
	}
	for id, o := range t.layers[0].actors {
		key := idKey(id)
		if o.deleted {
			if _, err := t.actors.Delete(ctx, key); err != nil {
				return cid.Undef, fmt.Errorf("flush: delete actor %d: %w", id, err)
			}
			continue
		}
		a := o.act
		if err := t.actors.Set(ctx, key, entry{a: &a, version: t.version}); err != nil {
			return cid.Undef, fmt.Errorf("flush: put actor %d: %w", id, err)
		}
	}
	t.layers[0] = newLayer()
	if err := t.actors.Flush(ctx); err != nil {
		return cid.Undef, fmt.Errorf("flush actors HAMT: %w", err)
	}
	ar, err := t.store.Put(ctx, t.actors)
	if err != nil {
		return cid.Undef, fmt.Errorf("store actors HAMT: %w", err)
	}
	c, err := t.store.Put(ctx, &root{Version: t.version, Actors: ar, Info: t.info})
	if err != nil {
		return cid.Undef, fmt.Errorf("store state root: %w", err)
	}
	return c, nil
}

// idKey is the actors HAMT key of an actor ID: its ID address's bytes.
func idKey(id uint64) string {
	a, err := address.NewIDAddress(id)
	if err != nil {
		panic(err) // unreachable: every uint64 is a valid ID
	}
	return string(a.Bytes())
}
