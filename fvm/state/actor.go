// Package state is the FVM's state tree: the versioned root ([version,
// actors, info]) of state-tree versions 4 (network versions 16 and 17) and
// 5 (network version 18, whose actor entries carry a delegated address), an
// actors HAMT (bit width 5, SHA-256 keys) under an overlay of transaction
// layers, and address resolution through the init actor's address map.
//
// Reads and writes made here are not gas-charged; the kernel charges actors
// for their own state access.
package state

import (
	"bytes"
	"fmt"
	"io"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// Actor is an actor's entry in the state tree.
type Actor struct {
	Code    cid.Cid
	Head    cid.Cid
	Nonce   uint64
	Balance abi.TokenAmount
	// Delegated is the actor's f4 address in its byte form (state-tree
	// version 5 and later); nil when it has none.
	Delegated []byte
}

// entry encodes an Actor in the tuple layout of one state-tree version.
type entry struct {
	a       *Actor
	version uint64
}

func (e entry) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	fields := 4
	if e.version >= 5 {
		fields = 5
	}
	cw.Array(fields)
	cw.Cid(e.a.Code)
	cw.Cid(e.a.Head)
	cw.Uint(e.a.Nonce)
	bal := e.a.Balance
	if bal.Int == nil {
		bal = big.Zero()
	}
	cw.Value(&bal)
	if fields == 5 {
		if e.a.Delegated == nil {
			cw.Null()
		} else {
			cw.Bytes(e.a.Delegated)
		}
	}
	return cw.Err()
}

func (e entry) UnmarshalCBOR(r io.Reader) error {
	cr := cborseq.NewReader(r)
	want := 4
	if e.version >= 5 {
		want = 5
	}
	cr.Array("actor", want)
	e.a.Code = cr.Cid("actor code")
	e.a.Head = cr.Cid("actor head")
	e.a.Nonce = cr.Uint("actor nonce")
	e.a.Balance = big.Zero()
	cr.Value("actor balance", &e.a.Balance)
	e.a.Delegated = nil
	if want == 5 {
		if !cr.IsNull() {
			e.a.Delegated = cr.Bytes("actor delegated address")
		}
	}
	return cr.Err()
}

// root is the versioned state root [version, actors HAMT root, info].
type root struct {
	Version uint64
	Actors  cid.Cid
	Info    cid.Cid
}

func (r *root) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Array(3)
	cw.Uint(r.Version)
	cw.Cid(r.Actors)
	cw.Cid(r.Info)
	return cw.Err()
}

func (r *root) UnmarshalCBOR(rd io.Reader) error {
	cr := cborseq.NewReader(rd)
	cr.Array("state root", 3)
	r.Version = cr.Uint("state root version")
	r.Actors = cr.Cid("state root actors")
	r.Info = cr.Cid("state root info")
	return cr.Err()
}

// actorID is a CBOR unsigned integer, the value type of the init actor's
// address map.
type actorID uint64

func (a *actorID) UnmarshalCBOR(r io.Reader) error {
	cr := cborseq.NewReader(r)
	*a = actorID(cr.Uint("actor id"))
	return cr.Err()
}

func (a actorID) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Uint(uint64(a))
	return cw.Err()
}

// initState is the init actor's state in builtin-actors v8–v10:
// [address_map HAMT, next_id, network_name].
type initState struct {
	AddressMap  cid.Cid
	NextID      uint64
	NetworkName string
}

func (s *initState) UnmarshalCBOR(r io.Reader) error {
	cr := cborseq.NewReader(r)
	cr.Array("init state", 3)
	s.AddressMap = cr.Cid("init address map")
	s.NextID = cr.Uint("init next id")
	s.NetworkName = cr.Text("init network name")
	return cr.Err()
}

func (s *initState) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Array(3)
	cw.Cid(s.AddressMap)
	cw.Uint(s.NextID)
	cw.Text(s.NetworkName)
	return cw.Err()
}

var (
	_ cbg.CBORMarshaler   = entry{}
	_ cbg.CBORUnmarshaler = entry{}
)

// encodeActor returns the CBOR bytes of a in the layout of version v.
func encodeActor(a *Actor, v uint64) ([]byte, error) {
	var buf bytes.Buffer
	if err := (entry{a: a, version: v}).MarshalCBOR(&buf); err != nil {
		return nil, fmt.Errorf("encode actor: %w", err)
	}
	return buf.Bytes(), nil
}
