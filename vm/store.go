package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/filecoin-project/go-state-types/exitcode"
	block "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
)

// actorCIDPrefix is how actor state blocks are addressed: CIDv1, DAG-CBOR,
// blake2b-256.
var actorCIDPrefix = cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}

// errStateCommit is raised (as a plain panic, i.e. an actor crash) when an
// actor's head moved under an open state operation.
var errStateCommit = errors.New("actor state head changed during the state operation")

// chargedGet reads a block through the gas meter and decodes it into out.
// Every failure to read, including a missing block, is returned as an
// error: the state a message reaches must be present.
func (rt *Runtime) chargedGet(c cid.Cid, out cbg.CBORUnmarshaler) error {
	rt.charge(rt.m.prices.OnIpldGet())
	blk, err := rt.m.bs.Get(rt.ctx, c)
	if err != nil {
		return fmt.Errorf("get block %s: %w", c, err)
	}
	rt.charge(gas.Named(gas.NameOnIpldGetEnd))
	rt.charge(gas.Named(gas.NameOnActorExec))
	if err := out.UnmarshalCBOR(bytes.NewReader(blk.RawData())); err != nil {
		return fmt.Errorf("decode block %s: %w", c, err)
	}
	return nil
}

// StoreGet loads the object at c into o.
func (rt *Runtime) StoreGet(c cid.Cid, o cbor.Unmarshaler) bool {
	if err := rt.chargedGet(c, o); err != nil {
		panic(escalate(err, "store get"))
	}
	return true
}

// StorePut stores x and returns its CID.
func (rt *Runtime) StorePut(x cbor.Marshaler) cid.Cid {
	c, _ := rt.storePut(x)
	return c
}

// storePut stores x and returns its CID and encoding.
func (rt *Runtime) storePut(x cbor.Marshaler) (cid.Cid, []byte) {
	var buf bytes.Buffer
	if err := x.MarshalCBOR(&buf); err != nil {
		rt.fail(exitcode.ErrSerialization, "encode object: %v", err)
	}
	c, err := rt.chargedPut(buf.Bytes())
	if err != nil {
		panic(escalate(err, "store put"))
	}
	return c, buf.Bytes()
}

func (rt *Runtime) chargedPut(data []byte) (cid.Cid, error) {
	c, err := actorCIDPrefix.Sum(data)
	if err != nil {
		return cid.Undef, err
	}
	blk, err := block.NewBlockWithCid(data, c)
	if err != nil {
		return cid.Undef, err
	}
	rt.charge(rt.m.prices.OnIpldPut(len(data)))
	if err := rt.m.bs.Put(rt.ctx, blk); err != nil {
		return cid.Undef, fmt.Errorf("put block %s: %w", c, err)
	}
	rt.charge(gas.Named(gas.NameOnActorExec))
	return c, nil
}

// chargedStore is an IPLD store over the runtime's gas meter, for reads the
// protocol charges to the executing actor (such as resolving a signer's key).
type chargedStore struct{ rt *Runtime }

func (s chargedStore) Get(_ context.Context, c cid.Cid, out interface{}) error {
	u, ok := out.(cbg.CBORUnmarshaler)
	if !ok {
		return fmt.Errorf("%T cannot be decoded from CBOR", out)
	}
	return s.rt.chargedGet(c, u)
}

func (s chargedStore) Put(_ context.Context, v interface{}) (cid.Cid, error) {
	m, ok := v.(cbg.CBORMarshaler)
	if !ok {
		return cid.Undef, fmt.Errorf("%T cannot be encoded to CBOR", v)
	}
	var buf bytes.Buffer
	if err := m.MarshalCBOR(&buf); err != nil {
		return cid.Undef, err
	}
	return s.rt.chargedPut(buf.Bytes())
}

// StateCreate stores the initial state of the executing actor.
func (rt *Runtime) StateCreate(obj cbor.Marshaler) {
	c := rt.StorePut(obj)
	rt.commitState(emptyObjectCID, c)
}

