package chain

import (
	"context"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/protocol"
	"sync"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// blockGetter is the raw-block access the chain walker needs. Get returns an
// error wrapping ErrNotFound for a missing block.
type blockGetter interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// walker answers the structural chain queries (tipsets, messages, receipts,
// message search) from raw blocks alone, so any block source — a CAR, or
// a test fixture — gets Lotus's semantics from one implementation.
type walker struct {
	bs         blockGetter
	netVersion func(abi.ChainEpoch) network.Version
	// protocol answers the behaviour switches of a network version.
	protocol *protocol.Table
	head     func(ctx context.Context) (*TipSet, error)

	mu      sync.Mutex
	tipsets map[TipSetKey]*TipSet
}

func newWalker(bs blockGetter, netVersion func(abi.ChainEpoch) network.Version, head func(context.Context) (*TipSet, error)) *walker {
	return &walker{bs: bs, netVersion: netVersion, protocol: protocol.Mainnet(), head: head, tipsets: make(map[TipSetKey]*TipSet)}
}

// ipldBlocks adapts the getter to the IPLD store interfaces; writes are
// refused because every source is read-only.
type ipldBlocks struct{ bs blockGetter }

func (b ipldBlocks) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return b.bs.Get(ctx, c)
}

func (ipldBlocks) Put(context.Context, blocks.Block) error {
	return errors.New("chain source is read-only")
}

func (w *walker) cborStore() ipldcbor.IpldStore { return ipldcbor.NewCborStore(ipldBlocks{w.bs}) }

func (w *walker) blockHeader(ctx context.Context, c cid.Cid) (*BlockHeader, error) {
	blk, err := w.bs.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("block header %s: %w", c, err)
	}
	h, err := DecodeBlockHeader(blk.RawData())
	if err != nil {
		return nil, fmt.Errorf("block header %s: %w", c, err)
	}
	return h, nil
}

// tipSet loads a tipset by key; the empty key is the head.
func (w *walker) tipSet(ctx context.Context, key TipSetKey) (*TipSet, error) {
	if key.IsEmpty() {
		return w.head(ctx)
	}
	w.mu.Lock()
	ts, ok := w.tipsets[key]
	w.mu.Unlock()
	if ok {
		return ts, nil
	}
	cids := key.Cids()
	hs := make([]*BlockHeader, len(cids))
	for i, c := range cids {
		h, err := w.blockHeader(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("tipset %s: %w", key, err)
		}
		hs[i] = h
	}
	ts, err := NewTipSet(hs)
	if err != nil {
		return nil, fmt.Errorf("tipset %s: %w", key, err)
	}
	w.mu.Lock()
	w.tipsets[key] = ts
	w.mu.Unlock()
	return ts, nil
}

// byHeight walks back from `from` to height h. At a null round it returns
// the tipset below h (below=true) or the one above it (below=false).
func (w *walker) byHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey, below bool) (*TipSet, bool, error) {
	if h < 0 {
		return nil, false, fmt.Errorf("tipset at height %d: negative height", h)
	}
	ts, err := w.tipSet(ctx, from)
	if err != nil {
		return nil, false, err
	}
	if h > ts.Height() {
		return nil, false, fmt.Errorf("tipset at height %d: above the starting tipset at %d", h, ts.Height())
	}
	for ts.Height() > h {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		parent, err := w.tipSet(ctx, ts.Parents())
		if err != nil {
			return nil, false, fmt.Errorf("walk back to height %d from %d: %w", h, ts.Height(), err)
		}
		if parent.Height() >= ts.Height() {
			return nil, false, fmt.Errorf("walk back to height %d: parent of %d is at %d", h, ts.Height(), parent.Height())
		}
		if parent.Height() < h {
			if below {
				return parent, true, nil
			}
			return ts, true, nil
		}
		ts = parent
	}
	return ts, false, nil
}

// amtCids reads an AMT of CIDs as block headers lay them out: the first
// actors version's AMT, whatever the network version.
func (w *walker) amtCids(ctx context.Context, root cid.Cid) ([]cid.Cid, error) {
	arr, err := adt0.AsArray(adt0.WrapStore(ctx, w.cborStore()), root)
	if err != nil {
		return nil, fmt.Errorf("load AMT %s: %w", root, err)
	}
	var out []cid.Cid
	var v cbg.CborCid
	if err := arr.ForEach(&v, func(int64) error {
		out = append(out, cid.Cid(v))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read AMT %s: %w", root, err)
	}
	if uint64(len(out)) != arr.Length() {
		return nil, fmt.Errorf("read AMT %s: %d entries for length %d", root, len(out), arr.Length())
	}
	return out, nil
}

func (w *walker) txMeta(ctx context.Context, c cid.Cid) (*TxMeta, error) {
	blk, err := w.bs.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("txmeta %s: %w", c, err)
	}
	var m TxMeta
	if err := cborseq.DecodeExact("txmeta", blk.RawData(), &m); err != nil {
		return nil, fmt.Errorf("txmeta %s: %w", c, err)
	}
	return &m, nil
}

