package extract

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TipsetRequest asks for tipset vectors over a run of consecutive tipsets
// of one chain (see Range).
type TipsetRequest struct {
	Tipsets []*chain.TipSet
	// Squash makes one vector of all the tipsets; otherwise each tipset
	// becomes its own vector.
	Squash bool
	// ID is the vector's _meta.id (default "@<first>..@<last>", by height).
	// Unsquashed vectors get "<ID>-@<height>" when ID is set.
	ID string
	// IgnoreSanityChecks keeps vectors whose replay differs from the chain.
	IgnoreSanityChecks bool
}

// TipsetResult is one tipset vector.
type TipsetResult struct {
	Vector  *schema.Vector
	Tipsets []*chain.TipSet
	// Mismatches lists how the replay differed from the chain when sanity
	// checks were ignored.
	Mismatches []string
}

// RangeEnd names one end of a tipset range: a tipset key, or a height on
// the source's chain (the tipset at or, for a null round, above it at the
// start, at or below it at the end).
type RangeEnd struct {
	Key    chain.TipSetKey
	Height abi.ChainEpoch
	// ByHeight says Height is meant (Key is ignored).
	ByHeight bool
}

// Range resolves [from, to] on the source's chain to its tipsets in
// ascending order, walking back from `to`; `from` must be an ancestor of
// (or equal to) `to`.
func (e *Extractor) Range(ctx context.Context, from, to RangeEnd) ([]*chain.TipSet, error) {
	last, err := e.rangeEnd(ctx, to, false)
	if err != nil {
		return nil, fmt.Errorf("range end: %w", err)
	}
	first, err := e.rangeEnd(ctx, from, true)
	if err != nil {
		return nil, fmt.Errorf("range start: %w", err)
	}
	if first.Height() > last.Height() {
		return nil, fmt.Errorf("range %d..%d runs backwards", first.Height(), last.Height())
	}
	var out []*chain.TipSet
	for cur := last; ; {
		out = append(out, cur)
		if cur.Key() == first.Key() {
			break
		}
		if cur.Height() <= first.Height() {
			return nil, fmt.Errorf("tipset %s at %d is not an ancestor of %s", first.Key(), first.Height(), last.Key())
		}
		if cur, err = e.src.TipSet(ctx, cur.Parents()); err != nil {
			return nil, fmt.Errorf("walk back to %d: %w", first.Height(), err)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (e *Extractor) rangeEnd(ctx context.Context, r RangeEnd, start bool) (*chain.TipSet, error) {
	if !r.ByHeight {
		if r.Key.IsEmpty() {
			return e.src.Head(ctx)
		}
		return e.src.TipSet(ctx, r.Key)
	}
	if start {
		return e.src.TipSetAfterHeight(ctx, r.Height, chain.EmptyTipSetKey)
	}
	ts, _, err := e.src.TipSetByHeight(ctx, r.Height, chain.EmptyTipSetKey)
	return ts, err
}

// Tipsets extracts tipset vectors: one squashed vector, or one per tipset.
func (e *Extractor) Tipsets(ctx context.Context, req TipsetRequest) ([]*TipsetResult, error) {
	defer e.holdPolicy()()
	if len(req.Tipsets) == 0 {
		return nil, errors.New("extract tipsets: no tipsets")
	}
	for i := 1; i < len(req.Tipsets); i++ {
		if req.Tipsets[i].Parents() != req.Tipsets[i-1].Key() {
			return nil, fmt.Errorf("extract tipsets: tipset %d (height %d) is not the child of tipset %d", i, req.Tipsets[i].Height(), i-1)
		}
	}
	bs := newStore(e.src)
	total := len(req.Tipsets)
	if req.Squash {
		res, err := e.tipsetVector(ctx, bs, req.Tipsets, req.ID, req.IgnoreSanityChecks, func(done int) {
			if e.cfg.progress != nil {
				e.cfg.progress(done, total)
			}
		})
		if err != nil {
			return nil, err
		}
		return []*TipsetResult{res}, nil
	}
	var out []*TipsetResult
	for i, ts := range req.Tipsets {
		id := ""
		if req.ID != "" {
			id = fmt.Sprintf("%s-@%d", req.ID, ts.Height())
		}
		res, err := e.tipsetVector(ctx, bs, []*chain.TipSet{ts}, id, req.IgnoreSanityChecks, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
		if e.cfg.progress != nil {
			e.cfg.progress(i+1, total)
		}
	}
	return out, nil
}

// tipsetVector replays tss (consecutive) and builds their vector.
func (e *Extractor) tipsetVector(ctx context.Context, bs *store, tss []*chain.TipSet, id string, ignore bool, progress func(int)) (*TipsetResult, error) {
	first, last := tss[0], tss[len(tss)-1]
	if id == "" {
		id = fmt.Sprintf("@%d..@%d", first.Height(), last.Height())
	}
	if first.Height() == 0 {
		return nil, fmt.Errorf("extract tipset 0: %w", ErrGenesis)
	}
	parent, err := e.src.TipSet(ctx, first.Parents())
	if err != nil {
		return nil, fmt.Errorf("extract tipset %d: parent: %w", first.Height(), err)
	}
	nv, err := e.src.NetworkVersion(ctx, first.Height())
	if err != nil {
		return nil, fmt.Errorf("extract tipset %d: %w", first.Height(), err)
	}
	// A vector has one network version, its first tipset's; later tipsets
	// may run newer ones only where the replay follows the protocol table's
	// schedule exactly as the chain does (the driver then runs each tipset
	// under its epoch's version and migrates where the chain did), and on
	// the same VM.
	versions := []network.Version{nv}
	table := e.table()
	firstRow, _ := table.Activation(nv)
	for _, ts := range tss[1:] {
		other, err := e.src.NetworkVersion(ctx, ts.Height())
		if err != nil {
			return nil, fmt.Errorf("extract tipset %d: %w", ts.Height(), err)
		}
		row, known := table.Activation(other)
		scheduled := table.FollowsSchedule(nv, first.Height(), true) && table.AtEpoch(ts.Height()).Version == other && known && row.VM == firstRow.VM
		if other != nv && !scheduled {
			return nil, fmt.Errorf("extract tipsets %d..%d: network version changes from %d to %d at %d, which the replay's protocol table does not schedule there on one VM; a vector has one version, so split the range there (or extract tipsets one by one)", first.Height(), last.Height(), nv, other, ts.Height())
		}
		versions = append(versions, other)
	}
	cs, knownCS, err := e.circSupply(ctx, first.Key(), schema.ClassTipset)
	if err != nil {
		return nil, fmt.Errorf("extract tipset %d: circulating supply: %w", first.Height(), err)
	}
	if len(tss) > 1 && knownCS {
		e.cfg.log.Logf("tipsets %d..%d: the vector holds one circulating supply, the one on top of %d", first.Height(), last.Height(), first.Height())
	}

	rec := newRandRecords()
	root := first.ParentState()
	prevEpoch := parent.Height()
	var (
		vts      []schema.Tipset
		receipts []*schema.Receipt
		rroots   []cid.Cid
		mismatch []string
		gen      []string
	)
	bs.startTrace()
	traceOpen := true
	defer func() {
		if traceOpen {
			bs.stopTrace()
		}
	}()
	for i, ts := range tss {
		if ts.ParentState() != root {
			// Only reachable after an ignored mismatch: the chain moved on
			// from its own state, the vector from the replay's.
			e.cfg.log.Logf("tipset %d: chain's parent state %s, replay's %s", ts.Height(), ts.ParentState(), root)
		}
		st, blocks, err := e.tipsetBlocks(ctx, ts)
		if err != nil {
			return nil, fmt.Errorf("extract tipset %d: %w", ts.Height(), err)
		}
		res, err := e.cfg.exec.ApplyTipset(ctx, &executor.Tipset{
			Params:     e.params(bs, versions[i], cs, rec.forTipset(e.src, ts.Key(), e.cfg.beaconRound)),
			ParentRoot: root, ParentEpoch: prevEpoch, Epoch: ts.Height(), BaseFee: ts.ParentBaseFee(), Blocks: blocks,
		})
		if err != nil {
			return nil, fmt.Errorf("extract tipset %d: replay: %w", ts.Height(), err)
		}
		st.EpochOffset = int64(ts.Height() - parent.Height())
		vts = append(vts, st)
		for _, a := range res.Applied {
			receipts = append(receipts, &schema.Receipt{ExitCode: int64(a.ExitCode), ReturnValue: a.Return, GasUsed: a.GasUsed})
		}
		rroots = append(rroots, res.ReceiptsRoot)
		gen = append(gen, "tipset:"+ts.Key().String())

		child, err := e.child(ctx, ts, tss, i)
		if err != nil {
			if !ignore {
				return nil, fmt.Errorf("extract tipset %d: %w: %v", ts.Height(), ErrSanity, err)
			}
			mismatch = append(mismatch, fmt.Sprintf("tipset %d: unchecked: %v", ts.Height(), err))
		} else if mm := e.compareWithChain(ctx, ts, child, res); mm != "" {
			if !ignore {
				return nil, fmt.Errorf("extract tipset %d: %w: %s", ts.Height(), ErrSanity, mm)
			}
			mismatch = append(mismatch, fmt.Sprintf("tipset %d: %s", ts.Height(), mm))
		}
		root, prevEpoch = res.PostRoot, ts.Height()
		if progress != nil {
			progress(i + 1)
		}
	}
	traced := bs.stopTrace()
	traceOpen = false

	car, err := vectorCAR(ctx, e.cfg.tempDir, []cid.Cid{first.ParentState(), root}, traced)
	if err != nil {
		return nil, fmt.Errorf("extract tipsets %d..%d: %w", first.Height(), last.Height(), err)
	}
	v := &schema.Vector{}
	v.Class = schema.ClassTipset
	v.Selector = e.selector()
	v.Meta = &schema.Metadata{ID: id, Gen: e.gen(gen...)}
	v.CAR = car
	v.Randomness = rec.records()
	v.Pre = &schema.Preconditions{
		Variants:  []schema.Variant{{ID: codename(nv, first.Height()), Epoch: int64(parent.Height()), NetworkVersion: uint(nv)}},
		StateTree: &schema.StateTree{RootCID: first.ParentState()},
		BaseFee:   first.ParentBaseFee().Int,
	}
	if knownCS {
		v.Pre.CircSupply = cs.Int
	}
	v.ApplyTipsets = vts
	v.Post = &schema.Postconditions{StateTree: &schema.StateTree{RootCID: root}, Receipts: receipts, ReceiptsRoots: rroots}
	if err := e.check(ctx, v); err != nil {
		return nil, err
	}
	return &TipsetResult{Vector: v, Tipsets: tss, Mismatches: mismatch}, nil
}

// tipsetBlocks returns a tipset's blocks as a vector records them (BLS
// messages bare, secp256k1 messages signed, each block's in block order)
// and as the runner will execute them: a runner files messages by their
// sender's address kind, so the replay does too, and any difference from
// the chain's own lists shows up in the sanity check.
func (e *Extractor) tipsetBlocks(ctx context.Context, ts *chain.TipSet) (schema.Tipset, []executor.Block, error) {
	st := schema.Tipset{BaseFee: *bigOf(ts.ParentBaseFee().Int)}
	var out []executor.Block
	for bi, h := range ts.Blocks() {
		c := ts.Cids()[bi]
		bm, err := e.src.BlockMessages(ctx, c)
		if err != nil {
			return st, nil, fmt.Errorf("messages of block %s: %w", c, err)
		}
		var win int64
		if h.ElectionProof != nil {
			win = h.ElectionProof.WinCount
		}
		sb := schema.Block{MinerAddr: h.Miner, WinCount: win, Messages: []schema.Bytes{}}
		vb := executor.Block{Miner: h.Miner, WinCount: win}
		add := func(raw []byte) error {
			if _, err := vm.DecodeBlockMessage(raw); err != nil {
				return err
			}
			sb.Messages = append(sb.Messages, raw)
			vb.Messages = append(vb.Messages, raw)
			return nil
		}
		for i, m := range bm.BlsMessages {
			raw, err := m.Serialize()
			if err == nil {
				err = add(raw)
			}
			if err != nil {
				return st, nil, fmt.Errorf("block %s: bls message %d: %w", c, i, err)
			}
		}
		for i, sm := range bm.SecpkMessages {
			raw, err := sm.Bytes()
			if err == nil {
				err = add(raw)
			}
			if err != nil {
				return st, nil, fmt.Errorf("block %s: secpk message %d: %w", c, i, err)
			}
		}
		st.Blocks = append(st.Blocks, sb)
		out = append(out, vb)
	}
	return st, out, nil
}

func bigOf(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(b)
}

// child returns the tipset whose header commits to ts's results: the next
// tipset of the range, or the source's next tipset after the range.
func (e *Extractor) child(ctx context.Context, ts *chain.TipSet, tss []*chain.TipSet, i int) (*chain.TipSet, error) {
	if i+1 < len(tss) {
		return tss[i+1], nil
	}
	head, err := e.src.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	if head.Height() <= ts.Height() {
		return nil, fmt.Errorf("no tipset after %d on the source's chain commits to its results", ts.Height())
	}
	next, err := e.src.TipSetAfterHeight(ctx, ts.Height()+1, head.Key())
	if err != nil {
		return nil, fmt.Errorf("tipset after %d: %w", ts.Height(), err)
	}
	if next.Parents() != ts.Key() {
		return nil, fmt.Errorf("the source's tipset after %d is not its child (a fork?)", ts.Height())
	}
	return next, nil
}

// compareWithChain checks a replayed tipset against what its child's
// header commits to: the state root and the receipts root, naming the
// first differing receipt when the roots differ.
func (e *Extractor) compareWithChain(ctx context.Context, ts, child *chain.TipSet, res *executor.TipsetResult) string {
	var out []string
	if res.PostRoot != child.ParentState() {
		out = append(out, fmt.Sprintf("state root: chain %s, replay %s", child.ParentState(), res.PostRoot))
	}
	if res.ReceiptsRoot != child.ParentReceipts() {
		line := fmt.Sprintf("receipts root: chain %s, replay %s", child.ParentReceipts(), res.ReceiptsRoot)
		if rs, err := e.src.ParentReceipts(ctx, child.Cids()[0]); err == nil {
			var explicit []executor.Applied
			for _, a := range res.Applied {
				if a.Kind == executor.Explicit {
					explicit = append(explicit, a)
				}
			}
			for i := 0; i < len(rs) && i < len(explicit); i++ {
				if mm := receiptMismatch(rs[i], explicit[i].Receipt, explicit[i].Error); mm != "" {
					line += fmt.Sprintf("; message %d (%s): %s", i, explicit[i].MessageCID, mm)
					break
				}
			}
			if len(rs) != len(explicit) {
				line += fmt.Sprintf("; the chain executed %d messages, the replay %d", len(rs), len(explicit))
			}
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "; ")
}
