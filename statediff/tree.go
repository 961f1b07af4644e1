package statediff

import (
	"bytes"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/actorshamt"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/protocol"
)

// treeRoot is a state root resolved to its actors HAMT.
//
// State-tree version 0 (network versions 0-3) is the bare actors HAMT. From
// version 1 on, the root is a tuple {Version, Actors, Info}; the HAMT it
// points at is hamt v2 for tree version 1 and hamt v3 for versions 2-5. Both
// HAMT encodings are read by the same walker, so the version is carried only
// for the report (version 5 also changes the actor rows: see actorRow).
type treeRoot struct {
	root    cid.Cid
	version uint64
	actors  cid.Cid
	info    cid.Cid // undefined for version 0
}

func (w *walker) loadTreeRoot(c cid.Cid) (*treeRoot, error) {
	raw, err := fetch(w.ctx, w.store, c)
	if err != nil {
		return nil, err
	}
	tr, err := parseTreeRoot(c, raw)
	if err != nil {
		return nil, &errUndecodable{c: c, what: "state root", err: err}
	}
	return tr, nil
}

func parseTreeRoot(c cid.Cid, raw []byte) (*treeRoot, error) {
	r := bytes.NewReader(raw)
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray {
		return nil, fmt.Errorf("want CBOR array, got major type %d", maj)
	}
	switch n {
	case 2:
		// A bare HAMT node: [bitfield, pointers].
		if _, err := decodeHAMTNode(raw); err != nil {
			return nil, fmt.Errorf("version-0 actors HAMT: %w", err)
		}
		return &treeRoot{root: c, version: 0, actors: c}, nil
	case 3:
		maj, v, err := cbg.CborReadHeader(r)
		if err != nil {
			return nil, fmt.Errorf("field Version: %w", err)
		}
		if maj != cbg.MajUnsignedInt {
			return nil, fmt.Errorf("field Version: want unsigned int")
		}
		// The versions read are those with an actors HAMT layout (up to
		// 5, which the FVM writes from network version 18).
		if _, err := actorshamt.For(protocol.StateTreeVersion(v)); err != nil {
			return nil, fmt.Errorf("field Version: unsupported state-tree version %d", v)
		}
		actors, err := cbg.ReadCid(r)
		if err != nil {
			return nil, fmt.Errorf("field Actors: %w", err)
		}
		info, err := cbg.ReadCid(r)
		if err != nil {
			return nil, fmt.Errorf("field Info: %w", err)
		}
		return &treeRoot{root: c, version: v, actors: actors, info: info}, nil
	}
	return nil, fmt.Errorf("want 2-element HAMT node or 3-element StateRoot, got %d elements", n)
}

// actorRow is one actor of the actors HAMT: code, head, nonce and balance
// in every state-tree version, and from version 5 a fifth field, the
// actor's delegated (f4) address, or null.
type actorRow struct {
	Code, Head cid.Cid
	CallSeqNum uint64
	Balance    abi.TokenAmount
	// Delegated is the f4 address; address.Undef when the row has none.
	Delegated address.Address
}

func (r *actorRow) UnmarshalCBOR(rd io.Reader) error {
	cr := cborseq.NewReader(rd)
	n := cr.Array("actor", -1)
	if err := cr.Err(); err != nil {
		return err
	}
	if n != 4 && n != 5 {
		return fmt.Errorf("actor: %d fields, want 4 (state-tree v0-v4) or 5 (v5)", n)
	}
	r.Code = cr.Cid("actor code")
	r.Head = cr.Cid("actor head")
	r.CallSeqNum = cr.Uint("actor nonce")
	r.Balance = abi.TokenAmount{}
	cr.Value("actor balance", &r.Balance)
	r.Delegated = address.Undef
	if n == 5 && !cr.IsNull() {
		b := cr.Bytes("actor delegated address")
		if cr.Err() == nil {
			a, err := address.NewFromBytes(b)
			if err != nil {
				return fmt.Errorf("actor delegated address %x: %w", b, err)
			}
			r.Delegated = a
		}
	}
	return cr.Err()
}

// actorEntry is one decoded row of the actors HAMT.
type actorEntry struct {
	addr address.Address
	act  actorRow
}

func decodeActor(key, raw []byte) (actorEntry, error) {
	a, err := address.NewFromBytes(key)
	if err != nil {
		return actorEntry{}, fmt.Errorf("actor key %x: %w", key, err)
	}
	e := actorEntry{addr: a}
	if raw == nil {
		return e, nil
	}
	if err := e.act.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		return actorEntry{}, fmt.Errorf("actor %s: %w", a, err)
	}
	return e, nil
}