// StateReadonly loads the executing actor's state into obj, which the actor
// must not modify (see protocol.Rules.CheckStateMutation).
func (rt *Runtime) StateReadonly(obj cbor.Unmarshaler) {
	a, err := rt.m.tree.GetActor(rt.receiver)
	if err != nil {
		rt.fail(exitcode.SysErrorIllegalArgument, "get actor for read-only state: %v", err)
	}
	rt.StoreGet(a.Head, obj)
	if rt.m.rules.CheckStateMutation {
		rt.lend(obj, "StateReadonly", nil)
	}
}

// StateTransaction loads the executing actor's state into obj, runs f
// (which may modify obj but not send) and stores the result. Once the
// transaction has ended, obj must not be modified again outside another
// transaction (see protocol.Rules.CheckStateMutation).
func (rt *Runtime) StateTransaction(obj cbor.Er, f func()) {
	if obj == nil {
		rt.fail(exitcode.SysErrorIllegalActor, "state transaction needs a state object")
	}
	a, err := rt.m.tree.GetActor(rt.receiver)
	if err != nil {
		rt.fail(exitcode.SysErrorIllegalActor, "get actor for state transaction: %v", err)
	}
	base := a.Head
	// The object is the transaction's to modify, whatever it held before.
	rt.forget(obj)
	rt.StoreGet(base, obj)
	rt.allowInternal = false
	f()
	rt.allowInternal = true
	c, enc := rt.storePut(obj)
	rt.commitState(base, c)
	if rt.m.rules.CheckStateMutation {
		rt.lend(obj, "StateTransaction", enc)
	}
}

// stateLoan is a state object handed to the actor and the encoding it must
// keep: what was read for StateReadonly, what was committed for
// StateTransaction.
type stateLoan struct {
	obj cbor.Marshaler
	via string
	enc []byte
}

// lend records obj as handed out by via with encoding enc (nil: encode obj
// now). Objects that cannot be encoded, or compared by identity, are not
// tracked: the actors' state types are all pointers to cbor-gen structs.
func (rt *Runtime) lend(obj interface{}, via string, enc []byte) {
	m, ok := obj.(cbor.Marshaler)
	if !ok || !reflect.TypeOf(obj).Comparable() {
		return
	}
	if enc == nil {
		var buf bytes.Buffer
		if err := m.MarshalCBOR(&buf); err != nil {
			return
		}
		enc = buf.Bytes()
	}
	rt.forget(obj)
	rt.loans = append(rt.loans, stateLoan{obj: m, via: via, enc: enc})
}

// forget stops tracking obj.
func (rt *Runtime) forget(obj interface{}) {
	if obj == nil || !reflect.TypeOf(obj).Comparable() {
		return
	}
	kept := rt.loans[:0]
	for _, l := range rt.loans {
		if interface{}(l.obj) != obj {
			kept = append(kept, l)
		}
	}
	rt.loans = kept
}

// checkLoans fails the invocation if the actor modified a state object it
// obtained read-only or through a finished transaction: such a change can
// never reach the state tree, so the actor is relying on something the VM
// does not do.
func (rt *Runtime) checkLoans() {
	for _, l := range rt.loans {
		var buf bytes.Buffer
		if err := l.obj.MarshalCBOR(&buf); err != nil || !bytes.Equal(buf.Bytes(), l.enc) {
			rt.fail(exitcode.SysErrorIllegalActor, "state object %T obtained by %s was modified outside a state transaction", l.obj, l.via)
		}
	}
}

// commitState moves the executing actor's head from old to new. A head that
// moved meanwhile, or an actor that deleted itself, is an actor crash, not
// an abort; a state tree that cannot be read or written is fatal, as every
// other store failure is.
func (rt *Runtime) commitState(old, new cid.Cid) {
	a, err := rt.m.tree.GetActor(rt.receiver)
	if errors.Is(err, state.ErrActorNotFound) {
		panic(fmt.Errorf("commit state: %w", err))
	}
	if err != nil {
		panic(escalate(err, "commit state"))
	}
	if a.Head != old {
		panic(errStateCommit)
	}
	a.Head = new
	if err := rt.m.tree.SetActor(rt.receiver, a); err != nil {
		panic(escalate(err, "commit state"))
	}
}
