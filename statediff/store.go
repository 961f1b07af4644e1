package statediff

import (
	"context"
	"errors"
	"fmt"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// Store is the read half of a blockstore. Both go-ipfs-blockstore's
// Blockstore and go-ipld-cbor's IpldBlockstore satisfy it; the diff never
// writes.
type Store interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// errMissing marks a block the store could not produce. The diff reports it
// and carries on with the rest of the trees instead of failing.
type errMissing struct {
	c   cid.Cid
	err error
}

func (e *errMissing) Error() string {
	return fmt.Sprintf("block %s unavailable: %v", e.c, e.err)
}

func (e *errMissing) Unwrap() error { return e.err }

// errUndecodable marks a block that is present but whose bytes do not match
// the structure expected at that place.
type errUndecodable struct {
	c    cid.Cid
	what string
	err  error
}

func (e *errUndecodable) Error() string {
	return fmt.Sprintf("block %s is not a valid %s: %v", e.c, e.what, e.err)
}

func (e *errUndecodable) Unwrap() error { return e.err }

// fetch loads the raw bytes of c. Any store failure other than the caller's
// context ending is reported as a missing block: a CAR-backed store, a
// buffered store and a plain map all spell "not found" differently, and for a
// diff the consequence is the same.
func fetch(ctx context.Context, s Store, c cid.Cid) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !c.Defined() {
		return nil, &errMissing{c: c, err: errors.New("undefined CID")}
	}
	blk, err := s.Get(ctx, c)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if errors.Is(err, ErrWalkBound) {
			return nil, err
		}
		return nil, &errMissing{c: c, err: err}
	}
	if blk == nil {
		return nil, &errMissing{c: c, err: errors.New("store returned no block")}
	}
	return blk.RawData(), nil
}

// isSoft tells whether err concerns the data (missing or malformed block),
// in which case the diff notes it and continues, rather than the run itself
// (cancelled context), which stops the diff.
func isSoft(err error) bool {
	var m *errMissing
	var u *errUndecodable
	return errors.As(err, &m) || errors.As(err, &u)
}
