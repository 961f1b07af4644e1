package chain

import (
	"context"
	"errors"
	"github.com/tvx-project/tvx/protocol"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// Source answers the chain queries that extracting vectors needs: walking
// tipsets, reading what blocks include and what their parents executed,
// finding where a message was executed, and serving raw blocks for state
// reads. *CARSource (an exported chain CAR) and *Client (a Lotus full node)
// implement it and give the same answers for the same chain; every method
// of *Client is the Lotus API method named in its comment.
//
// Unless a method says otherwise, an empty TipSetKey means the head, a
// missing object is an error wrapping ErrNotFound, and a question the
// source cannot answer at all is an error wrapping ErrUnavailable.
// Implementations are safe for concurrent use.
type Source interface {
	// Head returns the heaviest tipset the source knows: for a chain CAR,
	// the tipset of its roots.
	Head(ctx context.Context) (*TipSet, error)

	// TipSet returns the tipset with the given key.
	TipSet(ctx context.Context, key TipSetKey) (*TipSet, error)

	// TipSetByHeight walks back from the tipset `from` to height h. When
	// h is a null round (no tipset at h on that chain) it returns the
	// highest tipset below h and null=true, as ChainGetTipSetByHeight
	// does. A height above `from` is an error; a negative one too.
	TipSetByHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (ts *TipSet, null bool, err error)

	// TipSetAfterHeight is TipSetByHeight, except that a null round
	// yields the lowest tipset above h (ChainGetTipSetAfterHeight); the
	// two directions are the two lookbacks randomness draws use.
	TipSetAfterHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error)

	// BlockHeader returns a block header by CID.
	BlockHeader(ctx context.Context, block cid.Cid) (*BlockHeader, error)

	// BlockMessages returns the messages one block includes, in block
	// order, before any deduplication across the tipset.
	BlockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error)

	// ParentMessages returns the messages the parent tipset of `block`
	// executed, in execution order: blocks in canonical order, each
	// block's BLS messages then its secp256k1 messages, keeping only a
	// sender's next nonce (which drops duplicates across blocks and
	// messages a block included out of order). From network version 13
	// senders are compared by ID address, resolved in the parent tipset's
	// parent state. The genesis block has no parent messages (nil).
	ParentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error)

	// ParentReceipts returns the receipts of ParentMessages(block), index
	// for index.
	ParentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error)

	// Message returns an unsigned message by the CID the chain knows it
	// by (unsigned CID, or signed CID for a secp256k1 message).
	Message(ctx context.Context, msg cid.Cid) (*Message, error)

	// SearchMessage walks back from `from` for the tipset that executed
	// msg, looking back at most `limit` epochs (LookbackNoLimit for no
	// limit). It returns nil and no error when the message is not found.
	// With allowReplaced, a message with the same call but other gas
	// values counts as msg; without it, such a message is an error, as is
	// any other message with msg's sender and nonce.
	SearchMessage(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error)

	// NetworkVersion returns the network version messages run under at
	// epoch h: an override set by option, or the node's answer, or
	// (for a CAR) the mainnet schedule.
	NetworkVersion(ctx context.Context, h abi.ChainEpoch) (network.Version, error)

	// CirculatingSupply returns the circulating supply the VM sees while
	// executing messages on top of the tipset `key` (Lotus's
	// StateVMCirculatingSupplyInternal FilCirculating). A CAR cannot
	// compute it: it answers only with an override set by option.
	CirculatingSupply(ctx context.Context, key TipSetKey) (abi.TokenAmount, error)

	// ChainRandomness draws ticket randomness as the VM does while
	// executing messages on top of tipset `key`
	// (StateGetRandomnessFromTickets); the network version at epoch picks
	// the lookback rule.
	ChainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)

	// BeaconRandomness draws drand-beacon randomness likewise
	// (StateGetRandomnessFromBeacon).
	BeaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)

	// Get returns a raw block (state, headers, messages, ...) by CID; the
	// block's bytes are checked against the CID.
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)

	// Has reports whether the source holds a block.
	Has(ctx context.Context, c cid.Cid) (bool, error)

	// Close releases the source's file or connection.
	Close() error
}

// LookbackNoLimit tells SearchMessage to search back to genesis.
const LookbackNoLimit = abi.ChainEpoch(-1)

// Sentinel errors. Errors wrap them, so test with errors.Is.
var (
	// ErrNotFound means the source does not hold the object asked for
	// (a chain CAR is usually a window of the chain).
	ErrNotFound = errors.New("not found")
	// ErrUnavailable means the source cannot answer the question at all
	// (a CAR asked for the circulating supply without an override).
	ErrUnavailable = errors.New("not available from this source")
)

// Logger receives diagnostic lines. *testing.T satisfies it. Nothing a
// source logs contains the API token.
type Logger interface {
	Logf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Logf(string, ...any) {}

// Option configures a Source.
type Option func(*config)

type config struct {
	log         Logger
	netVersion  func(abi.ChainEpoch) network.Version // nil: the source's own answer
	circSupply  *abi.TokenAmount                     // nil: the source's own answer
	beaconRound func(abi.ChainEpoch) uint64          // nil: read off the chain
}

func newConfig(opts []Option) config {
	c := config{log: nopLogger{}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithLogger sends a source's diagnostics to l.
func WithLogger(l Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithNetworkVersion makes NetworkVersion answer nv at every height: for
// chains whose upgrade schedule is not mainnet's (a devnet export, a chain
// built from a vector).
func WithNetworkVersion(nv network.Version) Option {
	return func(c *config) { c.netVersion = func(abi.ChainEpoch) network.Version { return nv } }
}

// WithNetworkSchedule makes NetworkVersion answer schedule(h).
func WithNetworkSchedule(schedule func(abi.ChainEpoch) network.Version) Option {
	return func(c *config) { c.netVersion = schedule }
}

// WithCirculatingSupply makes CirculatingSupply answer cs at every tipset.
func WithCirculatingSupply(cs abi.TokenAmount) Option {
	return func(c *config) {
		v := cs.Copy()
		c.circSupply = &v
	}
}

// MainnetNetworkVersion is the network version in force at epoch h on
// mainnet. An upgrade's epoch still runs the old version (its migration
// runs when the chain moves past it), so a message at epoch h runs under
// the newest upgrade whose epoch is below h, as Lotus counts it.
func MainnetNetworkVersion(h abi.ChainEpoch) network.Version {
	return protocol.Mainnet().AtEpoch(h).Version
}
