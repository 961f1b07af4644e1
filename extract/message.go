package extract

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
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

// Message extracts one message vector: it finds where the chain executed
// the message, replays the chosen precursors and then the message on the
// inclusion tipset's parent state, checks the receipt against the chain's,
// keeps the state the retention policy asks for, and assembles the vector.
func (e *Extractor) Message(ctx context.Context, req MessageRequest) (*MessageResult, error) {
	defer e.holdPolicy()()
	if err := req.normalize(); err != nil {
		return nil, fmt.Errorf("extract message: %w", err)
	}
	site, err := e.findExecution(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	run, err := e.messageRun(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	base, n, err := e.applyPrecursors(ctx, run, site, req.Precursors)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	e.cfg.log.Logf("message %s: %d precursor(s) (%s), base state %s", req.Message, n, req.Precursors, base)
	raw, err := e.targetBytes(site)
	if err != nil {
		return nil, err
	}

	run.bs.startTrace()
	full, err := e.replayTarget(ctx, run, site, base, raw)
	traced := run.bs.stopTrace()
	if err != nil {
		return nil, fmt.Errorf("extract message %s: replay: %w", req.Message, err)
	}
	out := &MessageResult{Inclusion: site.incl, Execution: site.exec, Precursors: n, ChainResult: site.receipt()}
	if mm := receiptMismatch(site.receipt(), full.res.Receipt, full.res.Error); mm != "" {
		if !req.IgnoreSanityChecks {
			return nil, fmt.Errorf("extract message %s: %w: %s", req.Message, ErrSanity, mm)
		}
		e.cfg.log.Logf("message %s: receipt sanity check failed, kept anyway: %s", req.Message, mm)
		out.Mismatch = mm
	}

	kept, err := e.retain(ctx, req, run, site, base, raw, full, traced, out)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	car, err := vectorCAR(ctx, e.cfg.tempDir, []cid.Cid{kept.pre, kept.replay.post}, kept.blocks)
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", req.Message, err)
	}
	v, err := e.messageVector(ctx, req.ID, e.gen(
		"message:"+req.Message.String(),
		"inclusion_tipset:"+site.incl.Key().String(),
		"execution_tipset:"+site.exec.Key().String(),
		"precursors:"+req.Precursors,
		"state_retention:"+req.Retain,
	), car, kept.replay.rec, run.nv, run.epoch, site.incl.ParentBaseFee(), run.cs, run.knownCS, raw, kept.pre, kept.replay.post, kept.replay.res.Receipt)
	if err != nil {
		return nil, err
	}
	out.Vector = v
	return out, nil
}

// normalize checks a request and fills in its defaults.
func (req *MessageRequest) normalize() error {
	if !req.Message.Defined() {
		return errors.New("no message CID")
	}
	switch req.Precursors {
	case "":
		req.Precursors = PrecursorsSender
	case PrecursorsAll, PrecursorsSender, PrecursorsParticipants:
	default:
		return fmt.Errorf("unknown precursor selection %q (want %s, %s or %s)", req.Precursors, PrecursorsSender, PrecursorsAll, PrecursorsParticipants)
	}
	switch req.Retain {
	case "":
		req.Retain = RetainAccessedCids
	case RetainAccessedCids, RetainAccessedActors:
	default:
		return fmt.Errorf("unknown state retention %q (want %s or %s)", req.Retain, RetainAccessedCids, RetainAccessedActors)
	}
	if req.ID == "" {
		req.ID = "msg-" + req.Message.String()
	}
	return nil
}

// messageSite is where the chain executed a message: the tipset that
// included it, the child that executed it, everything that child's header
// commits to having executed, and the message's place among them.
type messageSite struct {
	cid        cid.Cid
	msg        *chain.Message
	incl, exec *chain.TipSet
	executed   []chain.ParentMessage
	receipts   []*chain.MessageReceipt
	target     int
	// lengths are the stored sizes of the inclusion tipset's messages,
	// by the CID the chain knows each by.
	lengths map[cid.Cid]int
}

func (s *messageSite) receipt() *chain.MessageReceipt { return s.receipts[s.target] }

// findExecution reads the message and where the source's chain executed
// it.
func (e *Extractor) findExecution(ctx context.Context, req MessageRequest) (*messageSite, error) {
	msg, err := e.src.Message(ctx, req.Message)
	if err != nil {
		return nil, err
	}
	incl, exec, err := e.locate(ctx, req)
	if err != nil {
		return nil, err
	}
	e.cfg.log.Logf("message %s: included at %d %s, executed by %d %s", req.Message, incl.Height(), incl.Key(), exec.Height(), exec.Key())

	site := &messageSite{cid: req.Message, msg: msg, incl: incl, exec: exec, target: -1}
	if site.executed, err = e.src.ParentMessages(ctx, exec.Cids()[0]); err != nil {
		return nil, fmt.Errorf("executed messages: %w", err)
	}
	if site.receipts, err = e.src.ParentReceipts(ctx, exec.Cids()[0]); err != nil {
		return nil, fmt.Errorf("receipts: %w", err)
	}
	if len(site.receipts) != len(site.executed) {
		return nil, fmt.Errorf("%d receipts for %d executed messages", len(site.receipts), len(site.executed))
	}
	for i, pm := range site.executed {
		if pm.Cid == req.Message {
			site.target = i
			break
		}
		if c, err := pm.Message.Cid(); err == nil && c == req.Message {
			site.target = i
			break
		}
	}
	if site.target < 0 {
		return nil, fmt.Errorf("not among the %d messages tipset %d executed", len(site.executed), incl.Height())
	}
	if site.lengths, err = e.chainLengths(ctx, incl); err != nil {
		return nil, err
	}
	return site, nil
}

// messageRun is the setting every replay of one extraction shares: the
// recording blockstore and the chain's protocol parameters at inclusion.
type messageRun struct {
	bs      *store
	epoch   abi.ChainEpoch
	nv      network.Version
	cs      abi.TokenAmount
	knownCS bool
}

func (e *Extractor) messageRun(ctx context.Context, site *messageSite) (*messageRun, error) {
	run := &messageRun{epoch: site.incl.Height()}
	var err error
	if run.nv, err = e.src.NetworkVersion(ctx, run.epoch); err != nil {
		return nil, err
	}
	if run.cs, run.knownCS, err = e.circSupply(ctx, site.incl.Key(), schema.ClassMessage); err != nil {
		return nil, fmt.Errorf("circulating supply: %w", err)
	}
	run.bs = newStore(e.src)
	return run, nil
}

// applyPrecursors applies the selected earlier messages of the tipset to
// its parent state, returning the state the message runs on and how many
// were applied.
func (e *Extractor) applyPrecursors(ctx context.Context, run *messageRun, site *messageSite, mode string) (cid.Cid, int, error) {
	root := site.incl.ParentState()
	precursors := selectPrecursors(mode, site.executed[:site.target], site.msg)
	for _, pm := range precursors {
		if _, ok := site.lengths[pm.Cid]; !ok {
			return cid.Undef, 0, fmt.Errorf("precursor %s is in no block of tipset %d", pm.Cid, site.incl.Height())
		}
		raw, err := pm.Message.Serialize()
		if err != nil {
			return cid.Undef, 0, fmt.Errorf("precursor %s: %w", pm.Cid, err)
		}
		res, err := e.cfg.exec.ApplyMessage(ctx, &executor.Message{
			Params: e.params(run.bs, run.nv, run.cs, chain.NewRand(e.src, site.incl.Key())),
			Root:   root, Epoch: run.epoch, BaseFee: site.incl.ParentBaseFee(), Bytes: raw,
		})
		if err != nil {
			return cid.Undef, 0, fmt.Errorf("precursor %s: %w", pm.Cid, err)
		}
		root = res.PostRoot
	}
	return root, len(precursors), nil
}

// targetBytes is the message as the vector carries it. The runner prices
// inclusion from the message alone; the chain from the bytes the block
// stored. They agree unless a secp256k1 message names its sender by ID,
// which the sanity check then reports.
func (e *Extractor) targetBytes(site *messageSite) ([]byte, error) {
	vmsg, err := toVM(site.msg)
	if err != nil {
		return nil, err
	}
	runnerLen, err := vmsg.ChainLength()
	if err != nil {
		return nil, fmt.Errorf("extract message %s: %w", site.cid, err)
	}
	if n := site.lengths[site.executed[site.target].Cid]; n != runnerLen {
		e.cfg.log.Logf("message %s: the chain stored %d bytes, a runner prices %d", site.cid, n, runnerLen)
	}
	return vmsg.Serialize()
}

// replay is one run of the target message and the randomness it drew.
type replay struct {
	res  *executor.MessageResult
	post cid.Cid
	rec  *randRecords
}

// replayTarget applies the message on pre, recording the randomness it
// draws.
func (e *Extractor) replayTarget(ctx context.Context, run *messageRun, site *messageSite, pre cid.Cid, raw []byte) (*replay, error) {
	rec := newRandRecords()
	res, err := e.cfg.exec.ApplyMessage(ctx, &executor.Message{
		Params: e.params(run.bs, run.nv, run.cs, rec.forTipset(e.src, site.incl.Key(), e.cfg.beaconRound)),
		Root:   pre, Epoch: run.epoch, BaseFee: site.incl.ParentBaseFee(), Bytes: raw,
	})
	if err != nil {
		return nil, err
	}
	return &replay{res: res, post: res.PostRoot, rec: rec}, nil
}

// retained is the state a vector keeps: its pre-state root, the replay on
// it, and the blocks its CAR holds.
type retained struct {
	pre    cid.Cid
	replay *replay
	blocks []blocks.Block
}

// retain applies the retention policy to the replay on base. Accessed
// CIDs keep what the replay touched; accessed actors mask the state down
// to the actors it looked up (every candidate actor if the narrower mask
// changes the outcome), replay on that, and keep the two states whole.
func (e *Extractor) retain(ctx context.Context, req MessageRequest, run *messageRun, site *messageSite, base cid.Cid, raw []byte, full *replay, traced []blocks.Block, out *MessageResult) (*retained, error) {
	if req.Retain != RetainAccessedActors {
		return &retained{pre: base, replay: full, blocks: traced}, nil
	}
	vmsg, err := toVM(site.msg)
	if err != nil {
		return nil, err
	}
	var (
		pre cid.Cid
		rep = full
	)
	for _, wide := range []bool{false, true} {
		if pre, err = e.maskedState(ctx, run.bs, base, rep.post, traced, vmsg, wide); err != nil {
			return nil, err
		}
		if rep, err = e.replayTarget(ctx, run, site, pre, raw); err != nil {
			return nil, fmt.Errorf("replay on masked state: %w", err)
		}
		if sameReceipt(rep.res.Receipt, full.res.Receipt) {
			break
		}
		e.cfg.log.Logf("message %s: the masked state changes the outcome; keeping every candidate actor", req.Message)
	}
	if mm := receiptMismatch(site.receipt(), rep.res.Receipt, rep.res.Error); mm != "" && out.Mismatch == "" {
		if !req.IgnoreSanityChecks {
			return nil, fmt.Errorf("on the masked state: %w: %s", ErrSanity, mm)
		}
		out.Mismatch = "masked state: " + mm
	}
	blks, err := dagBlocks(ctx, run.bs, pre, rep.post)
	if err != nil {
		return nil, err
	}
	return &retained{pre: pre, replay: rep, blocks: blks}, nil
}

func sameReceipt(a, b executor.Receipt) bool {
	return a.ExitCode == b.ExitCode && a.GasUsed == b.GasUsed && string(a.Return) == string(b.Return)
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
