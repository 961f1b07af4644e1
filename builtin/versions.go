// Package builtin holds the facts of each actors version the network ran:
// its builtin actors (Go implementations and code CIDs), how to decode the
// few states the VM reads (init, account, miner info), the state types of
// every actor (StateTypesOf, which statediff shows) and the method
// numbers. The VM registry, statediff and extraction read it; nothing else
// names a code CID.
package builtin

import (
	"context"
	"fmt"
	"github.com/filecoin-project/go-state-types/abi"
	"sort"
	"strings"

	"github.com/filecoin-project/go-address"
	rtt "github.com/filecoin-project/go-state-types/rt"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	exported0 "github.com/filecoin-project/specs-actors/actors/builtin/exported"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	exported2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/exported"
	init2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/init"
	miner2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/miner"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	exported3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/exported"
	init3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/init"
	miner3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/miner"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	exported4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/exported"
	init4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/init"
	miner4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/miner"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	exported5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/exported"
	init5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/init"
	miner5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/miner"
	builtin6 "github.com/filecoin-project/specs-actors/v6/actors/builtin"
	exported6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/exported"
	init6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/init"
	miner6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/miner"
	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	exported7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/exported"
	init7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/init"
	miner7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/miner"

	"github.com/tvx-project/tvx/protocol"
)

// Kinds of builtin actors, as named in their code CIDs ("fil/<v>/<kind>").
const (
	KindSystem       = "system"
	KindInit         = "init"
	KindCron         = "cron"
	KindAccount      = "account"
	KindPower        = "storagepower"
	KindMiner        = "storageminer"
	KindMarket       = "storagemarket"
	KindPaych        = "paymentchannel"
	KindMultisig     = "multisig"
	KindReward       = "reward"
	KindVerifiedRegs = "verifiedregistry"
)

// KindOf returns the builtin kind of a code CID ("account", "init", ...) or
// "" when the code is not a builtin actor code.
func KindOf(code cid.Cid) string {
	name, ok := CodeName(code)
	if !ok {
		return ""
	}
	parts := strings.SplitN(name, "/", 3)
	if len(parts) != 3 || parts[0] != "fil" {
		return ""
	}
	return parts[2]
}

// versionFacts are the per-actors-version facts the VM core relies on.
type versionFacts struct {
	// builtins lists the version's builtin actor implementations.
	builtins func() []rtt.VMActor
	account  cid.Cid
	init     cid.Cid
	miner    cid.Cid
	// minerWorker reads the worker address from miner state of this version.
	minerWorker func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (address.Address, error)
	// loadInit decodes init actor state of this version.
	loadInit func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error)
}

// adtStore is what every actors version's ADT store offers (actors v0.9
// and v2 declare the interface separately; v3 and later alias v2's).
type adtStore interface {
	Context() context.Context
	ipldcbor.IpldStore
}

// Actors v0.9 and v2 take their own (identical) store interfaces; v3 to v7
// take v2's. These adapt a plain IPLD store to each.
func wrap0(ctx context.Context, s ipldcbor.IpldStore) adt0.Store { return adt0.WrapStore(ctx, s) }
func wrap2(ctx context.Context, s ipldcbor.IpldStore) adt2.Store { return adt2.WrapStore(ctx, s) }

// versions is the table of supported actors versions: one row per
// specs-actors release line the pre-FVM chain ran. Every version from v3 on
// stores its init address map and miner info exactly as the Go actors of
// that version read them, so each row decodes with its own types.
var versions = map[protocol.ActorsVersion]versionFacts{
	0: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported0.BuiltinActors()) },
		account:     builtin0.AccountActorCodeID,
		init:        builtin0.InitActorCodeID,
		miner:       builtin0.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap0, (*miner0.State).GetInfo, worker0),
		loadInit:    initLoader[adt0.Store, init0.State](wrap0),
	},
	2: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported2.BuiltinActors()) },
		account:     builtin2.AccountActorCodeID,
		init:        builtin2.InitActorCodeID,
		miner:       builtin2.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner2.State).GetInfo, worker2),
		loadInit:    initLoader[adt2.Store, init2.State](wrap2),
	},
	3: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported3.BuiltinActors()) },
		account:     builtin3.AccountActorCodeID,
		init:        builtin3.InitActorCodeID,
		miner:       builtin3.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner3.State).GetInfo, worker3),
		loadInit:    initLoader[adt2.Store, init3.State](wrap2),
	},
	4: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported4.BuiltinActors()) },
		account:     builtin4.AccountActorCodeID,
		init:        builtin4.InitActorCodeID,
		miner:       builtin4.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner4.State).GetInfo, worker4),
		loadInit:    initLoader[adt2.Store, init4.State](wrap2),
	},
	5: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported5.BuiltinActors()) },
		account:     builtin5.AccountActorCodeID,
		init:        builtin5.InitActorCodeID,
		miner:       builtin5.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner5.State).GetInfo, worker5),
		loadInit:    initLoader[adt2.Store, init5.State](wrap2),
	},
	6: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported6.BuiltinActors()) },
		account:     builtin6.AccountActorCodeID,
		init:        builtin6.InitActorCodeID,
		miner:       builtin6.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner6.State).GetInfo, worker6),
		loadInit:    initLoader[adt2.Store, init6.State](wrap2),
	},
	7: {
		builtins:    func() []rtt.VMActor { return asVMActors(exported7.BuiltinActors()) },
		account:     builtin7.AccountActorCodeID,
		init:        builtin7.InitActorCodeID,
		miner:       builtin7.StorageMinerActorCodeID,
		minerWorker: workerReader(wrap2, (*miner7.State).GetInfo, worker7),
		loadInit:    initLoader[adt2.Store, init7.State](wrap2),
	},
}

