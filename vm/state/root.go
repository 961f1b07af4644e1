package state

import (
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/protocol"
)

// root is the versioned state root object (state-tree version 1 and later):
// the CBOR tuple [version, actors HAMT root, info].
type root struct {
	Version protocol.StateTreeVersion
	Actors  cid.Cid
	Info    cid.Cid
}

func (r *root) MarshalCBOR(w io.Writer) error {
	if _, err := w.Write([]byte{0x83}); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, uint64(r.Version)); err != nil {
		return err
	}
	if err := cbg.WriteCid(w, r.Actors); err != nil {
		return fmt.Errorf("actors root: %w", err)
	}
	if err := cbg.WriteCid(w, r.Info); err != nil {
		return fmt.Errorf("info: %w", err)
	}
	return nil
}

func (r *root) UnmarshalCBOR(rd io.Reader) error {
	br := cbg.GetPeeker(rd)
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajArray || n != 3 {
		return fmt.Errorf("state root: want a 3-tuple, got major %d length %d", maj, n)
	}
	maj, v, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajUnsignedInt {
		return fmt.Errorf("state root: version is not an unsigned int")
	}
	r.Version = protocol.StateTreeVersion(v)
	if r.Actors, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("state root: actors: %w", err)
	}
	if r.Info, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("state root: info: %w", err)
	}
	return nil
}

// emptyInfo is the (empty) state info object of versioned roots: CBOR [].
type emptyInfo struct{}

func (emptyInfo) MarshalCBOR(w io.Writer) error {
	_, err := w.Write([]byte{0x80})
	return err
}
