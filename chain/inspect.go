package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
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

// IPLDStore is a read-only IPLD store over a source's blocks, for
// reading what the chain holds (a state tree with package vm/state, say);
// writes are refused.
func IPLDStore(src Source) ipldcbor.IpldStore { return ipldcbor.NewCborStore(ipldBlocks{src}) }
