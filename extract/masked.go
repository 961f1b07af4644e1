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
	"github.com/tvx-project/tvx/vm/state"
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
	tree, err := state.Load(ctx, cst, root)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: %w", err)
	}
	after, err := state.Load(ctx, cst, post)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: post-state: %w", err)
	}
	read := map[cid.Cid]bool{}
	for _, b := range traced {
		read[b.Cid()] = true
	}
	ids := map[address.Address]bool{}
	for _, a := range alwaysRetained {
		ids[a] = true
	}
	for _, a := range []address.Address{msg.From, msg.To} {
		if id, err := tree.LookupID(a); err == nil {
			ids[id] = true
		}
	}
	for _, b := range traced {
		for _, id := range actorKeys(tree.Version(), b.RawData()) {
			if ids[id] {
				continue
			}
			act, err := tree.GetActor(id)
			if err != nil {
				continue
			}
			now, err := after.GetActor(id)
			changed := err != nil || now.Code != act.Code || now.Head != act.Head ||
				now.CallSeqNum != act.CallSeqNum || !now.Balance.Equals(act.Balance)
			if wide || changed || read[act.Head] {
				ids[id] = true
			}
		}
	}
	keep := make([]address.Address, 0, len(ids))
	for id := range ids {
		keep = append(keep, id)
	}
	sort.Slice(keep, func(i, j int) bool { return bytes.Compare(keep[i].Bytes(), keep[j].Bytes()) < 0 })

	masked, err := state.New(ctx, cst, tree.Version())
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: %w", err)
	}
	kept := 0
	for _, id := range keep {
		act, err := tree.GetActor(id)
		if err != nil {
			continue // created by the message: not in the pre-state
		}
		if err := masked.SetActor(id, act); err != nil {
			return cid.Undef, fmt.Errorf("masked state: actor %s: %w", id, err)
		}
		kept++
	}
	r, err := masked.Flush(ctx)
	if err != nil {
		return cid.Undef, fmt.Errorf("masked state: %w", err)
	}
	e.cfg.log.Logf("masked state %s keeps %d actor(s)", r, kept)
	return r, nil
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
		var act state.Actor
		if act.UnmarshalCBOR(bytes.NewReader(kv.Value)) != nil {
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
