// Package fvm is tvx's Filecoin Virtual Machine for network versions 16 and
// later: the builtin actors of the official bundles (fvm/bundle) compiled to
// WebAssembly and run by an engine (fvm/engine), under a kernel that
// implements the syscalls they import.
//
// It is layered as the network's reference FVM is: a Machine (the
// executor) checks and applies a message and settles its fees; a call
// manager (callmanager.go) runs the send stack — value transfers, implicit
// actor creation, transactions that revert on failure — and opens one
// kernel per actor invocation (kernel.go); prices come from the FVM gas
// era's list (fvm/gas) and state from the FVM state tree (fvm/state).
//
// A Machine applies messages one at a time and is not safe for concurrent
// use; Machines share nothing mutable.
package fvm

import (
	"context"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/vm"
	vmgas "github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// Rand supplies chain and beacon randomness (the vector's recorded values).
type Rand interface {
	ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
	BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
}

// Logger receives actor log lines and machine diagnostics.
type Logger interface {
	Logf(format string, args ...any)
}

// Config is everything a Machine needs besides its blockstore and root.
type Config struct {
	// NetworkVersion is 16 or later.
	NetworkVersion uint
	Epoch          abi.ChainEpoch
	// BaseFee and CircSupply are the tipset's values (from the vector).
	BaseFee    abi.TokenAmount
	CircSupply abi.TokenAmount
	// Timestamp is the tipset's timestamp (nv18 exposes it to actors).
	Timestamp uint64
	Rand      Rand
	// Verifier checks proofs by the same accepted-by-policy rule as the
	// legacy VM (default: syscalls.NewDefaultVerifier()).
	Verifier syscalls.ProofVerifier
	// ActorsVersion is the builtin-actors version in force (the protocol
	// table's row for NetworkVersion); its bundle supplies actor code.
	ActorsVersion int
	// PriceEra names the gas era in force at Epoch as the protocol table
	// gives it ("skyr", "hygge").
	PriceEra string
	// Bundles supplies actor code (default: a fresh bundle.Set).
	Bundles *bundle.Set
	// Engine runs Wasm actor code; nil fails every invocation of actor
	// code (plain value transfers still run).
	Engine Engine
	// TraceGas records every charge in the result's gas trace.
	TraceGas bool
	Logger   Logger
}

// maxCallDepth is the deepest send stack the FVM allows.
const maxCallDepth = 1024

// Well-known actor IDs.
const (
	systemActorID     = 0
	initActorID       = 1
	rewardActorID     = 2
	burntFundsActorID = 99
)

// Machine applies messages to an FVM state tree.
type Machine struct {
	cfg    Config
	prices *gas.PriceList
	bs     vm.Blockstore
	store  ipldcbor.IpldStore
	tree   *state.Tree
	bundle *bundle.Bundle
}

// New loads the state tree at root from bs, finds the builtin-actors bundle
// its system actor names, and returns a Machine ready to apply messages.
func New(ctx context.Context, bs vm.Blockstore, root cid.Cid, cfg Config) (*Machine, error) {
	prices, err := gas.ForEra(cfg.PriceEra)
	if err != nil {
		return nil, err
	}
	if cfg.BaseFee.Int == nil {
		cfg.BaseFee = vm.DefaultBaseFee
	}
	if cfg.CircSupply.Int == nil {
		cfg.CircSupply = vm.TotalFilecoin()
	}
	if cfg.Verifier == nil {
		cfg.Verifier = syscalls.NewDefaultVerifier()
	}
	if cfg.Bundles == nil {
		cfg.Bundles = bundle.NewSet()
	}
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		return nil, err
	}
	// The bundle is the network version's, as the node configures its
	// FVM, not read from the system actor: a vector's state need not
	// contain the system actor at all.
	b, err := cfg.Bundles.Get(cfg.ActorsVersion)
	if err != nil {
		return nil, err
	}
	return &Machine{cfg: cfg, prices: prices, bs: bs, store: store, tree: tree, bundle: b}, nil
}

// Bundle is the builtin-actors bundle the state tree runs.
func (m *Machine) Bundle() *bundle.Bundle { return m.bundle }

// Tree exposes the state tree (for tests and callers seeding state).
func (m *Machine) Tree() *state.Tree { return m.tree }

