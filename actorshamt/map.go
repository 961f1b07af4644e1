package actorshamt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	hamt1 "github.com/filecoin-project/go-hamt-ipld"
	hamt2 "github.com/filecoin-project/go-hamt-ipld/v2"
	hamt3 "github.com/filecoin-project/go-hamt-ipld/v3"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Map is an actors HAMT opened with its version's layout. It is not safe
// for concurrent use.
type Map interface {
	// Get decodes the value at k into out, reporting whether there is one.
	Get(k abi.Keyer, out cbor.Unmarshaler) (bool, error)
	// Put sets the value at k.
	Put(k abi.Keyer, v cbor.Marshaler) error
	// Delete removes the value at k; removing an absent key is an error.
	Delete(k abi.Keyer) error
	// Root flushes the map to its store and returns its root.
	Root() (cid.Cid, error)
	// ForEach decodes each value into out (when non-nil) and calls fn with
	// its key, stopping at fn's first error.
	ForEach(out cbor.Unmarshaler, fn func(key string) error) error
}

// Open opens the actors HAMT rooted at root, or starts an empty one when
// root is undefined.
func (l Layout) Open(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (Map, error) {
	switch l.Encoding {
	case 1:
		opts := []hamt1.Option{hamt1.UseTreeBitWidth(l.BitWidth), hamt1.UseHashFunction(Hash)}
		if !root.Defined() {
			return &map1{ctx: ctx, store: store, n: hamt1.NewNode(store, opts...)}, nil
		}
		n, err := hamt1.LoadNode(ctx, store, root, opts...)
		if err != nil {
			return nil, fmt.Errorf("load actors HAMT %s: %w", root, err)
		}
		return &map1{ctx: ctx, store: store, n: n}, nil
	case 2:
		opts := []hamt2.Option{hamt2.UseTreeBitWidth(l.BitWidth), hamt2.UseHashFunction(Hash)}
		if !root.Defined() {
			return &map2{ctx: ctx, store: store, n: hamt2.NewNode(store, opts...)}, nil
		}
		n, err := hamt2.LoadNode(ctx, store, root, opts...)
		if err != nil {
			return nil, fmt.Errorf("load actors HAMT %s: %w", root, err)
		}
		return &map2{ctx: ctx, store: store, n: n}, nil
	case 3:
		opts := []hamt3.Option{hamt3.UseTreeBitWidth(l.BitWidth), hamt3.UseHashFunction(Hash)}
		var (
			n   *hamt3.Node
			err error
		)
		if !root.Defined() {
			n, err = hamt3.NewNode(store, opts...)
		} else {
			n, err = hamt3.LoadNode(ctx, store, root, opts...)
		}
		if err != nil {
			return nil, fmt.Errorf("load actors HAMT %s: %w", root, err)
		}
		return &map3{ctx: ctx, store: store, n: n}, nil
	}
	return nil, fmt.Errorf("state tree version %d: no go-hamt-ipld encoding %d", l.Version, l.Encoding)
}

// flushed stores a flushed root node and returns its CID.
func flushed(ctx context.Context, store ipldcbor.IpldStore, flush func(context.Context) error, root any) (cid.Cid, error) {
	if err := flush(ctx); err != nil {
		return cid.Undef, fmt.Errorf("flush actors HAMT: %w", err)
	}
	c, err := store.Put(ctx, root)
	if err != nil {
		return cid.Undef, fmt.Errorf("store actors HAMT root: %w", err)
	}
	return c, nil
}

func decodeInto(out cbor.Unmarshaler, d *cbg.Deferred) error {
	if out == nil {
		return nil
	}
	if d == nil {
		return errors.New("actors HAMT value is not raw CBOR")
	}
	return out.UnmarshalCBOR(bytes.NewReader(d.Raw))
}

type map1 struct {
	ctx   context.Context
	store ipldcbor.IpldStore
	n     *hamt1.Node
}

func (m *map1) Get(k abi.Keyer, out cbor.Unmarshaler) (bool, error) {
	if err := m.n.Find(m.ctx, k.Key(), out); err != nil {
		if errors.Is(err, hamt1.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("actors HAMT get %x: %w", k.Key(), err)
	}
	return true, nil
}

func (m *map1) Put(k abi.Keyer, v cbor.Marshaler) error {
	if err := m.n.Set(m.ctx, k.Key(), v); err != nil {
		return fmt.Errorf("actors HAMT put %x: %w", k.Key(), err)
	}
	return nil
}

func (m *map1) Delete(k abi.Keyer) error {
	if err := m.n.Delete(m.ctx, k.Key()); err != nil {
		return fmt.Errorf("actors HAMT delete %x: %w", k.Key(), err)
	}
	return nil
}

func (m *map1) Root() (cid.Cid, error) { return flushed(m.ctx, m.store, m.n.Flush, m.n) }

func (m *map1) ForEach(out cbor.Unmarshaler, fn func(string) error) error {
	return m.n.ForEach(m.ctx, func(k string, v any) error {
		d, _ := v.(*cbg.Deferred)
		if err := decodeInto(out, d); err != nil {
			return err
		}
		return fn(k)
	})
}

type map2 struct {
	ctx   context.Context
	store ipldcbor.IpldStore
	n     *hamt2.Node
}

func (m *map2) Get(k abi.Keyer, out cbor.Unmarshaler) (bool, error) {
	if err := m.n.Find(m.ctx, k.Key(), out); err != nil {
		if errors.Is(err, hamt2.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("actors HAMT get %x: %w", k.Key(), err)
	}
	return true, nil
}

func (m *map2) Put(k abi.Keyer, v cbor.Marshaler) error {
	if err := m.n.Set(m.ctx, k.Key(), v); err != nil {
		return fmt.Errorf("actors HAMT put %x: %w", k.Key(), err)
	}
	return nil
}

func (m *map2) Delete(k abi.Keyer) error {
	if err := m.n.Delete(m.ctx, k.Key()); err != nil {
		return fmt.Errorf("actors HAMT delete %x: %w", k.Key(), err)
	}
	return nil
}

func (m *map2) Root() (cid.Cid, error) { return flushed(m.ctx, m.store, m.n.Flush, m.n) }

func (m *map2) ForEach(out cbor.Unmarshaler, fn func(string) error) error {
	return m.n.ForEach(m.ctx, func(k string, v any) error {
		d, _ := v.(*cbg.Deferred)
		if err := decodeInto(out, d); err != nil {
			return err
		}
		return fn(k)
	})
}

type map3 struct {
	ctx   context.Context
	store ipldcbor.IpldStore
	n     *hamt3.Node
}

func (m *map3) Get(k abi.Keyer, out cbor.Unmarshaler) (bool, error) {
	found, err := m.n.Find(m.ctx, k.Key(), out)
	if err != nil {
		return false, fmt.Errorf("actors HAMT get %x: %w", k.Key(), err)
	}
	return found, nil
}

func (m *map3) Put(k abi.Keyer, v cbor.Marshaler) error {
	if err := m.n.Set(m.ctx, k.Key(), v); err != nil {
		return fmt.Errorf("actors HAMT put %x: %w", k.Key(), err)
	}
	return nil
}

func (m *map3) Delete(k abi.Keyer) error {
	found, err := m.n.Delete(m.ctx, k.Key())
	if err != nil {
		return fmt.Errorf("actors HAMT delete %x: %w", k.Key(), err)
	}
	if !found {
		return fmt.Errorf("actors HAMT delete %x: no such key", k.Key())
	}
	return nil
}

func (m *map3) Root() (cid.Cid, error) { return flushed(m.ctx, m.store, m.n.Flush, m.n) }

func (m *map3) ForEach(out cbor.Unmarshaler, fn func(string) error) error {
	return m.n.ForEach(m.ctx, func(k string, d *cbg.Deferred) error {
		if err := decodeInto(out, d); err != nil {
			return err
		}
		return fn(k)
	})
}
