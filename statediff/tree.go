package statediff

import (
	"bytes"
	"fmt"

	"github.com/filecoin-project/go-address"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// treeRoot is a state root resolved to its actors HAMT.
//
// State-tree version 0 (network versions 0-3) is the bare actors HAMT. From
// version 1 on, the root is a tuple {Version, Actors, Info}; the HAMT it
// points at is hamt v2 for tree version 1 and hamt v3 for versions 2-4. Both
// HAMT encodings are read by the same walker, so the version is carried only
// for the report.
type treeRoot struct {
	root    cid.Cid
	version uint64
	actors  cid.Cid
	info    cid.Cid // undefined for version 0
}

// maxTreeVersion is the newest state-tree layout of the pre-FVM protocol
// (network versions 13-15).
const maxTreeVersion = 4

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
		if v > maxTreeVersion {
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

// actorEntry is one decoded row of the actors HAMT. The row layout (code,
// head, nonce, balance) is the same in every actors version.
type actorEntry struct {
	addr address.Address
	act  states0.Actor
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
