package extract

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// Precursor selections: which messages executed before the target in its
// tipset are applied to the state first.
const (
	// PrecursorsAll applies every earlier message of the tipset: exact.
	PrecursorsAll = "all"
	// PrecursorsSender applies only the sender's earlier messages (Lotus's
	// default): usually enough, since other senders rarely affect it.
	PrecursorsSender = "sender"
	// PrecursorsParticipants applies earlier messages sent by or to the
	// target's sender or receiver (addresses compared as written).
	PrecursorsParticipants = "participants"
)

// State retention policies for message vectors.
const (
	// RetainAccessedCids keeps exactly the blocks the replay read or wrote.
	RetainAccessedCids = "accessed-cids"
	// RetainAccessedActors keeps a state tree masked down to the actors
	// the replay looked up (plus init, reward and burnt funds), each with
	// its whole state.
	RetainAccessedActors = "accessed-actors"
)

// MessageRequest asks for one message vector.
type MessageRequest struct {
	// Message is the message's CID (unsigned, or signed for secp256k1).
	Message cid.Cid
	// Block optionally names a block that included the message, which
	// saves searching the chain for it.
	Block cid.Cid
	// Precursors is PrecursorsSender (default), PrecursorsAll or
	// PrecursorsParticipants.
	Precursors string
	// Retain is RetainAccessedCids (default) or RetainAccessedActors.
	Retain string
	// ID is the vector's _meta.id (default: "msg-<cid>").
	ID string
	// IgnoreSanityChecks writes the vector even if the replayed receipt
	// differs from the chain's (the vector then holds the replay's).
	IgnoreSanityChecks bool
}

// MessageResult is an extracted message vector and how it was made.
type MessageResult struct {
	Vector      *schema.Vector
	Inclusion   *chain.TipSet
	Execution   *chain.TipSet
	Precursors  int
	ChainResult *chain.MessageReceipt
	// Mismatch describes how the replay differed from the chain when the
	// sanity check was ignored ("" when they agree).
	Mismatch string
}