// Flush writes all applied changes and returns the new state root.
func (m *Machine) Flush(ctx context.Context) (cid.Cid, error) { return m.tree.Flush(ctx) }

func rejected(code exitcode.ExitCode, penalty abi.TokenAmount, format string, args ...any) *vm.ApplyResult {
	out := vmgas.ZeroOutputs()
	out.MinerPenalty = penalty
	return &vm.ApplyResult{ExitCode: code, Outputs: out, Error: fmt.Sprintf(format, args...)}
}

// ApplyMessage applies a message included on chain; chainLen is its
// on-chain size. Messages the chain rejects before execution get the FVM's
// pre-validation receipt; fatal machine errors are errors.
func (m *Machine) ApplyMessage(ctx context.Context, msg *vm.Message, chainLen int) (res *vm.ApplyResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: panic in the FVM: %v", vm.ErrFatal, r)
		}
	}()
	if err := checkMessage(msg); err != nil {
		return nil, err
	}
	inclusion := m.prices.OnChainMessage(chainLen)
	inclusionGas := (inclusion.Total() + gas.Milli - 1) / gas.Milli
	if inclusionGas > msg.GasLimit {
		return rejected(exitcode.SysErrOutOfGas, big.Mul(m.cfg.BaseFee, big.NewInt(inclusionGas)),
			"out of gas (%d > %d)", inclusionGas, msg.GasLimit), nil
	}
	penalty := big.Mul(m.cfg.BaseFee, big.NewInt(msg.GasLimit))
	senderID, ok, err := m.tree.LookupID(msg.From)
	if err != nil {
		return nil, fmt.Errorf("look up sender %s: %w", msg.From, err)
	}
	if !ok {
		return rejected(exitcode.SysErrSenderInvalid, penalty, "sender %s not found", msg.From), nil
	}
	sender, ok, err := m.tree.GetActor(senderID)
	if err != nil {
		return nil, fmt.Errorf("look up sender %s: %w", msg.From, err)
	}
	if !ok {
		return rejected(exitcode.SysErrSenderInvalid, penalty, "sender %s not found", msg.From), nil
	}
	if !m.validSender(sender) {
		return rejected(exitcode.SysErrSenderInvalid, penalty, "send not from an account actor (%s)", sender.Code), nil
	}
	if msg.Nonce != sender.Nonce {
		return rejected(exitcode.SysErrSenderStateInvalid, penalty, "actor sequence invalid: %d != %d", msg.Nonce, sender.Nonce), nil
	}
	escrow := big.Mul(msg.GasFeeCap, big.NewInt(msg.GasLimit))
	if sender.Balance.LessThan(escrow) {
		return rejected(exitcode.SysErrSenderStateInvalid, penalty, "actor balance less than needed: %s < %s", sender.Balance, escrow), nil
	}
	sender.Balance = big.Sub(sender.Balance, escrow)
	sender.Nonce++
	m.tree.SetActor(senderID, sender)

	cm := newCallManager(ctx, m, msg, senderID)
	var ret *block
	var exec error
	if exec = cm.gas.Charge(inclusion); exec == nil {
		var params *block
		if len(msg.Params) > 0 {
			params = &block{codec: cm.messageCodec(uint64(msg.Method)), data: msg.Params}
		}
		ret, exec = cm.transaction(func() (*block, error) {
			r, err := cm.send(senderID, msg.To, uint64(msg.Method), params, msg.Value, sendOptions{})
			var abort *actorAbort
			if errors.As(err, &abort) && abort.ret != nil && cm.access != nil {
				// From nv18 a failed invocation's return block goes on
				// chain too.
				if cerr := cm.gas.Charge(m.prices.OnChainReturnValue(len(abort.ret.data))); cerr != nil {
					return nil, cerr
				}
				return nil, err
			}
			if err != nil {
				return nil, err
			}
			// Before nv18 a send that returned nothing is charged too.
			if r != nil || cm.access == nil {
				if err := cm.gas.Charge(m.prices.OnChainReturnValue(r.size())); err != nil {
					return nil, err
				}
			}
			return r, nil
		})
	}
	res = &vm.ApplyResult{}
	if ret != nil {
		res.Return = ret.data
	}
	var fatal *fatalError
	var abort *actorAbort
	var sysErr *syscallError
	switch {
	case exec == nil:
	case errors.As(exec, &fatal):
		return nil, fmt.Errorf("%w: message from %s nonce %d to %s method %d at epoch %d: %v",
			vm.ErrFatal, msg.From, msg.Nonce, msg.To, msg.Method, m.cfg.Epoch, fatal.err)
	case errors.Is(exec, gas.ErrOutOfGas):
		res.ExitCode, res.Error = exitcode.SysErrOutOfGas, "out of gas"
	case errors.As(exec, &abort):
		res.ExitCode, res.Error = abort.code, abort.Error()
		if abort.ret != nil && cm.access != nil {
			res.Return = abort.ret.data
		}
	case errors.As(exec, &sysErr):
		res.ExitCode, res.Error = sysErr.exitCode(), sysErr.Error()
	default:
		return nil, fmt.Errorf("%w: unclassified execution error: %v", vm.ErrFatal, exec)
	}
	if cm.events != nil {
		root, err := cm.events.root(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: events root: %v", vm.ErrFatal, err)
		}
		res.EventsRoot = root
	}
	res.GasUsed = cm.gas.Used()
	res.GasTrace, res.FrameParents = cm.traceResult()

	out := vmgas.ComputeOutputs(res.GasUsed, msg.GasLimit, m.cfg.BaseFee, msg.GasFeeCap, msg.GasPremium, true)
	res.Outputs = out
	for _, p := range []struct {
		to  uint64
		amt abi.TokenAmount
		why string
	}{
		{burntFundsActorID, out.BaseFeeBurn, "burn base fee"},
		{rewardActorID, out.MinerTip, "pay miner tip"},
		{burntFundsActorID, out.OverEstimationBurn, "burn over-estimation"},
		{senderID, out.Refund, "refund gas"},
	} {
		if p.amt.Sign() < 0 {
			return nil, fmt.Errorf("%w: %s: negative amount %s", vm.ErrFatal, p.why, p.amt)
		}
		if p.amt.IsZero() {
			continue
		}
		if err := m.tree.MutateActor(p.to, func(a *state.Actor) error {
			a.Balance = big.Add(a.Balance, p.amt)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", vm.ErrFatal, p.why, err)
		}
	}
	sum := big.Sum(out.BaseFeeBurn, out.MinerTip, out.OverEstimationBurn, out.Refund)
	if !sum.Equals(escrow) {
		return nil, fmt.Errorf("%w: gas settlement pays %s of an escrow of %s", vm.ErrFatal, sum, escrow)
	}
	return res, nil
}