// The worker field of each version's miner info.
func worker0(i *miner0.MinerInfo) address.Address { return i.Worker }
func worker2(i *miner2.MinerInfo) address.Address { return i.Worker }
func worker3(i *miner3.MinerInfo) address.Address { return i.Worker }
func worker4(i *miner4.MinerInfo) address.Address { return i.Worker }
func worker5(i *miner5.MinerInfo) address.Address { return i.Worker }
func worker6(i *miner6.MinerInfo) address.Address { return i.Worker }
func worker7(i *miner7.MinerInfo) address.Address { return i.Worker }

// Actors returns the builtin actor implementations of actors version v
// (none for an unknown version).
func Actors(v protocol.ActorsVersion) []rtt.VMActor {
	f, ok := versions[v]
	if !ok {
		return nil
	}
	return f.builtins()
}

// Versions lists the supported actors versions in ascending order.
func Versions() []protocol.ActorsVersion {
	out := make([]protocol.ActorsVersion, 0, len(versions))
	for v := range versions {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func asVMActors[A rtt.VMActor](list []A) []rtt.VMActor {
	out := make([]rtt.VMActor, len(list))
	for i, a := range list {
		out[i] = a
	}
	return out
}

// cborState is a pointer to a state type T that decodes from CBOR.
type cborState[T any] interface {
	*T
	cbg.CBORUnmarshaler
}

// workerReader builds the miner-worker reader of one actors version from
// its miner state type, its GetInfo and the info's worker field.
func workerReader[S adtStore, T any, P cborState[T], I any](
	wrap func(context.Context, ipldcbor.IpldStore) S,
	getInfo func(P, S) (*I, error),
	worker func(*I) address.Address,
) func(context.Context, ipldcbor.IpldStore, cid.Cid) (address.Address, error) {
	return func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (address.Address, error) {
		st := P(new(T))
		if err := store.Get(ctx, head, st); err != nil {
			return address.Undef, fmt.Errorf("load miner state %s: %w", head, err)
		}
		info, err := getInfo(st, wrap(ctx, store))
		if err != nil {
			return address.Undef, fmt.Errorf("load miner info: %w", err)
		}
		return worker(info), nil
	}
}

// initOps is the address registry API of one actors version's init state,
// whose methods take that version's store type S.
type initOps[S any] interface {
	ResolveAddress(S, address.Address) (address.Address, bool, error)
	MapAddressToNewID(S, address.Address) (address.Address, error)
	cbg.CBORMarshaler
	cbg.CBORUnmarshaler
}

// initLoader builds the init-state decoder of one actors version.
func initLoader[S adtStore, T any, P interface {
	*T
	initOps[S]
}](wrap func(context.Context, ipldcbor.IpldStore) S) func(context.Context, ipldcbor.IpldStore, cid.Cid) (InitState, error) {
	return func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error) {
		st := P(new(T))
		if err := store.Get(ctx, head, st); err != nil {
			return nil, err
		}
		return &initAdapter[S]{st: st, store: wrap(ctx, store)}, nil
	}
}

// initAdapter presents one version's init state as an InitState.
type initAdapter[S any] struct {
	st    initOps[S]
	store S
}

func (a *initAdapter[S]) ResolveAddress(addr address.Address) (address.Address, bool, error) {
	return a.st.ResolveAddress(a.store, addr)
}

func (a *initAdapter[S]) MapAddressToNewID(addr address.Address) (address.Address, error) {
	return a.st.MapAddressToNewID(a.store, addr)
}

func (a *initAdapter[S]) State() cbg.CBORMarshaler { return a.st }

// AccountCode returns the account actor code CID of actors version v.
func AccountCode(v protocol.ActorsVersion) (cid.Cid, error) {
	f, ok := versions[v]
	if !ok {
		return cid.Undef, fmt.Errorf("actors version %d is not supported", v)
	}
	return f.account, nil
}

// Code returns the code CID of the builtin actor of the given kind (one of
// the Kind constants) in actors version v.
func Code(v protocol.ActorsVersion, kind string) (cid.Cid, error) {
	f, ok := versions[v]
	if !ok {
		return cid.Undef, fmt.Errorf("actors version %d is not supported", v)
	}
	for _, a := range f.builtins() {
		if KindOf(a.Code()) == kind {
			return a.Code(), nil
		}
	}
	return cid.Undef, fmt.Errorf("actors version %d has no %q actor", v, kind)
}

// InitState is the init actor's address registry, whatever its version.
type InitState interface {
	// ResolveAddress maps a non-ID address to its ID address (found=false
	// when unknown). ID addresses resolve to themselves.
	ResolveAddress(a address.Address) (id address.Address, found bool, err error)
	// MapAddressToNewID assigns the next free ID to a and records it.
	MapAddressToNewID(a address.Address) (address.Address, error)
	// State is the (possibly modified) state object, to store back.
	State() cbg.CBORMarshaler
}

// LoadInitState decodes the init actor state at head, choosing the decoder
// by the init actor's code CID.
func LoadInitState(ctx context.Context, store ipldcbor.IpldStore, code, head cid.Cid) (InitState, error) {
	for _, f := range versions {
		if f.init == code {
			return f.loadInit(ctx, store, head)
		}
	}
	if isBundleCode(code) {
		return loadBundleInit(ctx, store, head)
	}
	return nil, fmt.Errorf("unknown init actor code %s", code)
}

// AccountPubkey decodes account actor state (its layout, a single key
// address, is the same in every actors version).
func AccountPubkey(ctx context.Context, store ipldcbor.IpldStore, code, head cid.Cid) (address.Address, error) {
	if KindOf(code) != KindAccount {
		return address.Undef, fmt.Errorf("actor code %s is not an account actor", code)
	}
	var st account0.State
	if err := store.Get(ctx, head, &st); err != nil {
		return address.Undef, fmt.Errorf("load account state %s: %w", head, err)
	}
	return st.Address, nil
}

// CodeName returns the name embedded in a builtin code CID (an identity
// multihash of e.g. "fil/2/account").
func CodeName(code cid.Cid) (string, bool) {
	if !code.Defined() || code.Prefix().MhType != mh.IDENTITY {
		return "", false
	}
	d, err := mh.Decode(code.Hash())
	if err != nil {
		return "", false
	}
	return string(d.Digest), true
}

// MinerWorker reads the worker address recorded in miner actor state,
// choosing the decoder by the miner's code CID.
func MinerWorker(ctx context.Context, store ipldcbor.IpldStore, code, head cid.Cid) (address.Address, error) {
	for _, f := range versions {
		if f.miner == code {
			return f.minerWorker(ctx, store, head)
		}
	}
	return address.Undef, fmt.Errorf("actor code %s is not a known miner actor", code)
}

// Codes returns every builtin actor code CID with its actors version.
func Codes() map[cid.Cid]protocol.ActorsVersion {
	out := map[cid.Cid]protocol.ActorsVersion{}
	for v, f := range versions {
		for _, a := range f.builtins() {
			out[a.Code()] = v
		}
	}
	return out
}

// MethodNumbers returns the method-number table (a struct of named
// abi.MethodNum fields) of the builtin actor of the given kind, from the
// newest actors version, whose numbers extend the older versions'; nil
// for an unknown kind.
func MethodNumbers(kind string) any {
	switch kind {
	case KindAccount:
		return builtin7.MethodsAccount
	case KindInit:
		return builtin7.MethodsInit
	case KindCron:
		return builtin7.MethodsCron
	case KindReward:
		return builtin7.MethodsReward
	case KindMultisig:
		return builtin7.MethodsMultisig
	case KindPaych:
		return builtin7.MethodsPaych
	case KindMarket:
		return builtin7.MethodsMarket
	case KindPower:
		return builtin7.MethodsPower
	case KindMiner:
		return builtin7.MethodsMiner
	case KindVerifiedRegs:
		return builtin7.MethodsVerifiedRegistry
	case KindSystem:
		return struct{ Constructor abi.MethodNum }{builtin7.MethodConstructor}
	}
	return nil
}