// Message extracts one message vector.
func (e *Extractor) Message(ctx context.Context, req MessageRequest) (*MessageResult, error) {
	defer e.holdPolicy()()
	if !req.Message.Defined() {
		return nil, errors.New("extract message: no message CID")
	}
	switch req.Precursors {
	case "":
		req.Precursors = PrecursorsSender
	case PrecursorsAll, PrecursorsSender, PrecursorsParticipants:
	default:
		return nil, fmt.Errorf("extract message: unknown precursor selection %q (want %s, %s or %s)", req.Precursors, PrecursorsSender, PrecursorsAll, PrecursorsParticipants)
	}
	switch req.Retain {
	case "":
		req.Retain = RetainAccessedCids
	case RetainAccessedCids, RetainAccessedActors:
	default:
		return nil, fmt.Errorf("extract message: unknown state retention %q (want %s or %s)", req.Retain, RetainAccessedCids, RetainAccessedActors)
	}
	if req.ID == "" {
		req.ID = "msg-" + req.Message.String()
	}

	msg, err := e.src.Message(ctx, req.Message)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	incl, exec, err := e.locate(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	e.cfg.log.Logf("message %s: included at %d %s, executed by %d %s", req.Message, incl.Height(), incl.Key(), exec.Height(), exec.Key())

	executed, err := e.src.ParentMessages(ctx, exec.Cids()[0])
	if err != nil {
		return nil, fmt.Errorf("extract message %s: executed messages: %w", req.Message, err)
	}
	receipts, err := e.src.ParentReceipts(ctx, exec.Cids()[0])
	if err != nil {
		return nil, fmt.Errorf("extract message %s: receipts: %w", req.Message, err)
	}
	if len(receipts) != len(executed) {
		return nil, fmt.Errorf("extract message %s: %d receipts for %d executed messages", req.Message, len(receipts), len(executed))
	}
	target := -1
	for i, pm := range executed {
		if pm.Cid == req.Message {
			target = i
			break
		}
		if c, err := pm.Message.Cid(); err == nil && c == req.Message {
			target = i
			break
		}
	}
	if target < 0 {
		return nil, fmt.Errorf("extract message %s: not among the %d messages tipset %d executed", req.Message, len(executed), incl.Height())
	}
	lengths, err := e.chainLengths(ctx, incl)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}

	epoch := incl.Height()
	nv, err := e.src.NetworkVersion(ctx, epoch)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	cs, knownCS, err := e.circSupply(ctx, incl.Key(), schema.ClassMessage)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: circulating supply: %w", req.Message, err)
	}
	bs := newStore(e.src)
	root := incl.ParentState()
	precursors := selectPrecursors(req.Precursors, executed[:target], msg)
	for _, pm := range precursors {
		if _, ok := lengths[pm.Cid]; !ok {
			return nil, fmt.Errorf("extract message %s: precursor %s is in no block of tipset %d", req.Message, pm.Cid, incl.Height())
		}
		raw, err := pm.Message.Serialize()
		if err != nil {
			return nil, fmt.Errorf("extract message %s: precursor %s: %w", req.Message, pm.Cid, err)
		}
		res, err := e.cfg.exec.ApplyMessage(ctx, &executor.Message{
			Params: e.params(bs, nv, cs, chain.NewRand(e.src, incl.Key())),
			Root:   root, Epoch: epoch, BaseFee: incl.ParentBaseFee(), Bytes: raw,
		})
		if err != nil {
			return nil, fmt.Errorf("extract message %s: precursor %s: %w", req.Message, pm.Cid, err)
		}
		root = res.PostRoot
	}
	e.cfg.log.Logf("message %s: %d precursor(s) (%s), base state %s", req.Message, len(precursors), req.Precursors, root)

	vmsg, err := toVM(msg)
	if err != nil {
		return nil, err
	}
	// The runner prices inclusion from the message alone; the chain from
	// the bytes the block stored. They agree unless a secp256k1 message
	// names its sender by ID, which the sanity check then reports.
	runnerLen, err := vmsg.ChainLength()
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	if n := lengths[executed[target].Cid]; n != runnerLen {
		e.cfg.log.Logf("message %s: the chain stored %d bytes, a runner prices %d", req.Message, n, runnerLen)
	}

	raw, err := vmsg.Serialize()
	if err != nil {
		return nil, err
	}
	rec := newRandRecords()
	replay := func(pre cid.Cid) (*executor.MessageResult, cid.Cid, error) {
		res, err := e.cfg.exec.ApplyMessage(ctx, &executor.Message{
			Params: e.params(bs, nv, cs, rec.forTipset(e.src, incl.Key(), e.cfg.beaconRound)),
			Root:   pre, Epoch: epoch, BaseFee: incl.ParentBaseFee(), Bytes: raw,
		})
		if err != nil {
			return nil, cid.Undef, err
		}
		return res, res.PostRoot, nil
	}

	bs.startTrace()
	res, post, err := replay(root)
	traced := bs.stopTrace()
	if err != nil {
		return nil, fmt.Errorf("extract message %s: replay: %w", req.Message, err)
	}
	out := &MessageResult{Inclusion: incl, Execution: exec, Precursors: len(precursors), ChainResult: receipts[target]}
	if mm := receiptMismatch(receipts[target], res.Receipt, res.Error); mm != "" {
		if !req.IgnoreSanityChecks {
			return nil, fmt.Errorf("extract message %s: %w: %s", req.Message, ErrSanity, mm)
		}
		e.cfg.log.Logf("message %s: receipt sanity check failed, kept anyway: %s", req.Message, mm)
		out.Mismatch = mm
	}

	pre, blks := root, traced
	if req.Retain == RetainAccessedActors {
		full := res
		for _, wide := range []bool{false, true} {
			pre, err = e.maskedState(ctx, bs, root, post, traced, vmsg, wide)
			if err != nil {
				return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
			}
			rec = newRandRecords()
			res, post, err = replay(pre)
			if err != nil {
				return nil, fmt.Errorf("extract message %s: replay on masked state: %w", req.Message, err)
			}
			if res.ExitCode == full.ExitCode && res.GasUsed == full.GasUsed && string(res.Return) == string(full.Return) {
				break
			}
			e.cfg.log.Logf("message %s: the masked state changes the outcome; keeping every candidate actor", req.Message)
		}
		if mm := receiptMismatch(receipts[target], res.Receipt, res.Error); mm != "" && out.Mismatch == "" {
			if !req.IgnoreSanityChecks {
				return nil, fmt.Errorf("extract message %s: on the masked state: %w: %s", req.Message, ErrSanity, mm)
			}
			out.Mismatch = "masked state: " + mm
		}
		if blks, err = dagBlocks(ctx, bs, pre, post); err != nil {
			return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
		}
	}
	car, err := vectorCAR(ctx, e.cfg.tempDir, []cid.Cid{pre, post}, blks)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	v, err := e.messageVector(ctx, req.ID, e.gen(
		"message:"+req.Message.String(),
		"inclusion_tipset:"+incl.Key().String(),
		"execution_tipset:"+exec.Key().String(),
		"precursors:"+req.Precursors,
		"state_retention:"+req.Retain,
	), car, rec, nv, epoch, incl.ParentBaseFee(), cs, knownCS, raw, pre, post, res.Receipt)
	if err != nil {
		return nil, err
	}
	out.Vector = v
	return out, nil
}

