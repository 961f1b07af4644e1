package actors

import (
	"context"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	init2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/init"
	miner2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/miner"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"

	"github.com/tvx-project/tvx/vm/netver"
)

// versionFacts are the per-actors-version facts the VM core relies on.
type versionFacts struct {
	account cid.Cid
	init    cid.Cid
	miner   cid.Cid
	// minerWorker reads the worker address from miner state of this version.
	minerWorker func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (address.Address, error)
	// loadInit decodes init actor state of this version.
	loadInit func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error)
}

var versions = map[netver.ActorsVersion]versionFacts{
	0: {
		account: builtin0.AccountActorCodeID,
		init:    builtin0.InitActorCodeID,
		miner:   builtin0.StorageMinerActorCodeID,
		minerWorker: func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (address.Address, error) {
			var st miner0.State
			if err := store.Get(ctx, head, &st); err != nil {
				return address.Undef, err
			}
			info, err := st.GetInfo(adt0.WrapStore(ctx, store))
			if err != nil {
				return address.Undef, err
			}
			return info.Worker, nil
		},
		loadInit: func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error) {
			var st init0.State
			if err := store.Get(ctx, head, &st); err != nil {
				return nil, err
			}
			return &initV0{st: &st, store: adt0.WrapStore(ctx, store)}, nil
		},
	},
	2: {
		account: builtin2.AccountActorCodeID,
		init:    builtin2.InitActorCodeID,
		miner:   builtin2.StorageMinerActorCodeID,
		minerWorker: func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (address.Address, error) {
			var st miner2.State
			if err := store.Get(ctx, head, &st); err != nil {
				return address.Undef, err
			}
			info, err := st.GetInfo(adt2.WrapStore(ctx, store))
			if err != nil {
				return address.Undef, err
			}
			return info.Worker, nil
		},
		loadInit: func(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error) {
			var st init2.State
			if err := store.Get(ctx, head, &st); err != nil {
				return nil, err
			}
			return &initV2{st: &st, store: adt2.WrapStore(ctx, store)}, nil
		},
	},
}

// AccountCode returns the account actor code CID of actors version v.
func AccountCode(v netver.ActorsVersion) (cid.Cid, error) {
	f, ok := versions[v]
	if !ok {
		return cid.Undef, fmt.Errorf("actors version %d is not supported", v)
	}
	return f.account, nil
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
	return nil, fmt.Errorf("unknown init actor code %s", code)
}

type initV0 struct {
	st    *init0.State
	store adt0.Store
}

func (s *initV0) ResolveAddress(a address.Address) (address.Address, bool, error) {
	return s.st.ResolveAddress(s.store, a)
}
func (s *initV0) MapAddressToNewID(a address.Address) (address.Address, error) {
	return s.st.MapAddressToNewID(s.store, a)
}
func (s *initV0) State() cbg.CBORMarshaler { return s.st }

type initV2 struct {
	st    *init2.State
	store adt2.Store
}

func (s *initV2) ResolveAddress(a address.Address) (address.Address, bool, error) {
	return s.st.ResolveAddress(s.store, a)
}
func (s *initV2) MapAddressToNewID(a address.Address) (address.Address, error) {
	return s.st.MapAddressToNewID(s.store, a)
}
func (s *initV2) State() cbg.CBORMarshaler { return s.st }

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

// codeName returns the name embedded in a builtin code CID (an identity
// multihash of e.g. "fil/2/account").
func codeName(code cid.Cid) (string, bool) {
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
