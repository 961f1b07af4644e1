// Package fvmtest builds small FVM-era chain states for tests: the
// singletons a chain needs to execute tipsets (system, init, reward, cron,
// power, market, burnt funds), each constructed by running its own
// builtin-actors bundle's constructor on tvx's FVM, so the state is exactly
// what that bundle writes; and accounts, created the way the chain creates
// them, by a send to a new key address.
package fvmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	cron8 "github.com/filecoin-project/go-state-types/builtin/v8/cron"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/fvm/wasmhost"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm"
)

// Well-known actor IDs of the singletons a World holds.
const (
	SystemID     = 0
	InitID       = 1
	RewardID     = 2
	CronID       = 3
	PowerID      = 4
	MarketID     = 5
	BurntFundsID = 99
	// FirstAccountID is the ID of the first account New creates.
	FirstAccountID = 100
)

// Method numbers the World's state sets up or tests call.
const (
	MethodPowerCreateMiner    = 2
	methodPowerOnEpochTickEnd = 5
	methodMarketCronTick      = 9
	methodConstructor         = 1
	windowPoSt32GiBV1         = 8 // abi.RegisteredPoStProof_StackedDrgWindow32GiBV1
	defaultAccountFunds       = 1_000_000
	defaultRewardFunds        = 1_100_000_000
)

// FIL is n filecoin in attoFIL.
func FIL(n int64) abi.TokenAmount {
	return big.Mul(big.NewInt(n), big.NewInt(1_000_000_000_000_000_000))
}

// Options configure New.
type Options struct {
	// NetworkVersion is 16 or later (default 17).
	NetworkVersion uint
	// Accounts is how many funded BLS accounts to create (default 1); the
	// first has ID FirstAccountID.
	Accounts int
	// Keys, when set, are the accounts' key addresses (Accounts is then
	// their number); otherwise each gets a made-up BLS key nobody can sign
	// with.
	Keys []address.Address
	// Engine runs actor code (default: wasmhost's engine of the version's
	// gas era, with the on-disk compilation cache).
	Engine fvm.Engine
	// Bundles supplies actor code (default: a fresh bundle.Set).
	Bundles *bundle.Set
}

// World is a built FVM state.
type World struct {
	Blocks *chain.MemBlocks
	// Root is the state root genesis left.
	Root cid.Cid
	// NetworkVersion, ActorsVersion and PriceEra are the protocol the
	// state was built under (mainnet's row for NetworkVersion).
	NetworkVersion uint
	ActorsVersion  int
	PriceEra       string
	// Accounts are the funded accounts' BLS addresses, in ID order from
	// FirstAccountID; each holds a million FIL.
	Accounts []address.Address
	Bundles  *bundle.Set
	Engine   fvm.Engine
}

