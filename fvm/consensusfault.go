package fvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm/syscalls"
	"github.com/tvx-project/tvx/wire"
)

// consensusFault is the node's consensus-fault extern as the FVM calls it
// from nv16: it decides whether headers h1, h2 (and extra, for parent
// grinding) prove a fault, with the same rules as the legacy VM's syscall
// (syscalls.VerifyConsensusFault) except that there is no blackout around
// an upgrade and each block's signature is checked against the worker key
// of the miner the blocks name. It returns the syscall's 20-byte answer:
// the fault's epoch (i64), target actor ID (u64) and kind (u32), little
// endian, all zero when nothing is proven — evidence that does not decode,
// proves no fault or is not validly signed is not an error, and the actor
// decides what to do with the answer. The extern's own state reads cost no
// gas from nv16 on.
func (k *kernel) consensusFault(h1, h2, extra []byte) ([]byte, error) {
	none := make([]byte, 20)
	var first wire.BlockHeader
	if err := first.UnmarshalCBOR(bytes.NewReader(h1)); err != nil {
		return none, nil
	}
	env := faultEnv{k: k, miner: first.Miner}
	fault, err := syscalls.VerifyConsensusFault(k.cm.ctx, h1, h2, extra, env)
	var fatal *fatalError
	if errors.As(err, &fatal) {
		return nil, fatal
	}
	if err != nil {
		if l := k.cm.m.cfg.Logger; l != nil {
			l.Logf("syscall verify_consensus_fault by actor %d at epoch %d: no fault proven: %v", k.self, k.cm.m.cfg.Epoch, err)
		}
		return none, nil
	}
	target, err := address.IDFromAddress(fault.Target)
	if err != nil {
		// The reference implementation treats this as its own failure.
		return nil, fatalf("verify_consensus_fault: fault target %s is not an ID address", fault.Target)
	}
	out := le64(uint64(fault.Epoch))
	out = append(out, le64(target)...)
	return append(out, le32(uint32(fault.Type))...), nil
}

// faultEnv is the chain context of the consensus-fault extern. A vector
// carries no state older than its precondition, so the state the message
// sees stands in for the state at the blocks' height (the lookback state),
// as for the legacy VM.
type faultEnv struct {
	k *kernel
	// miner is the miner the evidence names, whose worker must have
	// signed it.
	miner address.Address
}

func (e faultEnv) CurrEpoch() abi.ChainEpoch { return e.k.cm.m.cfg.Epoch }
func (e faultEnv) NetworkVersion() network.Version {
	return network.Version(e.k.cm.m.cfg.NetworkVersion)
}
func (e faultEnv) Receiver() address.Address        { return e.miner }
func (e faultEnv) FaultBlackouts() []abi.ChainEpoch { return nil }
func (e faultEnv) FaultFinalityLimit() bool         { return true }

// WorkerKey reads miner's worker from its state's info block and resolves
// it to the key address its account actor holds.
func (e faultEnv) WorkerKey(ctx context.Context, miner address.Address, _ abi.ChainEpoch) (address.Address, error) {
	m := e.k.cm.m
	id, ok, err := m.tree.LookupID(miner)
	if err != nil || !ok {
		return address.Undef, fmt.Errorf("miner %s not found (%v)", miner, err)
	}
	act, ok, err := m.tree.GetActor(id)
	if err != nil || !ok {
		return address.Undef, fmt.Errorf("miner %s not found (%v)", miner, err)
	}
	if a, ok := m.bundle.ByCode(act.Code); !ok || a.Name != "storageminer" {
		return address.Undef, fmt.Errorf("actor %s is not a miner", miner)
	}
	// Miner state and its info are tuples whose first fields are the info
	// block and (after the owner) the worker, in every bundle.
	info, err := firstCid(ctx, e.k, act.Head)
	if err != nil {
		return address.Undef, fmt.Errorf("miner %s state: %w", miner, err)
	}
	worker, err := secondAddress(ctx, e.k, info)
	if err != nil {
		return address.Undef, fmt.Errorf("miner %s info: %w", miner, err)
	}
	if worker.Protocol() == address.BLS || worker.Protocol() == address.SECP256K1 {
		return worker, nil
	}
	wid, ok, err := m.tree.LookupID(worker)
	if err != nil || !ok {
		return address.Undef, fmt.Errorf("worker %s not found (%v)", worker, err)
	}
	wa, ok, err := m.tree.GetActor(wid)
	if err != nil || !ok {
		return address.Undef, fmt.Errorf("worker %s not found (%v)", worker, err)
	}
	if a, ok := m.bundle.ByCode(wa.Code); !ok || a.Name != "account" {
		return address.Undef, fmt.Errorf("worker %s is not an account", worker)
	}
	// Account state is the one-field tuple [key address].
	raw, err := e.k.cm.m.bs.Get(ctx, wa.Head)
	if err != nil {
		return address.Undef, &fatalError{err: fmt.Errorf("worker %s state: %w", worker, err)}
	}
	r := cbg.GetPeeker(bytes.NewReader(raw.RawData()))
	if maj, n, err := cbg.CborReadHeader(r); err != nil || maj != cbg.MajArray || n != 1 {
		return address.Undef, fmt.Errorf("worker %s state is not an account state", worker)
	}
	var key address.Address
	if err := key.UnmarshalCBOR(r); err != nil {
		return address.Undef, fmt.Errorf("worker %s state: %w", worker, err)
	}
	return key, nil
}

// firstCid reads the CID that is the first field of the tuple at c.
func firstCid(ctx context.Context, k *kernel, c cid.Cid) (cid.Cid, error) {
	blk, err := k.cm.m.bs.Get(ctx, c)
	if err != nil {
		return cid.Undef, &fatalError{err: err}
	}
	r := cbg.GetPeeker(bytes.NewReader(blk.RawData()))
	if maj, n, err := cbg.CborReadHeader(r); err != nil || maj != cbg.MajArray || n == 0 {
		return cid.Undef, errors.New("not a tuple")
	}
	return cbg.ReadCid(r)
}

// secondAddress reads the address that is the second field of the tuple
// at c, whose first field is an address too.
func secondAddress(ctx context.Context, k *kernel, c cid.Cid) (address.Address, error) {
	blk, err := k.cm.m.bs.Get(ctx, c)
	if err != nil {
		return address.Undef, &fatalError{err: err}
	}
	r := cbg.GetPeeker(bytes.NewReader(blk.RawData()))
	if maj, n, err := cbg.CborReadHeader(r); err != nil || maj != cbg.MajArray || n < 2 {
		return address.Undef, errors.New("not a tuple of two or more fields")
	}
	var owner, worker address.Address
	if err := owner.UnmarshalCBOR(r); err != nil {
		return address.Undef, err
	}
	if err := worker.UnmarshalCBOR(r); err != nil {
		return address.Undef, err
	}
	return worker, nil
}