// locate finds the tipset that included the message and its child, whose
// header commits to the message's receipt.
func (e *Extractor) locate(ctx context.Context, req MessageRequest) (incl, exec *chain.TipSet, err error) {
	if req.Block.Defined() {
		h, err := e.src.BlockHeader(ctx, req.Block)
		if err != nil {
			return nil, nil, fmt.Errorf("inclusion block: %w", err)
		}
		exec, err = e.src.TipSetAfterHeight(ctx, h.Height+1, chain.EmptyTipSetKey)
		if err != nil {
			return nil, nil, fmt.Errorf("tipset after inclusion block at %d: %w", h.Height, err)
		}
		incl, err = e.src.TipSet(ctx, exec.Parents())
		if err != nil {
			return nil, nil, fmt.Errorf("inclusion tipset: %w", err)
		}
		for _, c := range incl.Cids() {
			if c == req.Block {
				return incl, exec, nil
			}
		}
		return nil, nil, fmt.Errorf("block %s at %d is not on the source's chain (the tipset there is %s)", req.Block, h.Height, incl.Key())
	}
	look, err := e.src.SearchMessage(ctx, chain.EmptyTipSetKey, req.Message, chain.LookbackNoLimit, false)
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	if look == nil {
		return nil, nil, errors.New("not found on the source's chain (or not executed yet)")
	}
	if exec, err = e.src.TipSet(ctx, look.TipSet); err != nil {
		return nil, nil, fmt.Errorf("execution tipset: %w", err)
	}
	if incl, err = e.src.TipSet(ctx, exec.Parents()); err != nil {
		return nil, nil, fmt.Errorf("inclusion tipset: %w", err)
	}
	return incl, exec, nil
}

// chainLengths maps the CID the chain knows each message of ts by to the
// size its block stored it at (signed form for secp256k1 messages).
func (e *Extractor) chainLengths(ctx context.Context, ts *chain.TipSet) (map[cid.Cid]int, error) {
	out := map[cid.Cid]int{}
	for _, b := range ts.Cids() {
		bm, err := e.src.BlockMessages(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("messages of block %s: %w", b, err)
		}
		for i, m := range bm.BlsMessages {
			raw, err := m.Serialize()
			if err != nil {
				return nil, err
			}
			out[bm.Cids[i]] = len(raw)
		}
		for i, sm := range bm.SecpkMessages {
			raw, err := sm.Bytes()
			if err != nil {
				return nil, err
			}
			out[bm.Cids[len(bm.BlsMessages)+i]] = len(raw)
		}
	}
	return out, nil
}

func selectPrecursors(mode string, earlier []chain.ParentMessage, target *chain.Message) []chain.ParentMessage {
	var out []chain.ParentMessage
	involved := func(a address.Address) bool { return a == target.From || a == target.To }
	for _, pm := range earlier {
		switch mode {
		case PrecursorsAll:
			out = append(out, pm)
		case PrecursorsSender:
			if pm.Message.From == target.From {
				out = append(out, pm)
			}
		case PrecursorsParticipants:
			if involved(pm.Message.From) || involved(pm.Message.To) {
				out = append(out, pm)
			}
		}
	}
	return out
}

// toVM returns a copy of a chain message for the VM to run (chain and VM
// share the type), refusing a version the VM's decoder refuses.
func toVM(m *chain.Message) (*vm.Message, error) {
	if m.Version != vm.MessageVersion {
		return nil, fmt.Errorf("message for the VM: version %d, want %d", m.Version, vm.MessageVersion)
	}
	c := *m
	return &c, nil
}

// receiptMismatch names the first way a replayed receipt differs from the
// chain's; actorErr is the replay's description of a non-zero exit code.
func receiptMismatch(want *chain.MessageReceipt, got executor.Receipt, actorErr string) string {
	switch {
	case want.ExitCode != got.ExitCode:
		return fmt.Sprintf("exit code: chain %d, replay %d (%s)", want.ExitCode, got.ExitCode, actorErr)
	case string(want.Return) != string(got.Return):
		return fmt.Sprintf("return value: chain %x, replay %x", want.Return, got.Return)
	case want.GasUsed != got.GasUsed:
		return fmt.Sprintf("gas used: chain %d, replay %d", want.GasUsed, got.GasUsed)
	}
	return ""
}

// messageVector assembles and checks the vector of one message applied at
// epoch on pre, the shape extraction and simulation both record: one
// variant, the message's own bytes, its receipt and the post root.
func (e *Extractor) messageVector(ctx context.Context, id string, gen []schema.GenerationData, car []byte, rec *randRecords,
	nv network.Version, epoch abi.ChainEpoch, baseFee abi.TokenAmount, cs abi.TokenAmount, knownCS bool,
	raw []byte, pre, post cid.Cid, r executor.Receipt) (*schema.Vector, error) {
	v := &schema.Vector{}
	v.Class = schema.ClassMessage
	v.Selector = e.selector()
	v.Meta = &schema.Metadata{ID: id, Gen: gen}
	v.CAR = car
	v.Randomness = rec.records()
	v.Pre = &schema.Preconditions{
		Variants:  []schema.Variant{{ID: codename(nv, epoch), Epoch: int64(epoch), NetworkVersion: uint(nv)}},
		StateTree: &schema.StateTree{RootCID: pre},
		BaseFee:   baseFee.Int,
	}
	if knownCS {
		v.Pre.CircSupply = cs.Int
	}
	v.ApplyMessages = []schema.Message{{Bytes: raw}}
	v.Post = &schema.Postconditions{
		StateTree: &schema.StateTree{RootCID: post},
		Receipts:  []*schema.Receipt{{ExitCode: int64(r.ExitCode), ReturnValue: r.Return, GasUsed: r.GasUsed}},
	}
	if err := e.check(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}
