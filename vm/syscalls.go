package vm

import (
	"context"
	"errors"
	"fmt"
	"github.com/ipfs/go-cid"
	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/vm/state"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/filecoin-project/go-state-types/proof"

	rt2 "github.com/filecoin-project/specs-actors/v2/actors/runtime"

	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// Syscalls as the actors see them. Each charges its price, then a zero
// "resume execution" marker, and delegates the computation to vm/syscalls
// or the configured proof verifier.

func (rt *Runtime) afterSyscall() { rt.charge(gas.Named(gas.NameOnActorExec)) }

// VerifySignature checks sig over plaintext by signer (resolved to its key
// address; reading the account state is charged to the caller).
func (rt *Runtime) VerifySignature(sig crypto.Signature, signer address.Address, plaintext []byte) error {
	c, ok := rt.m.prices.OnVerifySignature(sig.Type)
	if !ok {
		return fmt.Errorf("no price for signature type %d", sig.Type)
	}
	rt.charge(c)
	defer rt.afterSyscall()
	key, err := rt.keyAddress(signer)
	if err != nil {
		return err
	}
	return syscalls.VerifySignature(sig, key, plaintext)
}

// keyAddress resolves an account's key address, reading its state through
// the gas meter.
func (rt *Runtime) keyAddress(a address.Address) (address.Address, error) {
	if a.Protocol() == address.BLS || a.Protocol() == address.SECP256K1 {
		return a, nil
	}
	act, err := rt.m.tree.GetActor(a)
	if err != nil {
		return address.Undef, fmt.Errorf("find signer %s: %w", a, err)
	}
	return builtin.AccountPubkey(rt.ctx, chargedStore{rt}, act.Code, act.Head)
}

// HashBlake2b hashes data with blake2b-256.
func (rt *Runtime) HashBlake2b(data []byte) [32]byte {
	rt.charge(rt.m.prices.OnHashing(len(data)))
	defer rt.afterSyscall()
	return syscalls.HashBlake2b(data)
}

// ComputeUnsealedSectorCID computes CommD from piece commitments.
func (rt *Runtime) ComputeUnsealedSectorCID(reg abi.RegisteredSealProof, pieces []abi.PieceInfo) (cid.Cid, error) {
	rt.charge(rt.m.prices.OnComputeUnsealedSectorCid())
	defer rt.afterSyscall()
	return syscalls.ComputeUnsealedSectorCID(reg, pieces)
}

// VerifySeal verifies a seal proof with the configured verifier.
func (rt *Runtime) VerifySeal(info proof.SealVerifyInfo) error {
	rt.charge(rt.m.prices.OnVerifySeal())
	defer rt.afterSyscall()
	return rt.m.cfg.Verifier.VerifySeal(info)
}

// BatchVerifySeals verifies seals in bulk (gas is charged by the caller).
func (rt *Runtime) BatchVerifySeals(infos map[address.Address][]proof.SealVerifyInfo) (map[address.Address][]bool, error) {
	n := 0
	for _, l := range infos {
		n += len(l)
	}
	rt.charge(rt.m.prices.OnBatchVerifySeals(n))
	defer rt.afterSyscall()
	return rt.m.cfg.Verifier.BatchVerifySeals(infos)
}

// VerifyPoSt verifies a window PoSt with the configured verifier.
func (rt *Runtime) VerifyPoSt(info proof.WindowPoStVerifyInfo) error {
	var pt abi.RegisteredPoStProof
	if len(info.Proofs) > 0 {
		pt = info.Proofs[0].PoStProof
	}
	rt.charge(rt.m.prices.OnVerifyPost(pt, len(info.Proofs) > 0, len(info.ChallengedSectors)))
	defer rt.afterSyscall()
	err := rt.m.cfg.Verifier.VerifyWindowPoSt(info)
	if l := rt.m.cfg.Logger; l != nil {
		l.Logf("syscall VerifyPoSt by %s at epoch %d: %d proof(s) of type %d over %d challenged sector(s): result %v",
			rt.receiver, rt.m.cfg.Epoch, len(info.Proofs), pt, len(info.ChallengedSectors), errOrOK(err))
	}
	return err
}

func errOrOK(err error) string {
	if err == nil {
		return "accepted"
	}
	return "rejected: " + err.Error()
}

// VerifyConsensusFault checks block headers for a consensus fault.
func (rt *Runtime) VerifyConsensusFault(h1, h2, extra []byte) (*rt2.ConsensusFault, error) {
	rt.charge(rt.m.prices.OnVerifyConsensusFault())
	defer rt.afterSyscall()
	return syscalls.VerifyConsensusFault(rt.ctx, h1, h2, extra, faultEnv{rt})
}

// faultEnv gives consensus-fault verification its chain context.
type faultEnv struct{ rt *Runtime }

func (e faultEnv) CurrEpoch() abi.ChainEpoch        { return e.rt.CurrEpoch() }
func (e faultEnv) NetworkVersion() network.Version  { return e.rt.NetworkVersion() }
func (e faultEnv) Receiver() address.Address        { return e.rt.Receiver() }
func (e faultEnv) FaultBlackouts() []abi.ChainEpoch { return e.rt.m.proto.FaultBlackouts }
func (e faultEnv) FaultFinalityLimit() bool         { return e.rt.m.rules.FaultFinalityLimit }

// WorkerKey reads the miner's worker key as the network did: the miner
// actor from the lookback state at the blocks' height, its state and info
// blocks, then the worker's account state in the current state, each block
// read charged as an IPLD get (the actor lookups themselves are not). A
// vector carries no state older than its precondition, so the state the
// machine started from stands in for the lookback state, as other runners
// do; the log says so.
func (e faultEnv) WorkerKey(ctx context.Context, miner address.Address, height abi.ChainEpoch) (address.Address, error) {
	rt := e.rt
	m := rt.m
	lookback, err := state.Load(ctx, m.store, m.root)
	if err != nil {
		return address.Undef, fmt.Errorf("worker key: lookback state: %w", err)
	}
	if l := m.cfg.Logger; l != nil {
		l.Logf("syscall VerifyConsensusFault: worker of %s at height %d read from the precondition state %s (lookback state)", miner, height, m.root)
	}
	act, err := lookback.GetActor(miner)
	if err != nil {
		return address.Undef, fmt.Errorf("worker key: %w", err)
	}
	charged := chargedStore{rt}
	w, err := builtin.MinerWorker(ctx, charged, act.Code, act.Head)
	if err != nil {
		return address.Undef, fmt.Errorf("worker key: %w", err)
	}
	if w.Protocol() == address.BLS || w.Protocol() == address.SECP256K1 {
		return w, nil
	}
	wa, err := m.tree.GetActor(w)
	if err != nil {
		return address.Undef, fmt.Errorf("worker key: %w", err)
	}
	k, err := builtin.AccountPubkey(ctx, charged, wa.Code, wa.Head)
	if err != nil {
		return address.Undef, fmt.Errorf("worker key: %w", err)
	}
	return k, nil
}

var _ syscalls.ConsensusFaultEnv = faultEnv{}

// errNoRuntime is returned when an actor export cannot take this runtime.
var errNoRuntime = errors.New("actor method cannot run on this runtime")

// VerifyAggregateSeals verifies an aggregated seal proof (actors v5 and later).
func (rt *Runtime) VerifyAggregateSeals(agg proof.AggregateSealVerifyProofAndInfos) error {
	rt.charge(rt.m.prices.OnVerifyAggregateSeals(agg.SealProof, len(agg.Infos)))
	defer rt.afterSyscall()
	return rt.m.cfg.Verifier.VerifyAggregateSeals(agg)
}

// VerifyReplicaUpdate verifies a sector replica update proof (actors v7).
func (rt *Runtime) VerifyReplicaUpdate(info proof.ReplicaUpdateInfo) error {
	rt.charge(rt.m.prices.OnVerifyReplicaUpdate())
	defer rt.afterSyscall()
	return rt.m.cfg.Verifier.VerifyReplicaUpdate(info)
}
