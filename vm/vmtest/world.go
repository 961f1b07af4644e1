// Package vmtest builds small genesis-like chain states for any network
// version the VM supports, so that the VM and the packages that read state
// can be tested on real actor state without a vector.
//
// A World starts with the singletons a chain has at genesis (system, init,
// reward, cron, power, market, verified registry, burnt funds), each created
// by running its own actors version's constructor through the VM, so the
// state is exactly what that version's actors write. Accounts are created
// the way the chain creates them, by a send to a new key address. Messages
// are then applied one at a time, each in a fresh machine whose state is
// flushed afterwards, as a tipset executor would.
package vmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/builtin"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	blockstore "github.com/ipfs/go-ipfs-blockstore"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	cron0 "github.com/filecoin-project/specs-actors/actors/builtin/cron"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
)

// FIL is one filecoin in attoFIL.
func FIL(n int64) abi.TokenAmount {
	return big.Mul(big.NewInt(n), big.NewInt(1_000_000_000_000_000_000))
}

// RewardFunds is the balance the reward actor starts with (the mainnet
// storage-mining allocation), so block rewards can be paid.
func RewardFunds() abi.TokenAmount { return FIL(1_100_000_000) }

// Options tune a World. The zero value is valid.
type Options struct {
	// Epoch is the epoch genesis runs at (default 0).
	Epoch abi.ChainEpoch
	// MainnetPrices prices every message with the list mainnet used when
	// the network version activated, whatever the World's epoch, so a World
	// can start near genesis (where actors such as reward, which catch up
	// epoch by epoch, stay cheap) and still charge as the network did.
	// Without it the protocol table chooses (see OnChain).
	MainnetPrices bool
	// OnChain runs messages as mainnet ran them at the World's epoch where
	// the network version was in force there (vm.Config.OnChain); without
	// it they run under the protocol in force when the version activated.
	OnChain bool
	// Registry replaces the builtin actor registry (to add test actors).
	Registry *actors.Registry
}

// World is a chain state under construction. It is not safe for
// concurrent use; separate Worlds share nothing.
type World struct {
	Blocks         blockstore.Blockstore
	NetworkVersion network.Version
	Rules          protocol.Rules
	// Epoch is the epoch the next message executes at.
	Epoch abi.ChainEpoch
	// Root is the current state root.
	Root cid.Cid
	// TraceGas makes every applied message record its gas charges.
	TraceGas bool

	registry *actors.Registry
	prices   *gas.PriceList
	onChain  bool
}

// Singleton actors a World starts with, by ID address.
const (
	systemID     = 0
	initID       = 1
	rewardID     = 2
	cronID       = 3
	powerID      = 4
	marketID     = 5
	verifRegID   = 6
	burntFundsID = 99
)

// The singletons' ID addresses.
var (
	SystemAddr     = mustID(systemID)
	InitAddr       = mustID(initID)
	RewardAddr     = mustID(rewardID)
	CronAddr       = mustID(cronID)
	PowerAddr      = mustID(powerID)
	MarketAddr     = mustID(marketID)
	VerifRegAddr   = mustID(verifRegID)
	BurntFundsAddr = mustID(burntFundsID)
)

func mustID(n uint64) address.Address {
	a, err := address.NewIDAddress(n)
	if err != nil {
		panic(err) // unreachable: small constant IDs
	}
	return a
}

// Method numbers used to build the genesis state. They are the same in every
// actors version.
const (
	methodConstructor    = abi.MethodNum(1)
	methodPowerEpochTick = abi.MethodNum(5) // power OnEpochTickEnd
	methodMarketCronTick = abi.MethodNum(9) // market CronTick
)

// VerifRegRootKey is the key address of the verified registry's root key
// holder, an account every World has.
func VerifRegRootKey() address.Address { return BLSAddress(255) }

// New builds the genesis state of network version nv.
func New(ctx context.Context, nv network.Version, opts Options) (*World, error) {
	act, ok := protocol.Mainnet().Activation(nv)
	if !ok {
		return nil, fmt.Errorf("network version %d is not supported", nv)
	}
	rules := act.Rules
	var err error
	reg := opts.Registry
	if reg == nil {
		if reg, err = actors.NewBuiltinRegistry(); err != nil {
			return nil, err
		}
	}
	w := &World{
		Blocks:         blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore())),
		NetworkVersion: nv,
		Rules:          rules,
		Epoch:          opts.Epoch,
		registry:       reg,
		onChain:        opts.OnChain,
	}
	if opts.MainnetPrices {
		if w.prices, err = gas.ForEra(act.Prices); err != nil {
			return nil, err
		}
	}
	if err := w.genesis(ctx); err != nil {
		return nil, fmt.Errorf("genesis of network version %d: %w", nv, err)
	}
	return w, nil
}

// Code returns the code CID of a builtin actor kind in the World's actors
// version.
func (w *World) Code(kind string) (cid.Cid, error) {
	return builtin.Code(w.Rules.ActorsVersion, kind)
}

