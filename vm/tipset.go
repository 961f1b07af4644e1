package vm

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"

	"github.com/tvx-project/tvx/migration"
	"github.com/tvx-project/tvx/protocol"
)

// BlockMessage is a message as a block stores it.
type BlockMessage struct {
	Message *Message
	// ChainLength is the size the message takes in the block (signature
	// included for secp256k1 messages), which prices its inclusion.
	ChainLength int
}

// DecodeBlockMessage decodes a message as a block or a vector carries it:
// either a bare message or a signed one (the CBOR pair [message,
// signature]). A bare message from a secp256k1 sender is priced as if it
// were signed, since that is how the chain would have stored it.
func DecodeBlockMessage(b []byte) (BlockMessage, error) {
	if len(b) > 0 && b[0] == 0x82 { // a CBOR array of two: a signed message
		msg, err := decodeSignedMessage(b)
		if err != nil {
			return BlockMessage{}, err
		}
		return BlockMessage{Message: msg, ChainLength: len(b)}, nil
	}
	msg, err := DecodeMessage(b)
	if err != nil {
		return BlockMessage{}, err
	}
	n, err := msg.ChainLength()
	if err != nil {
		return BlockMessage{}, fmt.Errorf("size message: %w", err)
	}
	return BlockMessage{Message: msg, ChainLength: n}, nil
}

// decodeSignedMessage reads [message, signature] and returns the message;
// signatures are checked when blocks are validated, not when they execute.
func decodeSignedMessage(b []byte) (*Message, error) {
	r := bytes.NewReader(b)
	br := cbg.GetPeeker(r)
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil || maj != cbg.MajArray || n != 2 {
		return nil, fmt.Errorf("decode signed message: want a pair [message, signature]")
	}
	var msg Message
	if err := msg.UnmarshalCBOR(br); err != nil {
		return nil, fmt.Errorf("decode signed message: message: %w", err)
	}
	maj, n, err = cbg.CborReadHeader(br)
	if err != nil || maj != cbg.MajByteString || n == 0 || n > cbg.ByteArrayMaxLen {
		return nil, fmt.Errorf("decode signed message: signature is not a non-empty byte string")
	}
	if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
		return nil, fmt.Errorf("decode signed message: signature: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode signed message: %d trailing bytes", r.Len())
	}
	return &msg, nil
}

// TipsetBlock is what executing a tipset needs from one of its blocks.
type TipsetBlock struct {
	Miner    address.Address
	WinCount int64
	// BLSMessages (stored bare, their signatures aggregated in the header)
	// are applied before SecpMessages (stored signed).
	BLSMessages  []BlockMessage
	SecpMessages []BlockMessage
}

// Tipset is a tipset to execute on top of its parent's state.
type Tipset struct {
	// ParentState is the state root the parent tipset left.
	ParentState cid.Cid
	// ParentEpoch is the epoch of the parent tipset. Every epoch strictly
	// between it and Epoch is a null round, in which only cron runs.
	ParentEpoch abi.ChainEpoch
	Epoch       abi.ChainEpoch
	Blocks      []TipsetBlock
}

// AppliedKind says why a message was applied in a tipset.
type AppliedKind int

// Kinds of applied messages.
const (
	// AppliedExplicit is a message a block included.
	AppliedExplicit AppliedKind = iota
	// AppliedReward is the reward actor's payment to a block's miner.
	AppliedReward
	// AppliedCron is the cron tick ending an epoch (a null round's or the
	// tipset's own).
	AppliedCron
)

func (k AppliedKind) String() string {
	switch k {
	case AppliedExplicit:
		return "message"
	case AppliedReward:
		return "reward"
	case AppliedCron:
		return "cron"
	}
	return fmt.Sprintf("AppliedKind(%d)", int(k))
}

// AppliedMessage is one message applied while executing a tipset.
type AppliedMessage struct {
	Kind  AppliedKind
	Epoch abi.ChainEpoch
	// Block is the index of the block that included the message or whose
	// miner the reward pays; -1 for cron.
	Block int
	// Cid is the CID of the unsigned message.
	Cid     cid.Cid
	Message *Message
	Result  *ApplyResult
}

// TipsetResult is the outcome of executing a tipset.
type TipsetResult struct {
	StateRoot cid.Cid
	// ReceiptsRoot is the root of the AMT of the explicit messages'
	// receipts, in the order they were applied.
	ReceiptsRoot cid.Cid
	// Applied lists every message applied, in order: null-round crons, then
	// per block its new messages followed by its reward, then the cron.
	Applied []AppliedMessage
	// Migrations are the state migrations run before the tipset's
	// messages, in order (see ApplyTipset).
	Migrations []migration.Step
}

