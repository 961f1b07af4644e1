// Package executor states what the driver needs from a Filecoin
// implementation: apply one message, or one tipset, to a state tree kept in
// a blockstore, under the protocol parameters of one vector variant, and say
// what came of it (receipts, the post-state root and, where the
// implementation records them, gas traces).
//
// tvx's own VMs implement Executor (driver/legacy for the pre-FVM VM); so
// can a node's implementation, used as a library, or any program speaking
// the process protocol (docs/executor-protocol.md). The driver reads vectors,
// asks an Executor, and compares; it knows no other VM.
package executor

import (
	"context"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/protocol"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/trace"
	"github.com/tvx-project/tvx/networks"
)

// Executor applies messages and tipsets. One Executor may serve many runs
// at once: methods are called concurrently, each call with its own request.
//
// An error means the message or tipset has no valid outcome (the VM failed,
// a block is missing, the message could not have been included); the driver
// reports it as a failed run with the error as the reason. A result that
// merely differs from the vector's is not an error.
type Executor interface {
	// ApplyMessage applies one message on req.Root, as if it were the only
	// message of a block at req.Epoch, and returns its receipt and the
	// flushed state root.
	ApplyMessage(ctx context.Context, req *Message) (*MessageResult, error)
	// ApplyTipset executes one tipset on req.ParentRoot: the crons of the
	// null rounds between req.ParentEpoch and req.Epoch, then each block's
	// messages not seen earlier in the tipset and its reward, then the cron
	// of req.Epoch.
	ApplyTipset(ctx context.Context, req *Tipset) (*TipsetResult, error)
}

// Blockstore holds the state the executor reads and writes: the vector's
// blocks and everything earlier calls of the same run wrote.
type Blockstore interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
	Put(ctx context.Context, b blocks.Block) error
}

// Randomness draws the chain and beacon randomness actors ask for. An
// error is fatal to the call that asked.
type Randomness interface {
	ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
	BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
}

// Logger receives diagnostic lines (actor logs, proof-policy notes).
type Logger interface {
	Logf(format string, args ...any)
}

// Params are the protocol parameters of one run, the same for every call
// it makes.
type Params struct {
	// Store is the run's blockstore.
	Store Blockstore
	// NetworkVersion selects protocol behaviour. For a message, and for a
	// tipset that does not follow the chain's schedule, it holds for every
	// epoch of the call, null rounds included, and no migration runs. A
	// tipset that does (protocol.Table.FollowsSchedule: OnChain and the
	// network ran NetworkVersion at the tipset's epoch) runs as the chain
	// ran it: each null round under the version the table gives its epoch,
	// and the state migrated at the end of every upgrade height from
	// ParentEpoch up to (not including) Epoch whose row carries a
	// migration, before the tipset's messages.
	NetworkVersion network.Version
	// Protocol is the protocol table NetworkVersion is looked up in (nil:
	// mainnet's).
	Protocol *protocol.Table
	// OnChain says the vector was extracted from the Protocol table's
	// network: where an epoch lies in NetworkVersion's range on it, the
	// network's epoch-keyed rules apply; otherwise those in force when the
	// version activated (protocol.Table.Resolve).
	OnChain bool
	// Network names the network the vector comes from, as its _meta.gen
	// records it ("" when it records none).
	Network string
	// Policy is the actor policy of that network where it differs from
	// mainnet's (supported proof types, consensus minimum power,
	// pre-commit challenge delay); nil means mainnet's. tvx's Go actors
	// read it from specs-actors' process-wide variables, so an in-process
	// caller of driver/legacy holds vm/actorpolicy for it around its calls
	// (the driver and extraction do); `tvx executor serve` holds it for
	// each request it is sent.
	Policy *networks.Policy
	// CircSupply is the circulating supply actors see.
	CircSupply abi.TokenAmount
	// Rand supplies randomness.
	Rand Randomness
	// ChaosActor asks for the chaos (test) actor to be deployed: the
	// vector selects it.
	ChaosActor bool
	// Logger receives diagnostics; nil discards them.
	Logger Logger
}