// Config is the machine configuration the World applies messages with.
func (w *World) Config() vm.Config {
	return vm.Config{
		NetworkVersion: w.NetworkVersion,
		Epoch:          w.Epoch,
		OnChain:        w.onChain,
		BaseFee:        vm.DefaultBaseFee,
		Rand:           Rand{},
		Registry:       w.registry,
		Prices:         w.prices,
		TraceGas:       w.TraceGas,
	}
}

func (w *World) genesis(ctx context.Context) error {
	store := ipldcbor.NewCborStore(w.Blocks)
	tree, err := state.New(ctx, store, w.Rules.StateTreeVersion)
	if err != nil {
		return err
	}
	empty := vm.EmptyObjectCID()
	singletons := []struct {
		addr address.Address
		kind string
	}{
		{SystemAddr, builtin.KindSystem},
		{InitAddr, builtin.KindInit},
		{RewardAddr, builtin.KindReward},
		{CronAddr, builtin.KindCron},
		{PowerAddr, builtin.KindPower},
		{MarketAddr, builtin.KindMarket},
		{VerifRegAddr, builtin.KindVerifiedRegs},
	}
	for _, s := range singletons {
		code, err := w.Code(s.kind)
		if err != nil {
			return err
		}
		bal := big.Zero()
		if s.addr == RewardAddr {
			bal = RewardFunds()
		}
		if err := tree.SetActor(s.addr, &state.Actor{Code: code, Head: empty, Balance: bal}); err != nil {
			return fmt.Errorf("place %s actor: %w", s.kind, err)
		}
	}
	// The burnt-funds actor is an account whose "key" is its own ID address;
	// no constructor accepts that, so its state is written directly, as
	// chain genesis does.
	accountCode, err := w.Code(builtin.KindAccount)
	if err != nil {
		return err
	}
	burntHead, err := store.Put(ctx, &account0.State{Address: BurntFundsAddr})
	if err != nil {
		return err
	}
	if err := tree.SetActor(BurntFundsAddr, &state.Actor{Code: accountCode, Head: burntHead, Balance: big.Zero()}); err != nil {
		return err
	}
	if w.Root, err = tree.Flush(ctx); err != nil {
		return err
	}

	// Constructors, in dependency order: the cron table names power and
	// market; the verified registry's root key must exist as an account.
	realizedPower := abi.NewStoragePower(0)
	steps := []struct {
		to     address.Address
		params cbg.CBORMarshaler
	}{
		{SystemAddr, nil},
		{InitAddr, &init0.ConstructorParams{NetworkName: "tvx-test"}},
		{RewardAddr, &realizedPower},
		{CronAddr, &cron0.ConstructorParams{Entries: []cron0.Entry{
			{Receiver: PowerAddr, MethodNum: methodPowerEpochTick},
			{Receiver: MarketAddr, MethodNum: methodMarketCronTick},
		}}},
		{PowerAddr, nil},
		{MarketAddr, nil},
	}
	for _, s := range steps {
		if err := w.construct(ctx, s.to, s.params); err != nil {
			return err
		}
	}
	rootKey, err := w.NewAccount(ctx, VerifRegRootKey(), big.Zero())
	if err != nil {
		return fmt.Errorf("verified registry root key: %w", err)
	}
	return w.construct(ctx, VerifRegAddr, &rootKey)
}

