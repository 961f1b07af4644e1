// Package migrationtest builds test material for runs that cross upgrades:
// a protocol table with mainnet's migrating upgrades at early heights, and
// tipset vectors on the real mainnet genesis state that run through them.
package migrationtest

import (
	"bytes"
	"context"
	"math/big"
	"os"
	"sort"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	fbig "github.com/filecoin-project/go-state-types/big"
	tvschema "github.com/filecoin-project/test-vectors/schema"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	states7 "github.com/filecoin-project/specs-actors/v7/actors/states"
	adt7 "github.com/filecoin-project/specs-actors/v7/actors/util/adt"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/state"
)

// Network is the name of EarlyTable's network.
const Network = "early-upgrades"

// Heights is EarlyTable's schedule: every upgrade up to OhSnap within a
// dozen epochs, those with a migration each at a height of its own (nv4 at
// 2, nv10 at 4, nv12 at 6, nv13 at 8, nv14 at 10, nv15 at 12; Calico's
// migration is mainnet's alone).
var Heights = map[string]abi.ChainEpoch{
	"breeze": 1, "smoke": 1, "ignition": 1, "refuel": 1, "actorsv2": 2, "tape": 3, "liftoff": 3,
	"kumquat": 3, "calico": 3, "persian": 3, "orange": 3, "claus": 3, "trust": 4, "norwegian": 5,
	"turbo": 6, "hyperdrive": 8, "chocolate": 10, "ohsnap": 12,
}

// EarlyTable is the table of network Network: a genesis at network version
// 0 and Heights as its schedule, so a chain from the genesis state runs
// every pre-FVM version and goes through six migrations in a dozen epochs.
// It is made from a schedule, as a devnet's is, so it also crosses the
// executor process protocol.
func EarlyTable(tb testing.TB) *protocol.Table {
	tb.Helper()
	t, err := protocol.FromSchedule(protocol.Schedule{Network: Network, GenesisVersion: 0, Heights: Heights})
	if err != nil {
		tb.Fatal(err)
	}
	if n := len(t.Migrations()); n != 6 {
		tb.Fatalf("EarlyTable has %d migrations, want 6", n)
	}
	return t
}

