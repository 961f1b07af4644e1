package extract

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	fvmstate "github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/state"
)

// maskRow is what masking compares of an actor: every field of its row.
type maskRow struct {
	code, head cid.Cid
	nonce      uint64
	balance    string
	delegated  string // the f4 address's bytes (state-tree v5), or ""
}

// maskTree is a state tree as masking reads it and builds the masked
// state from it: the legacy VM's tree for state-tree versions 0 to 4, the
// FVM's for version 5, whose rows carry a delegated address the legacy
// tree does not keep.
type maskTree interface {
	version() protocol.StateTreeVersion
	lookupID(address.Address) (address.Address, error)
	// actor returns the actor at an ID address; false when there is none
	// or it cannot be read.
	actor(id address.Address) (maskRow, bool)
	// masked builds a tree of the same version holding only the actors
	// keep names that this tree has, and returns its root and their count.
	masked(ctx context.Context, keep []address.Address) (cid.Cid, int, error)
}

// openMaskTree opens the state tree at root for masking.
func openMaskTree(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (maskTree, error) {
	t, err := state.Load(ctx, store, root)
	if err == nil {
		return legacyMaskTree{t: t, store: store}, nil
	}
	ft, ferr := fvmstate.Load(ctx, store, root)
	if ferr != nil || ft.Version() < 5 {
		return nil, err
	}
	return fvmMaskTree{t: ft, store: store}, nil
}

type legacyMaskTree struct {
	t     *state.Tree
	store ipldcbor.IpldStore
}

func (l legacyMaskTree) version() protocol.StateTreeVersion { return l.t.Version() }

func (l legacyMaskTree) lookupID(a address.Address) (address.Address, error) { return l.t.LookupID(a) }

func (l legacyMaskTree) actor(id address.Address) (maskRow, bool) {
	a, err := l.t.GetActor(id)
	if err != nil {
		return maskRow{}, false
	}
	return maskRow{code: a.Code, head: a.Head, nonce: a.CallSeqNum, balance: a.Balance.String()}, true
}

func (l legacyMaskTree) masked(ctx context.Context, keep []address.Address) (cid.Cid, int, error) {
	m, err := state.New(ctx, l.store, l.t.Version())
	if err != nil {
		return cid.Undef, 0, err
	}
	kept := 0
	for _, id := range keep {
		act, err := l.t.GetActor(id)
		if err != nil {
			continue // created by the message: not in the pre-state
		}
		if err := m.SetActor(id, act); err != nil {
			return cid.Undef, 0, fmt.Errorf("actor %s: %w", id, err)
		}
		kept++
	}
	r, err := m.Flush(ctx)
	return r, kept, err
}

type fvmMaskTree struct {
	t     *fvmstate.Tree
	store ipldcbor.IpldStore
}

func (f fvmMaskTree) version() protocol.StateTreeVersion {
	return protocol.StateTreeVersion(f.t.Version())
}

func (f fvmMaskTree) lookupID(a address.Address) (address.Address, error) {
	id, ok, err := f.t.LookupID(a)
	if err != nil {
		return address.Undef, err
	}
	if !ok {
		return address.Undef, fmt.Errorf("resolve address %s: %w", a, fvmstate.ErrNotFound)
	}
	return address.NewIDAddress(id)
}

func (f fvmMaskTree) get(id address.Address) (*fvmstate.Actor, bool) {
	n, err := address.IDFromAddress(id)
	if err != nil {
		return nil, false
	}
	a, ok, err := f.t.GetActor(n)
	if err != nil || !ok {
		return nil, false
	}
	return a, true
}

func (f fvmMaskTree) actor(id address.Address) (maskRow, bool) {
	a, ok := f.get(id)
	if !ok {
		return maskRow{}, false
	}
	return maskRow{code: a.Code, head: a.Head, nonce: a.Nonce, balance: a.Balance.String(), delegated: string(a.Delegated)}, true
}

func (f fvmMaskTree) masked(ctx context.Context, keep []address.Address) (cid.Cid, int, error) {
	ids := make(map[uint64]*fvmstate.Actor, len(keep))
	for _, id := range keep {
		if a, ok := f.get(id); ok { // absent: created by the message
			n, _ := address.IDFromAddress(id)
			ids[n] = a
		}
	}
	initAct, ok := ids[fvmstate.InitActorID]
	if !ok {
		return cid.Undef, 0, fmt.Errorf("the pre-state has no init actor")
	}
	// New starts a tree with a placeholder init actor; the real one, always
	// kept, replaces it below.
	m, err := fvmstate.New(ctx, f.store, f.t.Version(), initAct.Code, 0, "")
	if err != nil {
		return cid.Undef, 0, err
	}
	order := make([]uint64, 0, len(ids))
	for n := range ids {
		order = append(order, n)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, n := range order {
		m.SetActor(n, ids[n])
	}
	r, err := m.Flush(ctx)
	return r, len(ids), err
}

// isActorRow reports whether raw is an actor row of some state-tree
// version: [code, head, nonce, balance] and, from version 5, a delegated
// address (bytes or null). Other HAMTs keyed by ID addresses (escrow
// tables, claims) hold other values.
func isActorRow(raw []byte) bool {
	cr := cborseq.NewReader(bytes.NewReader(raw))
	n := cr.Array("actor", -1)
	if cr.Err() != nil || (n != 4 && n != 5) {
		return false
	}
	cr.Cid("code")
	cr.Cid("head")
	cr.Uint("nonce")
	var bal abi.TokenAmount
	cr.Value("balance", &bal)
	if n == 5 && cr.Err() == nil && !cr.IsNull() {
		cr.Bytes("delegated address")
	}
	return cr.Err() == nil
}