// Explicit returns the explicit messages among Applied, in order.
func (r *TipsetResult) Explicit() []AppliedMessage {
	var out []AppliedMessage
	for _, a := range r.Applied {
		if a.Kind == AppliedExplicit {
			out = append(out, a)
		}
	}
	return out
}

// ApplyTipset executes ts on bs. cfg configures the machine of every epoch
// run (its Epoch is replaced by each epoch's own; the price list, unless
// cfg fixes one, follows the epoch).
//
// A tipset of the protocol table's own chain (protocol.Table.FollowsSchedule:
// cfg.OnChain and the network ran cfg.NetworkVersion at ts.Epoch) runs as
// the chain ran it: each null round under the version the table gives its
// epoch, and at the end of every upgrade height H with ParentEpoch <= H <
// Epoch whose row carries a migration, after H's cron, the state migrates
// (package migration), so the tipset's own messages see the new actors; a
// state that already runs the upgrade's actors version (made off-chain at
// that height) is left as it is.
// Any other tipset runs every epoch, null rounds included, under
// cfg.NetworkVersion and migrates nothing: the caller chose the protocol.
//
// Each null round runs cron on its own machine. The tipset's blocks then run
// on one machine: each block's messages not seen before in the tipset (by
// unsigned-message CID), then the block's reward carrying the tips and
// penalties of exactly those messages; cron closes the epoch. A message the
// chain could not have included and any failure of an implicit message are
// errors: the tipset has no valid outcome.
func ApplyTipset(ctx context.Context, bs Blockstore, ts Tipset, cfg Config) (*TipsetResult, error) {
	if ts.Epoch < ts.ParentEpoch {
		return nil, fmt.Errorf("tipset epoch %d precedes its parent's epoch %d", ts.Epoch, ts.ParentEpoch)
	}
	res := &TipsetResult{}
	table := cfg.Protocol
	if table == nil {
		table = protocol.Mainnet()
	}
	follow := table.FollowsSchedule(cfg.NetworkVersion, ts.Epoch, cfg.OnChain)
	root := ts.ParentState
	for e := ts.ParentEpoch; e < ts.Epoch; e++ {
		if e > ts.ParentEpoch {
			nullCfg := cfg
			if follow {
				nullCfg.NetworkVersion = table.AtEpoch(e).Version
			}
			next, applied, err := runNullRound(ctx, bs, root, e, nullCfg)
			if err != nil {
				return nil, err
			}
			root = next
			res.Applied = append(res.Applied, applied)
		}
		if !follow {
			continue
		}
		if u, ok := table.MigrationAt(e); ok {
			need, err := migration.Needed(ctx, bs, root, u)
			if err != nil {
				return nil, fmt.Errorf("state migration at the end of epoch %d: %w", e, err)
			}
			if !need {
				if cfg.Logger != nil {
					cfg.Logger.Logf("state at the end of epoch %d already runs %s's actors v%d; not migrated", e, u.Codename, u.ActorsVersion)
				}
				continue
			}
			st, err := migration.Apply(ctx, bs, root, u, e, migration.Options{})
			if err != nil {
				return nil, fmt.Errorf("state migration at the end of epoch %d: %w", e, err)
			}
			if cfg.Logger != nil {
				cfg.Logger.Logf("migrated the state at the end of epoch %d (%s, %s): %s -> %s, %d actors", e, u.Codename, u.Migration, st.In, st.Out, st.Actors)
			}
			root = st.Out
			res.Migrations = append(res.Migrations, st)
		}
	}

	cfg.Epoch = ts.Epoch
	m, err := New(ctx, bs, root, cfg)
	if err != nil {
		return nil, fmt.Errorf("start VM at epoch %d: %w", ts.Epoch, err)
	}
	var receipts []receipt
	seen := make(map[cid.Cid]bool)
	for bi, blk := range ts.Blocks {
		penalty, tips := big.Zero(), big.Zero()
		for _, list := range [][]BlockMessage{blk.BLSMessages, blk.SecpMessages} {
			for _, bm := range list {
				c, err := MessageCID(bm.Message)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", bi, err)
				}
				if seen[c] {
					continue
				}
				r, err := m.ApplyMessage(ctx, bm.Message, bm.ChainLength)
				if err != nil {
					return nil, fmt.Errorf("block %d: message %s: %w", bi, c, err)
				}
				seen[c] = true
				receipts = append(receipts, receipt{code: r.ExitCode, ret: r.Return, gas: r.GasUsed})
				penalty = big.Add(penalty, r.Outputs.MinerPenalty)
				tips = big.Add(tips, r.Outputs.MinerTip)
				res.Applied = append(res.Applied, AppliedMessage{
					Kind: AppliedExplicit, Epoch: ts.Epoch, Block: bi, Cid: c, Message: bm.Message, Result: r,
				})
			}
		}
		msg, err := RewardMessage(ts.Epoch, blk.Miner, penalty, tips, blk.WinCount)
		if err != nil {
			return nil, err
		}
		r, err := m.applySystemMessage(ctx, msg, fmt.Sprintf("block reward for miner %s (block %d)", blk.Miner, bi))
		if err != nil {
			return nil, err
		}
		applied, err := appliedImplicit(AppliedReward, ts.Epoch, bi, msg, r)
		if err != nil {
			return nil, err
		}
		res.Applied = append(res.Applied, applied)
	}
	cron := CronMessage(ts.Epoch)
	r, err := m.applySystemMessage(ctx, cron, "cron")
	if err != nil {
		return nil, err
	}
	applied, err := appliedImplicit(AppliedCron, ts.Epoch, -1, cron, r)
	if err != nil {
		return nil, err
	}
	res.Applied = append(res.Applied, applied)

	if res.ReceiptsRoot, err = receiptsRoot(ctx, bs, receipts); err != nil {
		return nil, err
	}
	if res.StateRoot, err = m.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush state at epoch %d: %w", ts.Epoch, err)
	}
	return res, nil
}