func (w *walker) blockMessagesOf(ctx context.Context, h *BlockHeader) (*BlockMessages, error) {
	meta, err := w.txMeta(ctx, h.Messages)
	if err != nil {
		return nil, err
	}
	blsCids, err := w.amtCids(ctx, meta.BlsMessages)
	if err != nil {
		return nil, fmt.Errorf("bls messages: %w", err)
	}
	secpCids, err := w.amtCids(ctx, meta.SecpkMessages)
	if err != nil {
		return nil, fmt.Errorf("secpk messages: %w", err)
	}
	out := &BlockMessages{
		BlsMessages:   make([]*Message, 0, len(blsCids)),
		SecpkMessages: make([]*SignedMessage, 0, len(secpCids)),
		Cids:          make([]cid.Cid, 0, len(blsCids)+len(secpCids)),
	}
	for i, c := range blsCids {
		blk, err := w.bs.Get(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("bls message %d: %w", i, err)
		}
		m, err := DecodeMessage(blk.RawData())
		if err != nil {
			return nil, fmt.Errorf("bls message %d (%s): %w", i, c, err)
		}
		out.BlsMessages = append(out.BlsMessages, m)
		out.Cids = append(out.Cids, c)
	}
	for i, c := range secpCids {
		blk, err := w.bs.Get(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("secpk message %d: %w", i, err)
		}
		m, err := DecodeSignedMessage(blk.RawData())
		if err != nil {
			return nil, fmt.Errorf("secpk message %d (%s): %w", i, c, err)
		}
		out.SecpkMessages = append(out.SecpkMessages, m)
		out.Cids = append(out.Cids, c)
	}
	return out, nil
}

func (w *walker) blockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error) {
	h, err := w.blockHeader(ctx, block)
	if err != nil {
		return nil, err
	}
	bm, err := w.blockMessagesOf(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("messages of block %s: %w", block, err)
	}
	return bm, nil
}

// executedMessages lists what executing ts applied, in order: see
// Source.ParentMessages.
func (w *walker) executedMessages(ctx context.Context, ts *TipSet) ([]ParentMessage, error) {
	var lookup idLookup
	// The switch is keyed to the upgrade's epoch itself, which still runs
	// the old version: tipsets from that epoch on use IDs.
	if w.rules(w.netVersion(ts.Height() + 1)).SenderIDs {
		l, err := idLookupAt(ctx, w.cborStore(), ts.ParentState())
		if err != nil {
			return nil, fmt.Errorf("messages of tipset %d: sender IDs: %w", ts.Height(), err)
		}
		lookup = l
	}
	next := make(map[address.Address]uint64)
	var out []ParentMessage
	take := func(c cid.Cid, m *Message) error {
		sender := m.From
		if lookup != nil {
			id, err := lookup(m.From)
			if err != nil {
				return fmt.Errorf("message %s: sender: %w", c, err)
			}
			sender = id
		}
		// A block is valid only if a sender's first message in it has
		// the right nonce, so the first one seen starts the sequence.
		want, seen := next[sender]
		if seen && m.Nonce != want {
			return nil
		}
		next[sender] = m.Nonce + 1
		out = append(out, ParentMessage{Cid: c, Message: m})
		return nil
	}
	for _, h := range ts.blocks {
		bm, err := w.blockMessagesOf(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("messages of tipset %d: %w", ts.Height(), err)
		}
		for i, m := range bm.BlsMessages {
			if err := take(bm.Cids[i], m); err != nil {
				return nil, err
			}
		}
		for i, sm := range bm.SecpkMessages {
			if err := take(bm.Cids[len(bm.BlsMessages)+i], &sm.Message); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// parentOf returns the parent tipset of a block, or nil for genesis.
func (w *walker) parentOf(ctx context.Context, block cid.Cid) (*BlockHeader, *TipSet, error) {
	h, err := w.blockHeader(ctx, block)
	if err != nil {
		return nil, nil, err
	}
	if h.Height == 0 {
		return h, nil, nil
	}
	pts, err := w.tipSet(ctx, NewTipSetKey(h.Parents...))
	if err != nil {
		return nil, nil, fmt.Errorf("parent of block %s: %w", block, err)
	}
	return h, pts, nil
}

func (w *walker) parentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error) {
	_, pts, err := w.parentOf(ctx, block)
	if err != nil || pts == nil {
		return nil, err
	}
	return w.executedMessages(ctx, pts)
}

func (w *walker) parentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error) {
	h, pts, err := w.parentOf(ctx, block)
	if err != nil || pts == nil {
		return nil, err
	}
	msgs, err := w.executedMessages(ctx, pts)
	if err != nil {
		return nil, err
	}
	return w.receipts(ctx, h.ParentMessageReceipts, len(msgs))
}

// receipts reads the first n receipts of a receipts AMT; each must exist.
func (w *walker) receipts(ctx context.Context, root cid.Cid, n int) ([]*MessageReceipt, error) {
	if n == 0 {
		return nil, nil
	}
	arr, err := adt0.AsArray(adt0.WrapStore(ctx, w.cborStore()), root)
	if err != nil {
		return nil, fmt.Errorf("receipts AMT %s: %w", root, err)
	}
	out := make([]*MessageReceipt, n)
	for i := range out {
		var r MessageReceipt
		found, err := arr.Get(uint64(i), &r)
		if err != nil {
			return nil, fmt.Errorf("receipts AMT %s: receipt %d: %w", root, i, err)
		}
		if !found {
			return nil, fmt.Errorf("receipts AMT %s: receipt %d: %w", root, i, ErrNotFound)
		}
		out[i] = &r
	}
	return out, nil
}

func (w *walker) message(ctx context.Context, c cid.Cid) (*Message, error) {
	blk, err := w.bs.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", c, err)
	}
	if m, err := DecodeMessage(blk.RawData()); err == nil {
		return m, nil
	}
	sm, err := DecodeSignedMessage(blk.RawData())
	if err != nil {
		return nil, fmt.Errorf("message %s: neither a message nor a signed message: %w", c, err)
	}
	return &sm.Message, nil
}