// Genesis loads the real mainnet genesis CAR into a fresh store and returns
// it with the genesis state root.
func Genesis(tb testing.TB) (*chain.MemBlocks, cid.Cid) {
	tb.Helper()
	path := testcorpus.GenesisCARs(tb)["mainnet"]
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	bs := chain.NewMemBlocksWithoutIdentity()
	if _, err := bs.ImportCAR(f); err != nil {
		tb.Fatal(err)
	}
	src, err := chain.OpenCAR(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	head, err := src.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return bs, head.ParentState()
}

// Offsets are the tipsets' epochs in TipsetVector: null rounds at 4 and 8,
// where trust's and hyperdrive's migrations then run after the null
// round's cron.
var Offsets = []int64{1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13}

// TipsetVector is a tipset vector of network Network on the mainnet genesis
// state: its variant runs at epoch 0 under network version 0, its tipsets
// at Offsets, each one block by the genesis miner f01000 carrying a
// transfer of 1 attoFIL between two funded genesis accounts. Its
// postconditions are empty (undefined post-state root), for a run or a
// chain build to fill in.
func TipsetVector(tb testing.TB) *schema.Vector {
	tb.Helper()
	ctx := context.Background()
	bs, root := Genesis(tb)
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		tb.Fatal(err)
	}
	// The two funded accounts with the lowest IDs, by key address.
	var accounts []address.Address
	for id := uint64(100); id < 200 && len(accounts) < 2; id++ {
		a, _ := address.NewIDAddress(id)
		act, err := tree.GetActor(a)
		if err != nil || builtin.KindOf(act.Code) != builtin.KindAccount || act.Balance.Sign() <= 0 {
			continue
		}
		key, err := builtin.AccountPubkey(ctx, store, act.Code, act.Head)
		if err != nil {
			tb.Fatal(err)
		}
		accounts = append(accounts, key)
	}
	if len(accounts) < 2 {
		tb.Fatalf("genesis has %d funded accounts below f0200", len(accounts))
	}
	miner, _ := address.NewIDAddress(1000)

	var tipsets []schema.Tipset
	for i, off := range Offsets {
		m := &vm.Message{From: accounts[0], To: accounts[1], Nonce: uint64(i), Value: fbig.NewInt(1),
			GasLimit: 10_000_000, GasFeeCap: fbig.NewInt(1000), GasPremium: fbig.NewInt(100)}
		raw, err := m.Serialize()
		if err != nil {
			tb.Fatal(err)
		}
		tipsets = append(tipsets, schema.Tipset{EpochOffset: off, BaseFee: *big.NewInt(100),
			Blocks: []schema.Block{{MinerAddr: miner, WinCount: 1, Messages: []tvschema.Base64EncodedBytes{raw}}}})
	}

	var car bytes.Buffer
	if err := chain.WriteCAR(&car, []cid.Cid{root}, bs.All()); err != nil {
		tb.Fatal(err)
	}
	gz, err := schema.EncodeCAR(car.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	v := &schema.Vector{Path: "early-upgrades.json"}
	v.Class = schema.ClassTipset
	v.Meta = &schema.Metadata{ID: "early-upgrades", Gen: []schema.GenerationData{{Source: "network:" + Network}}}
	v.CAR = gz
	v.Pre = &schema.Preconditions{
		Variants:  []schema.Variant{{ID: "genesis", Epoch: 0, NetworkVersion: 0}},
		StateTree: &schema.StateTree{RootCID: root},
		BaseFee:   big.NewInt(100),
	}
	v.Post = &schema.Postconditions{StateTree: &schema.StateTree{RootCID: cid.Undef}}
	v.ApplyTipsets = tipsets
	return v
}

// ActorsVersion is the actors version of the state at root in bs.
func ActorsVersion(tb testing.TB, bs ipldcbor.IpldBlockstore, root cid.Cid) protocol.ActorsVersion {
	tb.Helper()
	tree, err := state.Load(context.Background(), ipldcbor.NewCborStore(bs), root)
	if err != nil {
		tb.Fatal(err)
	}
	a, _ := address.NewIDAddress(1)
	act, err := tree.GetActor(a)
	if err != nil {
		tb.Fatal(err)
	}
	v, ok := builtin.Codes()[act.Code]
	if !ok {
		tb.Fatalf("init actor code %s unknown", act.Code)
	}
	return v
}

// Total sums every actor's balance in the state at root.
func Total(tb testing.TB, bs ipldcbor.IpldBlockstore, root cid.Cid) abi.TokenAmount {
	tb.Helper()
	tree, err := state.Load(context.Background(), ipldcbor.NewCborStore(bs), root)
	if err != nil {
		tb.Fatal(err)
	}
	sum := fbig.Zero()
	if err := tree.ForEach(func(_ address.Address, a *state.Actor) error {
		sum = fbig.Add(sum, a.Balance)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return sum
}

// Invariants runs actors v7's own state invariant checks on the state at
// root (a versioned root of actors v7), expecting every balance to sum to
// total, and returns their messages, sorted.
func Invariants(tb testing.TB, bs ipldcbor.IpldBlockstore, root cid.Cid, total abi.TokenAmount, prior abi.ChainEpoch) []string {
	tb.Helper()
	ctx := context.Background()
	store := ipldcbor.NewCborStore(bs)
	var raw []any
	if err := store.Get(ctx, root, &raw); err != nil || len(raw) != 3 {
		tb.Fatalf("state root %s: %v", root, err)
	}
	actors, ok := raw[1].(cid.Cid)
	if !ok {
		tb.Fatalf("state root %s: no actors map", root)
	}
	tree, err := states7.LoadTree(adt7.WrapStore(ctx, store), actors)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := states7.CheckStateInvariants(tree, total, prior)
	if err != nil {
		tb.Fatal(err)
	}
	msgs := append([]string(nil), acc.Messages()...)
	sort.Strings(msgs)
	return msgs
}

// LockedForever lists the actors v0.9 multisigs of the state at root that
// lock a balance with no unlock duration: a condition of mainnet's genesis
// (Lotus rewrote those multisigs at Ignition, by hand, not by migration)
// that later actors versions' invariant checks flag.
func LockedForever(tb testing.TB, bs ipldcbor.IpldBlockstore, root cid.Cid) []address.Address {
	tb.Helper()
	ctx := context.Background()
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		tb.Fatal(err)
	}
	var out []address.Address
	err = tree.ForEach(func(id address.Address, act *state.Actor) error {
		if act.Code != builtin0.MultisigActorCodeID {
			return nil
		}
		var st multisig0.State
		if err := store.Get(ctx, act.Head, &st); err != nil {
			return err
		}
		if st.InitialBalance.Sign() > 0 && st.UnlockDuration == 0 {
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
