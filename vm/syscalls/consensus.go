package syscalls

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/filecoin-project/specs-actors/v2/actors/runtime"
	"github.com/ipfs/go-cid"
	"github.com/tvx-project/tvx/wire"
)

// chainFinality is the protocol's finality in epochs. It bounds how old a
// faulty block may be (from network version 7) and the window around the
// Orange upgrade in which faults cannot be reported.
const chainFinality = abi.ChainEpoch(900)

// ErrNoConsensusFault is wrapped by the errors VerifyConsensusFault returns
// when the headers decode and are distinct but do not prove a fault.
var ErrNoConsensusFault = errors.New("no consensus fault")

// ConsensusFaultEnv is the chain context VerifyConsensusFault needs from the
// VM. The method names match the actor runtime's, so a runtime can satisfy
// it by adding WorkerKey and the two protocol facts.
type ConsensusFaultEnv interface {
	// CurrEpoch is the epoch of the message being executed.
	CurrEpoch() abi.ChainEpoch
	// NetworkVersion is the network version in force at CurrEpoch.
	NetworkVersion() network.Version
	// Receiver is the miner actor executing ReportConsensusFault. Its worker
	// key must have signed both blocks; whether the fault's target is this
	// miner is the actor's check, not the syscall's.
	Receiver() address.Address
	// WorkerKey returns the key address (f1/f3) of miner's worker as
	// recorded in the state at epoch (the blocks' height), resolved to a key
	// address through the current state.
	WorkerKey(ctx context.Context, miner address.Address, epoch abi.ChainEpoch) (address.Address, error)
	// FaultBlackouts are the heights of the upgrades around which faults
	// cannot be reported: blocks within finality of one (exclusive) are
	// not accepted as evidence.
	FaultBlackouts() []abi.ChainEpoch
	// FaultFinalityLimit: evidence older than finality is refused.
	FaultFinalityLimit() bool
}