// Message is one message to apply.
type Message struct {
	Params
	// Root is the state root to apply the message on.
	Root cid.Cid
	// Epoch is the epoch the message executes at.
	Epoch abi.ChainEpoch
	// BaseFee is the base fee per unit of gas.
	BaseFee abi.TokenAmount
	// Bytes is the unsigned message in its CBOR encoding, as a vector's
	// apply_messages entry carries it. It is priced for inclusion at the
	// size the chain stores it at: signed (a [message, signature] pair with
	// a 65-byte signature) for a secp256k1 sender, bare otherwise.
	Bytes []byte
	// TraceGas asks for MessageResult.Trace.
	TraceGas bool
}

// Tipset is one tipset to execute.
type Tipset struct {
	Params
	// ParentRoot is the state root the parent tipset left.
	ParentRoot cid.Cid
	// ParentEpoch is the parent tipset's epoch; every epoch strictly
	// between it and Epoch is a null round.
	ParentEpoch abi.ChainEpoch
	Epoch       abi.ChainEpoch
	// BaseFee is the tipset's base fee.
	BaseFee abi.TokenAmount
	Blocks  []Block
}

// Block is what executing a tipset needs from one of its blocks.
type Block struct {
	Miner    address.Address
	WinCount int64
	// Messages are the block's messages as a vector carries them: a bare
	// CBOR message, or a signed one (the CBOR pair [message, signature]).
	// A message from a secp256k1 sender is a signed message of the block;
	// any other is one of its BLS messages, which run first.
	Messages [][]byte
}

// Receipt is the receipt of one applied message.
type Receipt struct {
	ExitCode exitcode.ExitCode
	Return   []byte
	GasUsed  int64
}

// MessageResult is what applying one message came to.
type MessageResult struct {
	Receipt
	// PostRoot is the state root after the message.
	PostRoot cid.Cid
	// Error is the implementation's description of the failure behind a
	// non-zero exit code, for diagnostics only.
	Error string
	// MinerTip and MinerPenalty are what the message pays and costs the
	// including block's miner.
	MinerTip, MinerPenalty abi.TokenAmount
	// Trace is the message's gas trace, one node per call frame, when
	// TraceGas asked for it and the implementation records one (else nil).
	Trace *trace.ExecutionTrace
	// AssumedProofs counts proofs the call accepted by policy, without a
	// SNARK check. An implementation may return a result holding only this
	// count together with an error.
	AssumedProofs int
}

// AppliedKind says why a message was applied in a tipset.
type AppliedKind int

// Kinds of applied messages.
const (
	// Explicit is a message a block included.
	Explicit AppliedKind = iota
	// Reward is the reward actor's payment to a block's miner.
	Reward
	// Cron is the cron tick ending an epoch (a null round's or the
	// tipset's own).
	Cron
)

func (k AppliedKind) String() string {
	switch k {
	case Explicit:
		return "message"
	case Reward:
		return "reward"
	case Cron:
		return "cron"
	}
	return fmt.Sprintf("AppliedKind(%d)", int(k))
}

// Applied is one message applied while executing a tipset.
type Applied struct {
	Kind  AppliedKind
	Epoch abi.ChainEpoch
	// Block is the index of the block that included the message or whose
	// miner the reward pays; -1 for cron.
	Block int
	// MessageCID is the CID of the unsigned message.
	MessageCID cid.Cid
	Receipt
	// Error: see MessageResult.Error.
	Error string
	// MinerTip and MinerPenalty: see MessageResult (zero for implicit
	// messages).
	MinerTip, MinerPenalty abi.TokenAmount
}

// TipsetResult is what executing one tipset came to.
type TipsetResult struct {
	// PostRoot is the state root after the tipset's cron.
	PostRoot cid.Cid
	// ReceiptsRoot is the root of the AMT of the explicit messages'
	// receipts, in the order they were applied.
	ReceiptsRoot cid.Cid
	// Applied lists every message applied, in order: null-round crons,
	// then per block its new messages followed by its reward, then the
	// cron.
	Applied []Applied
	// AssumedProofs: see MessageResult.
	AssumedProofs int
}

// ErrBroken marks an error of the executor as a program rather than of the
// execution: it crashed, hung past its deadline, broke the protocol, or
// answered something impossible (such as a post-state root it did not
// supply). The run has no verdict; the driver reports it as an Error.
var ErrBroken = errors.New("executor broken")
