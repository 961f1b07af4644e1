package migration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/protocol"
)

// trackingStore remembers the first block its store could not produce,
// so that a failure deep inside a migration package, whose error text
// varies, is reported as the missing block it is.
//
// It reads and writes under its own context, the run's, not the one each
// call passes: the migration packages keep reading with the context of a
// worker group after the group has ended (and cancelled it), which a
// store that honours contexts (a node's) would refuse.
type trackingStore struct {
	ctx context.Context
	bs  ipldcbor.IpldBlockstore

	mu      sync.Mutex
	missing cid.Cid
	cause   error
}

func (s *trackingStore) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	b, err := s.bs.Get(s.ctx, c)
	if err != nil {
		s.mu.Lock()
		if !s.missing.Defined() {
			s.missing, s.cause = c, err
		}
		s.mu.Unlock()
	}
	return b, err
}

func (s *trackingStore) Put(_ context.Context, b blocks.Block) error { return s.bs.Put(s.ctx, b) }

// classify turns err into ErrMissingBlock when a read failed on the way
// (a context error stays what it is).
func (s *trackingStore) classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.missing.Defined() {
		return err
	}
	return fmt.Errorf("%w %s (%v)", ErrMissingBlock, s.missing, s.cause)
}

// stateRoot is the versioned state root object of state-tree versions 1
// and later: the CBOR tuple [version, actors map root, info].
type stateRoot struct {
	version protocol.StateTreeVersion
	actors  cid.Cid
	info    cid.Cid
}

func (r *stateRoot) MarshalCBOR(w io.Writer) error {
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 3); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, uint64(r.version)); err != nil {
		return err
	}
	if err := cbg.WriteCid(w, r.actors); err != nil {
		return err
	}
	return cbg.WriteCid(w, r.info)
}

func (r *stateRoot) UnmarshalCBOR(rd io.Reader) error {
	br := cbg.GetPeeker(rd)
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajArray || n != 3 {
		return fmt.Errorf("not a 3-tuple")
	}
	maj, v, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajUnsignedInt {
		return fmt.Errorf("version is not an unsigned integer")
	}
	r.version = protocol.StateTreeVersion(v)
	if r.actors, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("actors: %w", err)
	}
	if r.info, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("info: %w", err)
	}
	return nil
}

// emptyInfo is the state info object versioned roots carry: CBOR [].
type emptyInfo struct{}

func (emptyInfo) MarshalCBOR(w io.Writer) error {
	_, err := w.Write([]byte{0x80})
	return err
}

// readRoot reads a state root: a versioned root object, or (version 0) the
// actors map root itself. The caller has already checked that root is a
// state tree.
func readRoot(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (stateRoot, error) {
	var r stateRoot
	if err := store.Get(ctx, root, &r); err == nil {
		return r, nil
	}
	return stateRoot{version: 0, actors: root}, nil
}