// VerifyConsensusFault checks whether the serialized block headers h1, h2
// (and, for parent grinding, extra) prove that one miner committed a
// consensus fault, and returns the fault or an error saying why not.
//
// The faults: double-fork mining (two blocks at one height), time-offset
// mining (two blocks on the same parents at different heights) and parent
// grinding (extra is a sibling of h1 that h2 builds on while omitting h1).
// h1 must not be higher than h2; the fault's epoch is h2's height and its
// target h1's miner. Both blocks must carry a valid signature by the
// receiver's worker key at their height. Headers are decoded leniently as
// the chain's VM did (bytes after a header are ignored; CIDs and signing
// bytes come from re-encoding). From network version 7 blocks older than
// finality are refused, and blocks within finality of the Orange upgrade
// are never accepted.
//
// The caller charges the syscall's gas; any error means "not proven" and
// the actor aborts with an illegal-argument exit code.
func VerifyConsensusFault(ctx context.Context, h1, h2, extra []byte, env ConsensusFaultEnv) (fault *runtime.ConsensusFault, err error) {
	defer func() {
		if r := recover(); r != nil {
			fault, err = nil, fmt.Errorf("verify consensus fault: unexpected failure: %v", r)
		}
	}()

	a, err := decodeEvidence(h1)
	if err != nil {
		return nil, fmt.Errorf("first block header: %w", err)
	}
	b, err := decodeEvidence(h2)
	if err != nil {
		return nil, fmt.Errorf("second block header: %w", err)
	}
	for _, orange := range env.FaultBlackouts() {
		for _, h := range []abi.ChainEpoch{a.Height, b.Height} {
			if h > orange-chainFinality && h < orange+chainFinality {
				return nil, fmt.Errorf("consensus fault reporting is disabled around the upgrade at epoch %d (block height %d)", orange, h)
			}
		}
	}

	aCid, err := a.Cid()
	if err != nil {
		return nil, fmt.Errorf("first block header: %w", err)
	}
	bCid, err := b.Cid()
	if err != nil {
		return nil, fmt.Errorf("second block header: %w", err)
	}
	if aCid == bCid {
		return nil, fmt.Errorf("%w: both headers are block %s", ErrNoConsensusFault, aCid)
	}
	if a.Miner != b.Miner {
		return nil, fmt.Errorf("%w: blocks mined by different miners %s and %s", ErrNoConsensusFault, a.Miner, b.Miner)
	}
	if b.Height < a.Height {
		return nil, fmt.Errorf("first block (height %d) is higher than second block (height %d)", a.Height, b.Height)
	}

	var kind runtime.ConsensusFaultType
	switch {
	case a.Height == b.Height:
		kind = runtime.ConsensusFaultDoubleForkMining
	case sameParentSet(a.Parents, b.Parents):
		kind = runtime.ConsensusFaultTimeOffsetMining
	}
	// Parent grinding is checked last and wins over the other two, so a
	// witness that proves it is reported as such.
	if len(extra) > 0 {
		c, err := decodeEvidence(extra)
		if err != nil {
			return nil, fmt.Errorf("extra block header: %w", err)
		}
		cCid, err := c.Cid()
		if err != nil {
			return nil, fmt.Errorf("extra block header: %w", err)
		}
		if c.Height == a.Height && sameParentSet(a.Parents, c.Parents) &&
			containsCid(b.Parents, cCid) && !containsCid(b.Parents, aCid) {
			kind = runtime.ConsensusFaultParentGrinding
		}
	}
	if kind == 0 {
		return nil, fmt.Errorf("%w detected between blocks %s and %s", ErrNoConsensusFault, aCid, bCid)
	}

	// Only blocks a and b need signatures: extra is a parent of b, which the
	// miner signed.
	if err := verifyBlockSignature(ctx, a, env); err != nil {
		return nil, fmt.Errorf("first block %s: %w", aCid, err)
	}
	if err := verifyBlockSignature(ctx, b, env); err != nil {
		return nil, fmt.Errorf("second block %s: %w", bCid, err)
	}
	return &runtime.ConsensusFault{Target: a.Miner, Epoch: b.Height, Type: kind}, nil
}

func decodeEvidence(raw []byte) (*wire.BlockHeader, error) {
	var h wire.BlockHeader
	if err := h.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return &h, nil
}

func verifyBlockSignature(ctx context.Context, h *wire.BlockHeader, env ConsensusFaultEnv) error {
	now := env.CurrEpoch()
	if env.FaultFinalityLimit() && h.Height < now-chainFinality {
		return fmt.Errorf("block height %d is more than %d epochs before the current epoch %d", h.Height, chainFinality, now)
	}
	miner := env.Receiver()
	worker, err := env.WorkerKey(ctx, miner, h.Height)
	if err != nil {
		return fmt.Errorf("worker key of %s at epoch %d: %w", miner, h.Height, err)
	}
	if h.BlockSig == nil {
		return fmt.Errorf("block signature not present")
	}
	msg, err := h.SigningBytes()
	if err != nil {
		return fmt.Errorf("signing bytes: %w", err)
	}
	if err := VerifySignature(*h.BlockSig, worker, msg); err != nil {
		return fmt.Errorf("block signature by worker %s: %w", worker, err)
	}
	return nil
}

// sameParentSet compares parent lists the way the chain's fault checker
// does: equal lengths and every CID of b present in a, ignoring order. (With
// duplicate entries this is not symmetric; the protocol inherits that.)
func sameParentSet(a, b []cid.Cid) bool {
	if len(a) != len(b) {
		return false
	}
	inA := make(map[cid.Cid]struct{}, len(a))
	for _, c := range a {
		inA[c] = struct{}{}
	}
	for _, c := range b {
		if _, ok := inA[c]; !ok {
			return false
		}
	}
	return true
}

func containsCid(list []cid.Cid, c cid.Cid) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}
