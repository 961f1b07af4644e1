package chaintest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
)

// Blocks is the in-memory store chains are built into: a chain.MemBlocks
// that keeps every block, identity-hashed ones included.
type Blocks = chain.MemBlocks

// NewBlocks returns an empty store.
func NewBlocks() *Blocks { return chain.NewMemBlocks() }

// Builder builds a chain into a Blocks store: tipsets with messages, parent
// receipts and null rounds, as a node would have stored them.
type Builder struct {
	Blocks *Blocks
	ctx    context.Context
}

// NewBuilder returns a builder over an empty store.
func NewBuilder() *Builder { return &Builder{Blocks: NewBlocks(), ctx: context.Background()} }

// BlockSpec describes one block of a tipset.
type BlockSpec struct {
	Miner address.Address
	// Ticket is the block's ticket VRF proof; blocks of a tipset need
	// distinct tickets (they decide the canonical order).
	Ticket        []byte
	BeaconEntries []chain.BeaconEntry
	Bls           []*chain.Message
	Secp          []*chain.SignedMessage
	Timestamp     uint64
}

// TipsetSpec describes a tipset on top of a parent.
type TipsetSpec struct {
	Height abi.ChainEpoch
	// ParentState is the state root the parent's execution produced.
	ParentState cid.Cid
	// ParentReceipts is the receipts AMT of the parent's messages
	// (Builder.Receipts); cid.Undef means an empty one.
	ParentReceipts cid.Cid
	ParentBaseFee  abi.TokenAmount
	Blocks         []BlockSpec
}

// Receipts stores a receipts AMT and returns its root.
func (b *Builder) Receipts(rs []*chain.MessageReceipt) (cid.Cid, error) {
	return chain.StoreReceipts(b.ctx, b.Blocks, rs)
}

// Genesis builds a one-block genesis tipset whose state is stateRoot.
func (b *Builder) Genesis(stateRoot cid.Cid, miner address.Address) (*chain.TipSet, error) {
	return b.Tipset(nil, TipsetSpec{
		Height:      0,
		ParentState: stateRoot,
		Blocks:      []BlockSpec{{Miner: miner, Ticket: []byte("genesis ticket")}},
	})
}

// Tipset builds a tipset on parent (nil for genesis) and stores its
// headers and messages. Heights skipped since the parent are null rounds.
func (b *Builder) Tipset(parent *chain.TipSet, spec TipsetSpec) (*chain.TipSet, error) {
	if len(spec.Blocks) == 0 {
		return nil, errors.New("tipset: no blocks")
	}
	var parents []cid.Cid
	weight := big.Zero()
	if parent != nil {
		if spec.Height <= parent.Height() {
			return nil, fmt.Errorf("tipset at %d on a parent at %d", spec.Height, parent.Height())
		}
		parents = parent.Cids()
		weight = big.Add(parent.ParentWeight(), big.NewInt(int64(len(parents))))
	}
	receipts := spec.ParentReceipts
	if !receipts.Defined() {
		var err error
		if receipts, err = b.Receipts(nil); err != nil {
			return nil, err
		}
	}
	fee := spec.ParentBaseFee
	if fee.Int == nil {
		fee = big.NewInt(100)
	}
	headers := make([]*chain.BlockHeader, len(spec.Blocks))
	for i, bs := range spec.Blocks {
		meta, err := chain.StoreBlockMessages(b.ctx, b.Blocks, bs.Bls, bs.Secp)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		ts := bs.Timestamp
		if ts == 0 {
			ts = 1598306400 + 30*uint64(spec.Height)
		}
		h := &chain.BlockHeader{
			Miner:                 bs.Miner,
			Ticket:                &chain.Ticket{VRFProof: bs.Ticket},
			ElectionProof:         &chain.ElectionProof{WinCount: 1, VRFProof: append([]byte("election "), bs.Ticket...)},
			BeaconEntries:         bs.BeaconEntries,
			Parents:               parents,
			ParentWeight:          weight,
			Height:                spec.Height,
			ParentStateRoot:       spec.ParentState,
			ParentMessageReceipts: receipts,
			Messages:              meta,
			BLSAggregate:          &crypto.Signature{Type: crypto.SigTypeBLS, Data: make([]byte, 96)},
			Timestamp:             ts,
			BlockSig:              &crypto.Signature{Type: crypto.SigTypeBLS, Data: append(make([]byte, 95), byte(i))},
			ParentBaseFee:         fee,
		}
		if _, err := chain.PutObject(b.ctx, b.Blocks, h); err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		headers[i] = h
	}
	return chain.NewTipSet(headers)
}

// WriteCAR writes the store as a chain CAR whose head is head (CARv1, the
// layout `lotus chain export` writes).
func (b *Builder) WriteCAR(w io.Writer, head *chain.TipSet) error {
	return chain.WriteCAR(w, head.Cids(), b.Blocks.All())
}

// WriteCARv2 writes the store as an indexed CARv2 chain CAR.
func (b *Builder) WriteCARv2(w io.Writer, head *chain.TipSet) error {
	return chain.WriteCARv2(w, head.Cids(), b.Blocks.All())
}
