package driver

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/state"
)

// Callback observes the tipsets a tipset-class run applies. The driver calls
// it once per tipset, right after the tipset executed and before its
// results are compared with the vector, so a callback also sees the tipsets
// of runs that go on to fail.
//
// One Driver may run many vectors at once, so a Callback is called
// concurrently from several runs and must be safe for that; calls for the
// tipsets of one run are sequential and in order. A non-nil error stops the
// run at once, whose outcome becomes an Error naming the callback.
type Callback interface {
	// Name identifies the callback in errors and reports ("save-balances").
	Name() string
	// TipsetApplied receives one applied tipset. ev is valid only during
	// the call: ev.Blocks may be released as soon as the run ends.
	TipsetApplied(ctx context.Context, ev *TipsetEvent) error
}

// CallbackFunc makes a Callback of a function.
func CallbackFunc(name string, fn func(ctx context.Context, ev *TipsetEvent) error) Callback {
	return funcCallback{name: name, fn: fn}
}

type funcCallback struct {
	name string
	fn   func(context.Context, *TipsetEvent) error
}

func (f funcCallback) Name() string { return f.name }

func (f funcCallback) TipsetApplied(ctx context.Context, ev *TipsetEvent) error {
	return f.fn(ctx, ev)
}

// WithCallbacks makes the driver call cbs, in order, after every tipset of a
// tipset-class run. Repeated options add to the list; nil entries are ignored.
func WithCallbacks(cbs ...Callback) Option {
	return func(c *config) {
		for _, cb := range cbs {
			if cb != nil {
				c.callbacks = append(c.callbacks, cb)
			}
		}
	}
}

// BlockReader reads blocks; it is the read half of a blockstore.
type BlockReader interface {
	Get(ctx context.Context, c cid.Cid) (blocks.Block, error)
}

// TipsetEvent describes one applied tipset of a run: what was asked (the
// tipset's parameters) and what came of it.
type TipsetEvent struct {
	// Vector and Variant identify the run. Callbacks must not modify them.
	Vector  *schema.Vector
	Variant schema.Variant
	// Index is the tipset's position in the vector's apply_tipsets.
	Index int
	// Epoch is the tipset's epoch (variant epoch plus the tipset's offset);
	// ParentEpoch that of the previous tipset (the variant epoch for the
	// first). Epochs strictly between the two were null rounds.
	Epoch       abi.ChainEpoch
	ParentEpoch abi.ChainEpoch
	BaseFee     abi.TokenAmount

	PreStateRoot  cid.Cid
	PostStateRoot cid.Cid
	ReceiptsRoot  cid.Cid
	// Receipts lists every message applied, implicit ones (null-round
	// crons, rewards, cron) included, in order: the receipts the vector
	// records for this tipset.
	Receipts []TipsetReceipt
	// Messages counts the explicit messages applied (duplicates within the
	// tipset are applied once); GasUsed totals their gas, MinerTips and
	// Penalties what they earned and cost the blocks' miners.
	Messages  int
	GasUsed   int64
	MinerTips abi.TokenAmount
	Penalties abi.TokenAmount

	// Blocks reads the run's blocks: the vector's CAR and everything the VM
	// wrote so far. It cannot write.
	Blocks BlockReader
}

// TipsetReceipt is the receipt of one message applied in a tipset.
type TipsetReceipt struct {
	Kind executor.AppliedKind
	// Epoch is the epoch the message ran at (a null round's for its cron).
	Epoch abi.ChainEpoch
	// Block is the index of the including block (or the block whose
	// miner a reward pays); -1 for cron.
	Block      int
	MessageCID cid.Cid
	ExitCode   exitcode.ExitCode
	Return     []byte
	GasUsed    int64
}

// PostState opens the state tree the tipset left, read-only.
func (ev *TipsetEvent) PostState(ctx context.Context) (*state.Tree, error) {
	t, err := state.Load(ctx, ipldcbor.NewCborStore(readOnlyBlocks{ev.Blocks}), ev.PostStateRoot)
	if err != nil {
		return nil, fmt.Errorf("load post-state %s of tipset %d: %w", ev.PostStateRoot, ev.Index, err)
	}
	return t, nil
}

// errReadOnly is returned by writes through a callback's view of the blocks.
var errReadOnly = errors.New("callbacks cannot write blocks")

// readOnlyBlocks gives callbacks an IPLD blockstore that refuses writes, so
// that nothing a callback does can change the run.
type readOnlyBlocks struct{ r BlockReader }

func (b readOnlyBlocks) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return b.r.Get(ctx, c)
}

func (readOnlyBlocks) Put(context.Context, blocks.Block) error { return errReadOnly }

// runCallbacks hands ev to every configured callback in turn and returns
// the first error, prefixed with the callback's name.
func (d *Driver) runCallbacks(ctx context.Context, ev *TipsetEvent) error {
	for _, cb := range d.cfg.callbacks {
		if err := cb.TipsetApplied(ctx, ev); err != nil {
			return fmt.Errorf("callback %s: %w", cb.Name(), err)
		}
	}
	return nil
}
