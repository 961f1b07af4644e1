// Package actors maps actor code CIDs to the Go implementations of each
// specs-actors version (listed in package builtin) and their method tables.
package actors

import (
	"fmt"
	"reflect"

	"github.com/filecoin-project/go-state-types/abi"
	rtt "github.com/filecoin-project/go-state-types/rt"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/protocol"
)

// Method is one exported actor method, ready to be called by reflection.
type Method struct {
	fn    reflect.Value
	param reflect.Type // pointed-to type of the parameter
}

// NewParams allocates a parameter value for the method; the result is a
// pointer that implements cbg.CBORUnmarshaler.
func (m Method) NewParams() (cbg.CBORUnmarshaler, error) {
	p := reflect.New(m.param)
	u, ok := p.Interface().(cbg.CBORUnmarshaler)
	if !ok {
		return nil, fmt.Errorf("parameter type %s does not implement UnmarshalCBOR", m.param)
	}
	return u, nil
}

// Call invokes the method with runtime rt and decoded params (as returned
// by NewParams). It returns the method's result as an interface value; the
// method may panic, and the caller is responsible for recovering.
func (m Method) Call(rt interface{}, params cbg.CBORUnmarshaler) (interface{}, error) {
	rv := reflect.ValueOf(rt)
	if want := m.fn.Type().In(0); !rv.Type().Implements(want) {
		return nil, fmt.Errorf("runtime %s does not implement %s", rv.Type(), want)
	}
	out := m.fn.Call([]reflect.Value{rv, reflect.ValueOf(params)})
	return out[0].Interface(), nil
}

// Entry is one registered actor implementation.
type Entry struct {
	Actor rtt.VMActor
	Code  cid.Cid
	Kind  string
	// Version is the actors version the code belongs to; AnyVersion entries
	// (test actors such as chaos) run under every network version.
	Version    protocol.ActorsVersion
	AnyVersion bool
	methods    []*Method
}

// Method returns the exported method num, or false if the actor has none.
func (e *Entry) Method(num abi.MethodNum) (Method, bool) {
	if uint64(num) >= uint64(len(e.methods)) || e.methods[num] == nil {
		return Method{}, false
	}
	return *e.methods[num], true
}

// RunsUnder reports whether the actor may execute (or be created) when
// actors version v is in force.
func (e *Entry) RunsUnder(v protocol.ActorsVersion) bool {
	return e.AnyVersion || e.Version == v
}

// Registry maps code CIDs to actor implementations. It is immutable once
// built and may be shared by concurrent VMs.
type Registry struct {
	byCode map[cid.Cid]*Entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byCode: make(map[cid.Cid]*Entry)}
}

// NewBuiltinRegistry returns a registry holding the builtin actors of every
// supported actors version.
func NewBuiltinRegistry() (*Registry, error) {
	r := NewRegistry()
	for _, v := range builtin.Versions() {
		if err := r.Register(v, false, builtin.Actors(v)...); err != nil {
			return nil, fmt.Errorf("actors version %d: %w", v, err)
		}
	}
	return r, nil
}

// Clone returns a copy of the registry that can be extended (for instance
// with the chaos actor) without affecting the original.
func (r *Registry) Clone() *Registry {
	c := NewRegistry()
	for k, v := range r.byCode {
		c.byCode[k] = v
	}
	return c
}

// Register adds actor implementations of actors version v (any version if
// anyVersion). Every export must have the shape func(R, *P) M where R is an
// interface (the runtime), P a CBOR-decodable type and M a CBOR marshaler.
func (r *Registry) Register(v protocol.ActorsVersion, anyVersion bool, list ...rtt.VMActor) error {
	for _, a := range list {
		methods, err := methodTable(a)
		if err != nil {
			return fmt.Errorf("register actor %s: %w", a.Code(), err)
		}
		r.byCode[a.Code()] = &Entry{
			Actor:      a,
			Code:       a.Code(),
			Kind:       builtin.KindOf(a.Code()),
			Version:    v,
			AnyVersion: anyVersion,
			methods:    methods,
		}
	}
	return nil
}

// Lookup returns the implementation registered for code.
func (r *Registry) Lookup(code cid.Cid) (*Entry, bool) {
	e, ok := r.byCode[code]
	return e, ok
}

var marshalerType = reflect.TypeOf((*cbg.CBORMarshaler)(nil)).Elem()

func methodTable(a rtt.VMActor) ([]*Method, error) {
	exports := a.Exports()
	out := make([]*Method, len(exports))
	for i, x := range exports {
		if x == nil {
			continue
		}
		fn := reflect.ValueOf(x)
		t := fn.Type()
		switch {
		case t.Kind() != reflect.Func:
			return nil, fmt.Errorf("export %d is not a function", i)
		case i == 0:
			return nil, fmt.Errorf("export 0 is reserved for plain sends")
		case t.NumIn() != 2 || t.NumOut() != 1:
			return nil, fmt.Errorf("export %d: want func(runtime, *params) result", i)
		case t.In(0).Kind() != reflect.Interface:
			return nil, fmt.Errorf("export %d: first argument must be the runtime interface", i)
		case t.In(1).Kind() != reflect.Ptr:
			return nil, fmt.Errorf("export %d: parameter must be a pointer", i)
		case !t.Out(0).Implements(marshalerType):
			return nil, fmt.Errorf("export %d: result must implement MarshalCBOR", i)
		}
		out[i] = &Method{fn: fn, param: t.In(1).Elem()}
	}
	return out, nil
}
