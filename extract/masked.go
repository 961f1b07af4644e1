package extract

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/filecoin-project/go-address"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"

	"github.com/tvx-project/tvx/actorshamt"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm"
)

// Actors every masked state keeps: the message's fees and address
// resolution need them even when the trace does not show them.
var alwaysRetained = []address.Address{builtin0.InitActorAddr, builtin0.RewardActorAddr, builtin0.BurntFundsActorAddr}

// maskedState builds a state tree holding only the actors the traced replay
// used, with the same state-tree version as root, and returns its root.
//
// Candidates are read off the actors-HAMT nodes in the trace: a lookup
// reads the bucket holding the actor, so candidates include every actor
// looked up, and the others that share their buckets (in a small state,
// all of them). Unless wide is set, a candidate is kept only when the
// replay read its state, changed its entry, or it is the message's sender
// or receiver; the caller replays on the result and, should the receipt
// differ, asks again with wide set.
func (e *Extractor) maskedState(ctx context.Context, bs *store, root, post cid.Cid, traced []blocks.Block, msg *vm.Message, wide bool) (cid.Cid, error) {
	cst := ipldcbor.NewCborStore(bs)
	tree, err := openMaskTree(ctx, cst, root)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: %w", err)
	}
	after, err := openMaskTree(ctx, cst, post)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: post-state: %w", err)
	}
	keep := retainedActors(tree, after, traced, msg, wide)
	r, kept, err := tree.masked(ctx, keep)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: %w", err)
	}
	e.cfg.log.Logf("masked state %s keeps %d actor(s)", r, kept)
	return r, nil
}

// retainedActors chooses the actors of tree a masked state keeps (see
// maskedState), sorted by ID; after is the post-state.
func retainedActors(tree, after maskTree, traced []blocks.Block, msg *vm.Message, wide bool) []address.Address {
	read := map[cid.Cid]bool{}
	for _, b := range traced {
		read[b.Cid()] = true
	}
	ids := map[address.Address]bool{}
	for _, a := range alwaysRetained {
		ids[a] = true
	}
	for _, a := range []address.Address{msg.From, msg.To} {
		if id, err := tree.lookupID(a); err == nil {
			ids[id] = true
		}
	}
	for _, b := range traced {
		for _, id := range actorKeys(tree.version(), b.RawData()) {
			if ids[id] {
				continue
			}
			act, ok := tree.actor(id)
			if !ok {
				continue
			}
			now, ok := after.actor(id)
			changed := !ok || now != act
			if wide || changed || read[act.head] {
				ids[id] = true
			}
		}
	}
	keep := make([]address.Address, 0, len(ids))
	for id := range ids {
		keep = append(keep, id)
	}
	sort.Slice(keep, func(i, j int) bool { return bytes.Compare(keep[i].Bytes(), keep[j].Bytes()) < 0 })
	return keep
}

// actorKeys returns the ID addresses of actor entries held in data when it
// is a node of an actors HAMT of state-tree version v; nothing otherwise.
func actorKeys(v protocol.StateTreeVersion, data []byte) []address.Address {
	l, err := actorshamt.For(v)
	if err != nil {
		return nil
	}
	kvs, ok := l.NodeEntries(data)
	if !ok {
		return nil
	}
	var out []address.Address
	for _, kv := range kvs {
		a, err := address.NewFromBytes(kv.Key)
		if err != nil || a.Protocol() != address.ID {
			continue
		}
		if !isActorRow(kv.Value) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// dagBlocks returns every block reachable from roots (sorted), fetching
// through bs; links that name no block (actor code, sector commitments:
// see namesNoBlock) are leaves.
func dagBlocks(ctx context.Context, bs *store, roots ...cid.Cid) ([]blocks.Block, error) {
	seen := map[cid.Cid]bool{}
	var out []blocks.Block
	queue := append([]cid.Cid(nil), roots...)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if seen[c] || namesNoBlock(c) {
			continue
		}
		seen[c] = true
		b, err := bs.Get(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("state DAG: block %s: %w", c, err)
		}
		out = append(out, b)
		if c.Prefix().Codec != cid.DagCBOR {
			continue
		}
		if err := cbg.ScanForLinks(bytes.NewReader(b.RawData()), func(l cid.Cid) {
			if !seen[l] {
				queue = append(queue, l)
			}
		}); err != nil {
			return nil, fmt.Errorf("state DAG: links of %s: %w", c, err)
		}
	}
	sortBlocks(out)
	return out, nil
}
