// Package vm is tvx's pre-FVM Filecoin virtual machine.
//
// The layering follows the protocol's own: a Machine (the executor) applies
// a message, checking the sender and escrowing its gas funds, then runs the
// send stack (send.go: transfers, implicit account creation, dispatch) in
// which each actor invocation sees a Runtime (runtime.go), and finally
// settles fees (burn, miner tip, refund). Gas prices come from a price list
// chosen by epoch (vm/gas), per-network-version behaviour from one table
// (package protocol), actor code from a registry (vm/actors).
//
// A Machine executes messages one at a time and is not safe for concurrent
// use; separate Machines share nothing mutable and may run concurrently.
package vm

import (
	"context"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/builtin"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// Rand supplies chain and beacon randomness to actors. Implementations
// must be safe for the VM's use from one goroutine at a time; the error is
// fatal to the message being applied.
type Rand interface {
	ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
	BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
}

// Logger receives actor log lines and VM diagnostics.
type Logger interface {
	Logf(format string, args ...any)
}

// Blockstore is what the VM needs from block storage.
type Blockstore = ipldcbor.IpldBlockstore

// Config is everything a Machine needs besides its blockstore and state
// root. Zero fields take the documented defaults.
type Config struct {
	// NetworkVersion selects protocol behaviour (see package protocol).
	NetworkVersion network.Version
	// Protocol is the network's protocol table that NetworkVersion and
	// Epoch are looked up in (default: protocol.Mainnet()).
	Protocol *protocol.Table
	// OnChain says the messages come from the Protocol table's network, so
	// where Epoch lies in NetworkVersion's range the network's epoch-keyed
	// rules apply (see protocol.Table.Resolve).
	OnChain bool
	// Epoch is the epoch messages execute at.
	Epoch abi.ChainEpoch
	// BaseFee is the base fee per unit of gas (default 100 attoFIL).
	BaseFee abi.TokenAmount
	// CircSupply is what TotalFilCircSupply reports (default: the total
	// Filecoin supply, 2e9 FIL). A zero (non-nil) value is kept.
	CircSupply abi.TokenAmount
	// Rand supplies randomness; nil makes every randomness request fatal.
	Rand Rand
	// Registry maps code CIDs to actors (default: the builtin actors).
	Registry *actors.Registry
	// Prices overrides the price list (default: the era the protocol
	// table resolves for NetworkVersion at Epoch).
	Prices *gas.PriceList
	// Verifier verifies SNARK proofs (default: a syscalls.DefaultVerifier).
	Verifier syscalls.ProofVerifier
	// TraceGas records every gas charge of each message in ApplyResult.GasTrace.
	TraceGas bool
	// Logger receives actor log lines (default: discarded).
	Logger Logger
}

// DefaultBaseFee is the base fee used when a Config leaves it unset.
var DefaultBaseFee = abi.NewTokenAmount(100)

// TotalFilecoin is the total Filecoin supply in attoFIL (2e9 FIL), the
// default circulating supply.
func TotalFilecoin() abi.TokenAmount {
	return big.Mul(big.NewInt(2_000_000_000), big.NewInt(1_000_000_000_000_000_000))
}

// Machine applies messages to a state tree.
type Machine struct {
	cfg      Config
	proto    protocol.Protocol
	rules    protocol.Rules
	prices   *gas.PriceList
	registry *actors.Registry
	bs       Blockstore
	store    ipldcbor.IpldStore
	tree     *state.Tree
	// root is the state root the machine started from: the lookback state
	// consensus-fault verification reads (a vector carries no older one).
	root cid.Cid
}

// New loads the state tree at root from bs and returns a Machine ready to
// apply messages under cfg. ctx bounds every store access the machine makes.
func New(ctx context.Context, bs Blockstore, root cid.Cid, cfg Config) (*Machine, error) {
	if cfg.Protocol == nil {
		cfg.Protocol = protocol.Mainnet()
	}
	proto, err := cfg.Protocol.Resolve(cfg.NetworkVersion, cfg.Epoch, cfg.OnChain)
	if err != nil {
		return nil, err
	}
	if cfg.BaseFee.Int == nil {
		cfg.BaseFee = DefaultBaseFee
	}
	if cfg.CircSupply.Int == nil {
		cfg.CircSupply = TotalFilecoin()
	}
	if cfg.Registry == nil {
		if cfg.Registry, err = actors.NewBuiltinRegistry(); err != nil {
			return nil, err
		}
	}
	if cfg.Verifier == nil {
		cfg.Verifier = syscalls.NewDefaultVerifier()
	}
	prices := cfg.Prices
	if prices == nil {
		if prices, err = gas.ForEra(proto.PriceEra); err != nil {
			return nil, err
		}
	}
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		return nil, err
	}
	return &Machine{cfg: cfg, proto: proto, rules: proto.Rules, prices: prices, registry: cfg.Registry, bs: bs, store: store, tree: tree, root: root}, nil
}