// searchMessage implements Source.SearchMessage by examining, from `from`
// back, each tipset's executed messages. It needs no state, so it works on
// CARs that keep only recent state roots.
func (w *walker) searchMessage(ctx context.Context, from TipSetKey, mc cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error) {
	target, err := w.message(ctx, mc)
	if err != nil {
		return nil, fmt.Errorf("search message: %w", err)
	}
	cur, err := w.tipSet(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("search message %s: %w", mc, err)
	}
	stopAt := cur.Height() - limit
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if cur.Height() == 0 {
			return nil, nil
		}
		pts, err := w.tipSet(ctx, cur.Parents())
		if err != nil {
			return nil, fmt.Errorf("search message %s: back from height %d: %w", mc, cur.Height(), err)
		}
		found, err := w.executedIn(ctx, cur, pts, mc, target, allowReplaced)
		if err != nil || found != nil {
			return found, err
		}
		if limit != LookbackNoLimit && pts.Height() <= stopAt {
			return nil, nil
		}
		cur = pts
	}
}

// executedIn looks for the message among those pts executed, whose receipts
// ts's blocks commit to.
func (w *walker) executedIn(ctx context.Context, ts, pts *TipSet, mc cid.Cid, target *Message, allowReplaced bool) (*MessageLookup, error) {
	msgs, err := w.executedMessages(ctx, pts)
	if err != nil {
		return nil, fmt.Errorf("search message %s: %w", mc, err)
	}
	// Newest first: a sender's later messages have higher nonces, so the
	// first lower nonce seen ends the search in this tipset.
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i].Message
		if m.From != target.From {
			continue
		}
		if m.Nonce < target.Nonce {
			return nil, nil
		}
		if m.Nonce > target.Nonce {
			continue
		}
		if !m.SameCall(target) {
			return nil, fmt.Errorf("search message %s: %s from %s has its nonce %d but another call", mc, msgs[i].Cid, m.From, m.Nonce)
		}
		if msgs[i].Cid != mc && !allowReplaced {
			return nil, fmt.Errorf("search message %s: executed as replacement %s (same call, other gas), and replacements were not allowed", mc, msgs[i].Cid)
		}
		rs, err := w.receipts(ctx, ts.ParentReceipts(), i+1)
		if err != nil {
			return nil, fmt.Errorf("search message %s: %w", mc, err)
		}
		return &MessageLookup{Message: msgs[i].Cid, Receipt: *rs[i], TipSet: ts.Key(), Height: ts.Height()}, nil
	}
	return nil, nil
}

// rules returns the behaviour switches of network version nv (those of the
// upgrade that brought it); a version the table lacks has none switched on.
func (w *walker) rules(nv network.Version) protocol.Rules {
	u, _ := w.protocol.Activation(nv)
	return u.Rules
}
