package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// blockWalkSource is the part of a Source that raw blocks alone can answer.
// CARSource and BlockSource embed it, so both get the walker's Lotus
// semantics for tipsets, messages, receipts, message search and randomness
// from one implementation, and take network versions, beacon rounds and the
// circulating supply from their options the same way; they differ only in
// where blocks come from and what their head is.
type blockWalkSource struct {
	cfg  config
	walk *walker
	// noSupply says, in a CirculatingSupply error, why the source cannot
	// answer without an override.
	noSupply string
}

// newBlockWalkSource configures the shared part: the mainnet schedule
// unless overridden, beacon rounds from the chain unless overridden, and a walker reading blocks through bs
// (the embedding source, whose Get checks blocks against their CIDs).
func newBlockWalkSource(bs blockGetter, head func(context.Context) (*TipSet, error), opts []Option, noSupply string) blockWalkSource {
	cfg := newConfig(opts)
	if cfg.netVersion == nil {
		cfg.netVersion = MainnetNetworkVersion
	}
	return blockWalkSource{cfg: cfg, walk: newWalker(bs, cfg.netVersion, head), noSupply: noSupply}
}

// getChecked reads c from g and checks the block's bytes against the CID; a
// missing block (either not-found signal) becomes notFoundBlock.
func getChecked(ctx context.Context, g BlockGetter, c cid.Cid) (blocks.Block, error) {
	blk, err := g.Get(ctx, c)
	if err != nil {
		if ipld.IsNotFound(err) || errors.Is(err, ErrNotFound) {
			return nil, notFoundBlock(c)
		}
		return nil, fmt.Errorf("read block %s: %w", c, err)
	}
	if err := checkBlock(c, blk.RawData()); err != nil {
		return nil, err
	}
	return blk, nil
}

// notFoundBlock is a missing block's error: it wraps ErrNotFound and
// go-ipld-format's ErrNotFound, so IPLD code built on a Source (AMTs,
// HAMTs, a blockstore overlay) sees the usual not-found signal.
func notFoundBlock(c cid.Cid) error {
	return fmt.Errorf("block %s: %w (%w)", c, ErrNotFound, ipld.ErrNotFound{Cid: c})
}

// checkBlock verifies that data hashes to c.
func checkBlock(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil {
		return fmt.Errorf("block %s: hash: %w", c, err)
	}
	if !got.Equals(c) {
		return fmt.Errorf("block %s: data hashes to %s", c, got)
	}
	return nil
}

// beaconRounds is the source's epoch-to-drand-round map (RandomnessDigest
// uses it when the caller gives none).
func (s *blockWalkSource) beaconRounds() func(abi.ChainEpoch) uint64 { return s.cfg.beaconRound }

// TipSet implements Source.
func (s *blockWalkSource) TipSet(ctx context.Context, key TipSetKey) (*TipSet, error) {
	return s.walk.tipSet(ctx, key)
}

// TipSetByHeight implements Source.
func (s *blockWalkSource) TipSetByHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, bool, error) {
	return s.walk.byHeight(ctx, h, from, true)
}

// TipSetAfterHeight implements Source.
func (s *blockWalkSource) TipSetAfterHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error) {
	ts, _, err := s.walk.byHeight(ctx, h, from, false)
	return ts, err
}

// BlockHeader implements Source.
func (s *blockWalkSource) BlockHeader(ctx context.Context, c cid.Cid) (*BlockHeader, error) {
	return s.walk.blockHeader(ctx, c)
}

// BlockMessages implements Source.
func (s *blockWalkSource) BlockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error) {
	return s.walk.blockMessages(ctx, block)
}

// ParentMessages implements Source.
func (s *blockWalkSource) ParentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error) {
	return s.walk.parentMessages(ctx, block)
}

// ParentReceipts implements Source.
func (s *blockWalkSource) ParentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error) {
	return s.walk.parentReceipts(ctx, block)
}

// Message implements Source.
func (s *blockWalkSource) Message(ctx context.Context, c cid.Cid) (*Message, error) {
	return s.walk.message(ctx, c)
}

// SearchMessage implements Source. It examines tipsets one by one and
// needs no state, so a chain without old state roots (a CAR window) still
// answers; running out of the chain before the limit is an error wrapping
// ErrNotFound.
func (s *blockWalkSource) SearchMessage(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error) {
	return s.walk.searchMessage(ctx, from, msg, limit, allowReplaced)
}

// NetworkVersion implements Source: the override, else mainnet's schedule.
func (s *blockWalkSource) NetworkVersion(_ context.Context, h abi.ChainEpoch) (network.Version, error) {
	if h < 0 {
		return 0, fmt.Errorf("network version at %d: negative height", h)
	}
	return s.cfg.netVersion(h), nil
}

// CirculatingSupply implements Source: the override, else ErrUnavailable.
func (s *blockWalkSource) CirculatingSupply(context.Context, TipSetKey) (abi.TokenAmount, error) {
	if s.cfg.circSupply == nil {
		return abi.TokenAmount{}, fmt.Errorf("circulating supply: %s; give it explicitly: %w", s.noSupply, ErrUnavailable)
	}
	return s.cfg.circSupply.Copy(), nil
}

// ChainRandomness implements Source from the chain's tickets.
func (s *blockWalkSource) ChainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.chainRandomness(ctx, key, dst, epoch, entropy)
}

// BeaconRandomness implements Source from the chain's beacon entries; from
// network version 14 it needs the epoch's drand round (WithBeaconRound,
// default: read off the chain's beacon entries).
func (s *blockWalkSource) BeaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return s.walk.beaconRandomness(ctx, key, dst, epoch, entropy, s.cfg.beaconRound)
}