// construct runs the constructor of the actor at to as the system actor.
func (w *World) construct(ctx context.Context, to address.Address, params cbg.CBORMarshaler) error {
	enc, err := Encode(params)
	if err != nil {
		return err
	}
	res, err := w.ApplyImplicit(ctx, &vm.Message{
		From: SystemAddr, To: to, Method: methodConstructor, Params: enc,
		Value: big.Zero(), GasLimit: 1 << 40, GasFeeCap: big.Zero(), GasPremium: big.Zero(),
	})
	if err != nil {
		return fmt.Errorf("construct %s: %w", to, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("construct %s: exit code %d: %s", to, res.ExitCode, res.Error)
	}
	return nil
}

// Encode returns the CBOR encoding of v (nil for a nil v).
func Encode(v cbg.CBORMarshaler) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// Machine opens a machine on the current root at the World's epoch.
func (w *World) Machine(ctx context.Context) (*vm.Machine, error) {
	return vm.New(ctx, w.Blocks, w.Root, w.Config())
}

// Apply applies an on-chain message in a fresh machine and makes the
// flushed state the World's root. Its on-chain size is its ChainLength.
func (w *World) Apply(ctx context.Context, msg *vm.Message) (*vm.ApplyResult, error) {
	n, err := msg.ChainLength()
	if err != nil {
		return nil, err
	}
	return w.run(ctx, func(m *vm.Machine) (*vm.ApplyResult, error) { return m.ApplyMessage(ctx, msg, n) })
}

// ApplyImplicit applies a system message (no gas paid, no checks) in a
// fresh machine and makes the flushed state the World's root.
func (w *World) ApplyImplicit(ctx context.Context, msg *vm.Message) (*vm.ApplyResult, error) {
	return w.run(ctx, func(m *vm.Machine) (*vm.ApplyResult, error) { return m.ApplyImplicitMessage(ctx, msg) })
}

func (w *World) run(ctx context.Context, f func(*vm.Machine) (*vm.ApplyResult, error)) (*vm.ApplyResult, error) {
	m, err := w.Machine(ctx)
	if err != nil {
		return nil, err
	}
	res, err := f(m)
	if err != nil {
		return nil, err
	}
	root, err := m.Flush(ctx)
	if err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	w.Root = root
	return res, nil
}

// NewAccount creates the account of key address key by a zero-value send
// from the system actor (the chain's implicit account creation), gives it
// balance (as a genesis allocation would) and returns its ID address.
func (w *World) NewAccount(ctx context.Context, key address.Address, balance abi.TokenAmount) (address.Address, error) {
	res, err := w.ApplyImplicit(ctx, &vm.Message{
		From: SystemAddr, To: key, Value: big.Zero(),
		GasLimit: 1 << 40, GasFeeCap: big.Zero(), GasPremium: big.Zero(),
	})
	if err != nil {
		return address.Undef, err
	}
	if res.ExitCode != 0 {
		return address.Undef, fmt.Errorf("create account %s: exit code %d: %s", key, res.ExitCode, res.Error)
	}
	tree, err := w.Tree(ctx)
	if err != nil {
		return address.Undef, err
	}
	id, err := tree.LookupID(key)
	if err != nil {
		return address.Undef, err
	}
	if err := tree.MutateActor(id, func(a *state.Actor) error {
		a.Balance = big.Add(a.Balance, balance)
		return nil
	}); err != nil {
		return address.Undef, err
	}
	if w.Root, err = tree.Flush(ctx); err != nil {
		return address.Undef, err
	}
	return id, nil
}

// Tree opens the state tree at the current root.
func (w *World) Tree(ctx context.Context) (*state.Tree, error) {
	return state.Load(ctx, ipldcbor.NewCborStore(w.Blocks), w.Root)
}

// Actor returns the actor at addr in the current state.
func (w *World) Actor(ctx context.Context, addr address.Address) (*state.Actor, error) {
	tree, err := w.Tree(ctx)
	if err != nil {
		return nil, err
	}
	return tree.GetActor(addr)
}

// Balance returns the balance of addr, zero if it has no actor.
func (w *World) Balance(ctx context.Context, addr address.Address) (abi.TokenAmount, error) {
	a, err := w.Actor(ctx, addr)
	switch {
	case errors.Is(err, state.ErrActorNotFound):
		return big.Zero(), nil
	case err != nil:
		return big.Zero(), err
	}
	return a.Balance, nil
}

// TotalBalance sums every actor's balance: message execution only moves
// funds, so the sum never changes.
func (w *World) TotalBalance(ctx context.Context) (abi.TokenAmount, error) {
	tree, err := w.Tree(ctx)
	if err != nil {
		return big.Zero(), err
	}
	total := big.Zero()
	err = tree.ForEach(func(_ address.Address, a *state.Actor) error {
		total = big.Add(total, a.Balance)
		return nil
	})
	return total, err
}

// Load decodes the state of the actor at addr into out.
func (w *World) Load(ctx context.Context, addr address.Address, out cbg.CBORUnmarshaler) error {
	a, err := w.Actor(ctx, addr)
	if err != nil {
		return err
	}
	return ipldcbor.NewCborStore(w.Blocks).Get(ctx, a.Head, out)
}

// SecpAddress is a secp256k1 key address derived from seed.
func SecpAddress(seed byte) address.Address {
	pub := make([]byte, 65)
	pub[0] = 4
	h := sha256.Sum256([]byte{'s', seed})
	copy(pub[1:], h[:])
	a, err := address.NewSecp256k1Address(pub)
	if err != nil {
		panic(err) // unreachable: the key has the right length
	}
	return a
}

// BLSAddress is a BLS key address derived from seed (not a valid curve
// point; the chain does not check keys when creating accounts).
func BLSAddress(seed byte) address.Address {
	pub := make([]byte, 48)
	h := sha256.Sum256([]byte{'b', seed})
	copy(pub, h[:])
	copy(pub[32:], h[:16])
	a, err := address.NewBLSAddress(pub)
	if err != nil {
		panic(err) // unreachable: the key has the right length
	}
	return a
}

// Rand is a deterministic randomness source: a hash of the request.
type Rand struct{}

func (Rand) draw(kind byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	var b [17]byte
	b[0] = kind
	binary.BigEndian.PutUint64(b[1:], uint64(dst))
	binary.BigEndian.PutUint64(b[9:], uint64(epoch))
	h := sha256.Sum256(append(b[:], entropy...))
	return h[:]
}

// ChainRandomness implements vm.Rand.
func (r Rand) ChainRandomness(_ context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw('c', dst, epoch, entropy), nil
}

// BeaconRandomness implements vm.Rand.
func (r Rand) BeaconRandomness(_ context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw('b', dst, epoch, entropy), nil
}

var _ vm.Rand = Rand{}