// StateTree exposes the machine's state tree (for callers that inspect or
// seed state between messages).
func (m *Machine) StateTree() *state.Tree { return m.tree }

// Rules returns the network-version rules the machine runs under.
func (m *Machine) Rules() protocol.Rules { return m.rules }

// Flush writes all applied changes and returns the new state root.
func (m *Machine) Flush(ctx context.Context) (cid.Cid, error) {
	return m.tree.Flush(ctx)
}

// ApplyResult is the outcome of applying one message.
type ApplyResult struct {
	ExitCode exitcode.ExitCode
	Return   []byte
	GasUsed  int64
	// Outputs is the fee settlement; for messages rejected before execution
	// only MinerPenalty is set.
	Outputs gas.Outputs
	// Error describes the failure behind a non-zero exit code.
	Error string
	// EventsRoot is the root of the AMT of the events actors emitted
	// (network version 18 and later on the FVM); cid.Undef when none were.
	EventsRoot cid.Cid
	// GasTrace lists every gas charge in order when Config.TraceGas is set.
	GasTrace []TracedCharge
	// FrameParents gives, for each call frame opened (in order), the index
	// of the frame that sent to it; -1 marks the top frame.
	FrameParents []int
}

// TracedCharge is one recorded gas charge and the call frame it was made in
// (an index into ApplyResult.FrameParents).
type TracedCharge struct {
	gas.Charge
	Frame int
}

// emptyObjectCID is the CID of the empty CBOR array, the head of an actor
// that has no state yet.
var emptyObjectCID = func() cid.Cid {
	c, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum([]byte{0x80})
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return c
}()

// EmptyObjectCID returns the CID of the empty CBOR array.
func EmptyObjectCID() cid.Cid { return emptyObjectCID }

func rejected(code exitcode.ExitCode, penalty abi.TokenAmount, format string, args ...any) *ApplyResult {
	out := gas.ZeroOutputs()
	out.MinerPenalty = penalty
	return &ApplyResult{ExitCode: code, Outputs: out, Error: fmt.Sprintf(format, args...)}
}

// ApplyMessage applies a message included on chain. chainLen is the
// message's on-chain size (see Message.ChainLength). A message the chain
// would not accept at all (zero or negative gas limit) and fatal VM
// conditions are errors; every other failure is a receipt with a non-zero
// exit code.
func (m *Machine) ApplyMessage(ctx context.Context, msg *Message, chainLen int) (res *ApplyResult, err error) {
	defer recoverFatal(&res, &err)
	if err := checkMessage(msg); err != nil {
		return nil, err
	}
	onChain := m.prices.OnChainMessage(chainLen)
	if onChain.Total() > msg.GasLimit {
		return rejected(exitcode.SysErrOutOfGas, big.Mul(m.cfg.BaseFee, big.NewInt(onChain.Total())),
			"gas limit %d does not cover on-chain size cost %d", msg.GasLimit, onChain.Total()), nil
	}

	penalty := big.Mul(m.cfg.BaseFee, big.NewInt(msg.GasLimit))
	from, err := m.tree.GetActor(msg.From)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return rejected(exitcode.SysErrSenderInvalid, penalty, "sender %s not found", msg.From), nil
	case err != nil:
		return nil, fmt.Errorf("look up sender %s: %w", msg.From, err)
	}
	if builtin.KindOf(from.Code) != builtin.KindAccount {
		return rejected(exitcode.SysErrSenderInvalid, penalty, "sender %s is not an account actor (code %s)", msg.From, from.Code), nil
	}
	if msg.Nonce != from.CallSeqNum {
		return rejected(exitcode.SysErrSenderStateInvalid, penalty, "nonce %d, sender expects %d", msg.Nonce, from.CallSeqNum), nil
	}
	escrow := big.Mul(big.NewInt(msg.GasLimit), msg.GasFeeCap)
	if from.Balance.LessThan(escrow) {
		return rejected(exitcode.SysErrSenderStateInvalid, penalty, "sender balance %s below gas escrow %s", from.Balance, escrow), nil
	}

	// Escrow the gas funds and bump the nonce; these survive a failed execution.
	holder := big.Zero()
	if err := m.tree.MutateActor(msg.From, func(a *state.Actor) error {
		if a.Balance.LessThan(escrow) {
			return fmt.Errorf("balance %s below escrow %s", a.Balance, escrow)
		}
		a.Balance = big.Sub(a.Balance, escrow)
		a.CallSeqNum++
		return nil
	}); err != nil {
		return nil, fmt.Errorf("escrow gas funds of %s: %w", msg.From, err)
	}
	holder = big.Add(holder, escrow)

	m.tree.Snapshot()
	defer func() { _ = m.tree.ClearSnapshot() }()

	call := newCallContext(m, msg, msg.GasLimit)
	ret, aerr := m.send(ctx, call, nil, sendParams{from: msg.From, to: msg.To, method: msg.Method, value: msg.Value, params: msg.Params}, &onChain)
	if aerr != nil && aerr.fatal {
		return nil, fmt.Errorf("%w: message from %s nonce %d to %s method %d at epoch %d: %v",
			ErrFatal, msg.From, msg.Nonce, msg.To, msg.Method, m.cfg.Epoch, aerr)
	}
	if aerr != nil && len(ret) != 0 {
		return nil, fmt.Errorf("%w: send failed (%v) but returned %d bytes", ErrFatal, aerr, len(ret))
	}
	if len(ret) != 0 {
		if aerr = call.charge(m.prices.OnChainReturnValue(len(ret)), 0); aerr != nil {
			ret = nil
		}
	}
	code := aerr.exitCode()
	if code != 0 {
		m.tree.Revert()
	}

	used := call.used
	if used < 0 {
		used = 0
	}
	burn, err := m.burnsBaseFee(msg, code)
	if err != nil {
		return nil, err
	}
	out := gas.ComputeOutputs(used, msg.GasLimit, m.cfg.BaseFee, msg.GasFeeCap, msg.GasPremium, burn)
	payouts := []struct {
		to  address.Address
		amt abi.TokenAmount
		why string
	}{
		{builtin0.BurntFundsActorAddr, out.BaseFeeBurn, "burn base fee"},
		{builtin0.RewardActorAddr, out.MinerTip, "pay miner tip"},
		{builtin0.BurntFundsActorAddr, out.OverEstimationBurn, "burn over-estimation"},
		{msg.From, out.Refund, "refund gas"},
	}
	for _, p := range payouts {
		if p.amt.Sign() < 0 {
			return nil, fmt.Errorf("%s: negative amount %s", p.why, p.amt)
		}
		if p.amt.IsZero() {
			continue
		}
		if holder.LessThan(p.amt) {
			return nil, fmt.Errorf("%s: %s exceeds the gas escrow left (%s)", p.why, p.amt, holder)
		}
		holder = big.Sub(holder, p.amt)
		if err := m.tree.MutateActor(p.to, func(a *state.Actor) error {
			a.Balance = big.Add(a.Balance, p.amt)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("%s to %s: %w", p.why, p.to, err)
		}
	}
	if !holder.IsZero() {
		return nil, fmt.Errorf("gas settlement left %s in escrow", holder)
	}

	res = &ApplyResult{ExitCode: code, Return: ret, GasUsed: used, Outputs: out, GasTrace: call.trace, FrameParents: call.frames}
	if aerr != nil {
		res.Error = aerr.Error()
	}
	return res, nil
}

