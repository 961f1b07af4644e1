package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/vm/state"
)

// TipSets lists the tipsets a source holds from its head back, newest
// first: down to genesis, or to the first tipset whose parents the source
// lacks (a CAR is usually a window). At most limit tipsets are listed
// (limit <= 0: no limit).
func TipSets(ctx context.Context, src Source, limit int) ([]*TipSet, error) {
	ts, err := src.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tipsets: %w", err)
	}
	var out []*TipSet
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, ts)
		// Genesis names a pre-genesis ticket block as its parent, which
		// is not a tipset: the walk ends there.
		if ts.Height() == 0 || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		parent, err := src.TipSet(ctx, ts.Parents())
		if errors.Is(err, ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list tipsets: parent of %d: %w", ts.Height(), err)
		}
		ts = parent
	}
}

// StateRootOf resolves what a user may name as a state: a state root
// itself, a block header's CID (the state its header commits to, its
// ParentStateRoot; for genesis, the genesis state), or a tipset key
// written as Lotus prints it ("{cid,cid}") or comma-separated, whose
// blocks all commit to one state.
func StateRootOf(ctx context.Context, src Source, s string) (cid.Cid, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") || strings.Contains(s, ",") {
		key, err := ParseTipSetKey(s)
		if err != nil {
			return cid.Undef, err
		}
		ts, err := src.TipSet(ctx, key)
		if err != nil {
			return cid.Undef, fmt.Errorf("tipset %s: %w", s, err)
		}
		return ts.ParentState(), nil
	}
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("%q is not a CID: %w", s, err)
	}
	blk, err := src.Get(ctx, c)
	if err != nil {
		return cid.Undef, fmt.Errorf("%s: %w", c, err)
	}
	if h, err := DecodeBlockHeader(blk.RawData()); err == nil {
		return h.ParentStateRoot, nil
	}
	return c, nil
}

// ParseTipSetKey reads a tipset key as "{cid,cid,...}" or "cid,cid,...".
func ParseTipSetKey(s string) (TipSetKey, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	var cids []cid.Cid
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		c, err := cid.Decode(part)
		if err != nil {
			return TipSetKey{}, fmt.Errorf("tipset key: %q is not a CID: %w", part, err)
		}
		cids = append(cids, c)
	}
	if len(cids) == 0 {
		return TipSetKey{}, errors.New("tipset key: no CIDs")
	}
	return NewTipSetKey(cids...), nil
}

// ActorEntry is one actor of a state tree, for listings.
type ActorEntry struct {
	ID      address.Address
	Code    cid.Cid
	Head    cid.Cid
	Nonce   uint64
	Balance abi.TokenAmount
}

// CodeName is the name a builtin actor code CID carries
// ("fil/1/storageminer"), or the CID itself.
func (a ActorEntry) CodeName() string {
	if d, err := mh.Decode(a.Code.Hash()); err == nil && d.Code == mh.IDENTITY {
		return string(d.Digest)
	}
	return a.Code.String()
}

// Actors lists the actors of the state tree at root, ordered by ID, with
// the tree's state-tree version.
func Actors(ctx context.Context, src Source, root cid.Cid) (uint64, []ActorEntry, error) {
	w := newWalker(src, nil, src.Head)
	tree, err := state.Load(ctx, w.cborStore(), root)
	if err != nil {
		return 0, nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	var out []ActorEntry
	err = tree.ForEach(func(id address.Address, act *state.Actor) error {
		out = append(out, ActorEntry{ID: id, Code: act.Code, Head: act.Head, Nonce: act.CallSeqNum, Balance: act.Balance})
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool {
		ia, _ := address.IDFromAddress(out[i].ID)
		ib, _ := address.IDFromAddress(out[j].ID)
		if ia != ib {
			return ia < ib
		}
		return bytes.Compare(out[i].ID.Bytes(), out[j].ID.Bytes()) < 0
	})
	return uint64(tree.Version()), out, nil
}