// runNullRound runs the cron of a null round at epoch on root.
func runNullRound(ctx context.Context, bs Blockstore, root cid.Cid, epoch abi.ChainEpoch, cfg Config) (cid.Cid, AppliedMessage, error) {
	cfg.Epoch = epoch
	m, err := New(ctx, bs, root, cfg)
	if err != nil {
		return cid.Undef, AppliedMessage{}, fmt.Errorf("start VM for null round %d: %w", epoch, err)
	}
	cron := CronMessage(epoch)
	r, err := m.applySystemMessage(ctx, cron, "null-round cron")
	if err != nil {
		return cid.Undef, AppliedMessage{}, err
	}
	next, err := m.Flush(ctx)
	if err != nil {
		return cid.Undef, AppliedMessage{}, fmt.Errorf("flush state after null round %d: %w", epoch, err)
	}
	applied, err := appliedImplicit(AppliedCron, epoch, -1, cron, r)
	return next, applied, err
}

func appliedImplicit(kind AppliedKind, epoch abi.ChainEpoch, block int, msg *Message, r *ApplyResult) (AppliedMessage, error) {
	c, err := MessageCID(msg)
	if err != nil {
		return AppliedMessage{}, err
	}
	return AppliedMessage{Kind: kind, Epoch: epoch, Block: block, Cid: c, Message: msg, Result: r}, nil
}

// MessageCID returns the CID of the unsigned message: the identity under
// which a tipset applies a message at most once, whichever blocks (and
// whether bare or signed) include it.
func MessageCID(msg *Message) (cid.Cid, error) { return msg.Cid() }

// receipt is a message receipt as the receipts AMT stores it: the tuple
// [exit code, return value, gas used].
type receipt struct {
	code exitcode.ExitCode
	ret  []byte
	gas  int64
}

func (r *receipt) MarshalCBOR(w io.Writer) error {
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 3); err != nil {
		return err
	}
	if err := writeInt64(w, int64(r.code)); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajByteString, uint64(len(r.ret))); err != nil {
		return err
	}
	if _, err := w.Write(r.ret); err != nil {
		return err
	}
	return writeInt64(w, r.gas)
}

// receiptsRoot stores the receipts in an AMT and returns its root. Every
// pre-FVM network version uses the same layout for it, that of the first
// actors version's arrays, whatever actors version is in force.
func receiptsRoot(ctx context.Context, bs Blockstore, receipts []receipt) (cid.Cid, error) {
	arr := adt0.MakeEmptyArray(adt0.WrapStore(ctx, ipldcbor.NewCborStore(bs)))
	for i := range receipts {
		if err := arr.Set(uint64(i), &receipts[i]); err != nil {
			return cid.Undef, fmt.Errorf("receipts AMT: set receipt %d: %w", i, err)
		}
	}
	c, err := arr.Root()
	if err != nil {
		return cid.Undef, fmt.Errorf("receipts AMT: %w", err)
	}
	return c, nil
}

// writeInt64 writes a CBOR integer of either sign.
func writeInt64(w io.Writer, v int64) error {
	if v >= 0 {
		return cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, uint64(v))
	}
	return cbg.WriteMajorTypeHeader(w, cbg.MajNegativeInt, uint64(-v-1))
}