// New builds a World at epoch 0.
func New(ctx context.Context, opts Options) (*World, error) {
	if opts.NetworkVersion == 0 {
		opts.NetworkVersion = 17
	}
	if len(opts.Keys) > 0 {
		opts.Accounts = len(opts.Keys)
	}
	if opts.Accounts == 0 {
		opts.Accounts = 1
	}
	if opts.Bundles == nil {
		opts.Bundles = bundle.NewSet()
	}
	table := protocol.Mainnet()
	up, ok := table.Activation(networkVersion(opts.NetworkVersion))
	if !ok || up.VM != protocol.FVM {
		return nil, fmt.Errorf("fvmtest: network version %d does not run on the FVM", opts.NetworkVersion)
	}
	w := &World{
		Blocks: chain.NewMemBlocks(), NetworkVersion: opts.NetworkVersion,
		ActorsVersion: int(up.ActorsVersion), PriceEra: PriceEra(table, up),
		Bundles: opts.Bundles, Engine: opts.Engine,
	}
	if w.Engine == nil {
		e, err := wasmhost.New(ctx, w.PriceEra, wasmhost.Options{})
		if err != nil {
			return nil, err
		}
		w.Engine = e
	}
	b, err := w.Bundles.Get(w.ActorsVersion)
	if err != nil {
		return nil, err
	}
	code := func(name string) (cid.Cid, error) {
		a, ok := b.ByName(name)
		if !ok {
			return cid.Undef, fmt.Errorf("fvmtest: bundle v%d has no %s actor", w.ActorsVersion, name)
		}
		return a.Code, nil
	}
	store := ipldcbor.NewCborStore(w.Blocks)
	initCode, err := code("init")
	if err != nil {
		return nil, err
	}
	tree, err := state.New(ctx, store, uint64(up.StateTreeVersion), initCode, FirstAccountID, "tvx-fvmtest")
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		id      uint64
		name    string
		balance abi.TokenAmount
	}{
		{SystemID, "system", big.Zero()},
		{RewardID, "reward", FIL(defaultRewardFunds)},
		{CronID, "cron", big.Zero()},
		{PowerID, "storagepower", big.Zero()},
		{MarketID, "storagemarket", big.Zero()},
		{BurntFundsID, "account", big.Zero()},
	} {
		c, err := code(s.name)
		if err != nil {
			return nil, err
		}
		tree.SetActor(s.id, &state.Actor{Code: c, Head: vm.EmptyObjectCID(), Balance: s.balance})
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		return nil, err
	}
	m, err := fvm.New(ctx, w.Blocks, root, w.Config(0))
	if err != nil {
		return nil, err
	}
	cronParams, err := encode(&cron8.State{Entries: []cron8.Entry{
		{Receiver: idAddr(PowerID), MethodNum: methodPowerOnEpochTickEnd},
		{Receiver: idAddr(MarketID), MethodNum: methodMarketCronTick},
	}})
	if err != nil {
		return nil, err
	}
	zeroPower, err := encode(&abi.StoragePower{Int: big.Zero().Int})
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		id     uint64
		params []byte
	}{
		{SystemID, nil}, {RewardID, zeroPower}, {CronID, cronParams}, {PowerID, nil}, {MarketID, nil},
	} {
		if err := systemSend(ctx, m, idAddr(c.id), methodConstructor, c.params); err != nil {
			return nil, fmt.Errorf("fvmtest: construct actor %d: %w", c.id, err)
		}
	}
	for i := 0; i < opts.Accounts; i++ {
		key := make([]byte, 48)
		for j := range key {
			key[j] = byte(i + j + 1)
		}
		a, err := address.NewBLSAddress(key)
		if err != nil {
			return nil, err
		}
		if len(opts.Keys) > 0 {
			a = opts.Keys[i]
		}
		if err := systemSend(ctx, m, a, 0, nil); err != nil {
			return nil, fmt.Errorf("fvmtest: create account %s: %w", a, err)
		}
		if err := m.Tree().MutateActor(uint64(FirstAccountID+i), func(act *state.Actor) error {
			act.Balance = FIL(defaultAccountFunds)
			return nil
		}); err != nil {
			return nil, err
		}
		w.Accounts = append(w.Accounts, a)
	}
	if w.Root, err = m.Flush(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// Config is the machine configuration of the World's protocol at epoch.
func (w *World) Config(epoch abi.ChainEpoch) fvm.Config {
	return fvm.Config{
		NetworkVersion: w.NetworkVersion, ActorsVersion: w.ActorsVersion, PriceEra: w.PriceEra,
		Epoch: epoch, BaseFee: big.NewInt(100), CircSupply: FIL(defaultRewardFunds),
		Rand: Rand{}, Bundles: w.Bundles, Engine: w.Engine,
	}
}

// systemSend applies an implicit message from the system actor and
// insists it succeeds.
func systemSend(ctx context.Context, m *fvm.Machine, to address.Address, method abi.MethodNum, params []byte) error {
	res, err := m.ApplyImplicitMessage(ctx, &vm.Message{
		From: idAddr(SystemID), To: to, Method: method, Params: params,
		Value: big.Zero(), GasFeeCap: big.Zero(), GasPremium: big.Zero(), GasLimit: fvm.ImplicitMessageGasLimit,
	})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("exit code %d: %s", res.ExitCode, res.Error)
	}
	return nil
}

// CreateMinerParams encodes the power actor's CreateMiner parameters for a
// miner owned and worked by owner, with 32 GiB window PoSt proofs.
func CreateMinerParams(owner address.Address) ([]byte, error) {
	var buf bytes.Buffer
	w := &buf
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 5); err != nil {
		return nil, err
	}
	for i := 0; i < 2; i++ {
		if err := owner.MarshalCBOR(w); err != nil {
			return nil, err
		}
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, windowPoSt32GiBV1); err != nil {
		return nil, err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajByteString, 4); err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte("peer")); err != nil {
		return nil, err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Rand is deterministic randomness: the SHA-256 of the request.
type Rand struct{}

func (Rand) draw(kind byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	h := sha256.New()
	var b [17]byte
	b[0] = kind
	binary.BigEndian.PutUint64(b[1:], uint64(dst))
	binary.BigEndian.PutUint64(b[9:], uint64(epoch))
	h.Write(b[:])
	h.Write(entropy)
	return h.Sum(nil)
}

// ChainRandomness implements fvm.Rand.
func (r Rand) ChainRandomness(_ context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw('c', dst, epoch, entropy), nil
}

// BeaconRandomness implements fvm.Rand.
func (r Rand) BeaconRandomness(_ context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw('b', dst, epoch, entropy), nil
}

// PriceEra is the gas era in force after upgrade up: the price list its
// row names, or else the last one an earlier row named.
func PriceEra(t *protocol.Table, up protocol.Upgrade) string {
	era := ""
	for _, u := range t.Upgrades() {
		if u.Prices != "" {
			era = u.Prices
		}
		if u.Codename == up.Codename {
			break
		}
	}
	return era
}

func encode(v cbg.CBORMarshaler) ([]byte, error) {
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func idAddr(id uint64) address.Address {
	a, err := address.NewIDAddress(id)
	if err != nil {
		panic(err) // unreachable: every ID is valid
	}
	return a
}

func networkVersion(nv uint) network.Version { return network.Version(nv) }