// validSender reports whether an actor may send messages: accounts, and
// from network version 18 Ethereum accounts and placeholders holding an
// f410 (Ethereum) address that have not sent yet — such a placeholder
// becomes an Ethereum account as its first message is applied.
func (m *Machine) validSender(a *state.Actor) bool {
	e, ok := m.bundle.ByCode(a.Code)
	if !ok {
		return false
	}
	switch {
	case e.Name == "account":
		return true
	case m.cfg.NetworkVersion < 18:
		return false
	case e.Name == "ethaccount":
		return true
	case e.Name == "placeholder" && a.Nonce == 0 && isEthAddress(a.Delegated):
		if eth, ok := m.bundle.ByName("ethaccount"); ok {
			a.Code = eth.Code
			return true
		}
	}
	return false
}

// eamActorID is the Ethereum Address Manager, the namespace of f410
// addresses.
const eamActorID = 10

// isEthAddress reports whether delegated (an address's bytes) is an f4
// address in the EAM's namespace.
func isEthAddress(delegated []byte) bool {
	// Protocol 4, then the namespace as an unsigned LEB128 varint.
	return len(delegated) >= 2 && delegated[0] == 4 && delegated[1] == eamActorID
}

func checkMessage(msg *vm.Message) error {
	switch {
	case msg.GasLimit <= 0:
		return fmt.Errorf("message gas limit %d is not positive", msg.GasLimit)
	case msg.GasFeeCap.Int == nil || msg.GasPremium.Int == nil || msg.Value.Int == nil:
		return errors.New("message has an unset amount")
	}
	return nil
}