// ApplyImplicitMessage applies a message the system sends on its own (block
// rewards, cron). It is not checked, pays no gas and reports zero gas used;
// a failed send is not reverted.
func (m *Machine) ApplyImplicitMessage(ctx context.Context, msg *Message) (res *ApplyResult, err error) {
	defer recoverFatal(&res, &err)
	call := newCallContext(m, msg, msg.GasLimit)
	ret, aerr := m.send(ctx, call, nil, sendParams{from: msg.From, to: msg.To, method: msg.Method, value: msg.Value, params: msg.Params}, nil)
	if aerr != nil && aerr.fatal {
		return nil, fmt.Errorf("%w: implicit message to %s method %d: %v", ErrFatal, msg.To, msg.Method, aerr)
	}
	res = &ApplyResult{ExitCode: aerr.exitCode(), Return: ret, Outputs: gas.ZeroOutputs(), GasTrace: call.trace, FrameParents: call.frames}
	if aerr != nil {
		res.Error = aerr.Error()
	}
	return res, nil
}

// recoverFatal turns a panic that escaped the actor invocation boundary
// (a VM bug or a broken store) into a fatal error, so no input can crash
// the caller.
func recoverFatal(res **ApplyResult, err *error) {
	if r := recover(); r != nil {
		*res = nil
		*err = fmt.Errorf("%w: panic outside actor code: %v", ErrFatal, r)
	}
}

func checkMessage(msg *Message) error {
	switch {
	case msg.GasLimit == 0:
		return errors.New("message has no gas limit")
	case msg.GasLimit < 0:
		return errors.New("message has a negative gas limit")
	case msg.GasFeeCap.Int == nil:
		return errors.New("message has no gas fee cap")
	case msg.GasPremium.Int == nil:
		return errors.New("message has no gas premium")
	case msg.Value.Int == nil:
		return errors.New("message has no value")
	}
	return nil
}

// burnsBaseFee reports whether the base fee is burned; a successful
// SubmitWindowedPoSt to a miner was exempt for a while.
func (m *Machine) burnsBaseFee(msg *Message, code exitcode.ExitCode) (bool, error) {
	if !m.rules.WindowPoStBurnExemption ||
		code != exitcode.Ok || msg.Method != builtin0.MethodsMiner.SubmitWindowedPoSt {
		return true, nil
	}
	to, err := m.tree.GetActor(msg.To)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("look up PoSt receiver %s: %w", msg.To, err)
	}
	return builtin.KindOf(to.Code) != builtin.KindMiner, nil
}
