package migration_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	reward0 "github.com/filecoin-project/specs-actors/actors/builtin/reward"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	account2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/account"
	states2 "github.com/filecoin-project/specs-actors/v2/actors/states"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	states3 "github.com/filecoin-project/specs-actors/v3/actors/states"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	states4 "github.com/filecoin-project/specs-actors/v4/actors/states"
	adt4 "github.com/filecoin-project/specs-actors/v4/actors/util/adt"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	states5 "github.com/filecoin-project/specs-actors/v5/actors/states"
	adt5 "github.com/filecoin-project/specs-actors/v5/actors/util/adt"
	builtin6 "github.com/filecoin-project/specs-actors/v6/actors/builtin"
	states6 "github.com/filecoin-project/specs-actors/v6/actors/states"
	adt6 "github.com/filecoin-project/specs-actors/v6/actors/util/adt"
	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	states7 "github.com/filecoin-project/specs-actors/v7/actors/states"
	adt7 "github.com/filecoin-project/specs-actors/v7/actors/util/adt"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/migration"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/state"
)

// genesis loads a real genesis CAR into a fresh in-memory store and
// returns the store and the genesis state root.
func genesis(t testing.TB, network string) (*chain.MemBlocks, cid.Cid) {
	t.Helper()
	path := testcorpus.GenesisCARs(t)[network]
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bs := chain.NewMemBlocks()
	if _, err := bs.ImportCAR(f); err != nil {
		t.Fatal(err)
	}
	src, err := chain.OpenCAR(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	head, err := src.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bs, head.ParentState()
}

// total0 sums the balances of an actors v0.9 state tree with specs-actors'
// own tree reader.
func total0(t testing.TB, store ipldcbor.IpldStore, root cid.Cid) abi.TokenAmount {
	t.Helper()
	tree, err := states0.LoadTree(adt0.WrapStore(context.Background(), store), root)
	if err != nil {
		t.Fatal(err)
	}
	sum := big.Zero()
	if err := tree.ForEach(func(_ address.Address, a *states0.Actor) error {
		sum = big.Add(sum, a.Balance)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sum
}

// versionedActors is the actors map root of a versioned state root.
func versionedActors(t testing.TB, store ipldcbor.IpldStore, root cid.Cid) cid.Cid {
	t.Helper()
	var raw []any
	if err := store.Get(context.Background(), root, &raw); err != nil {
		t.Fatalf("state root %s: %v", root, err)
	}
	if len(raw) != 3 {
		t.Fatalf("state root %s: %d fields", root, len(raw))
	}
	c, ok := raw[1].(cid.Cid)
	if !ok {
		t.Fatalf("state root %s: actors field is %T", root, raw[1])
	}
	return c
}

// messages is the shape of the invariant checks' accumulators.
type messages interface {
	IsEmpty() bool
	Messages() []string
}

// genesisFacts reads, in the actors v0.9 genesis state itself, the
// conditions later actors versions' invariant checks flag although every
// genesis had them (mainnet fixed its multisigs at Ignition, an upgrade
// that rewrote state by hand rather than by migration), and returns the
// beginnings of the messages they give: after each migration, exactly these
// must remain.
func genesisFacts(t testing.TB, store ipldcbor.IpldStore, root cid.Cid) []string {
	t.Helper()
	ctx := context.Background()
	tree, err := states0.LoadTree(adt0.WrapStore(ctx, store), root)
	if err != nil {
		t.Fatal(err)
	}
	var facts []string
	err = tree.ForEach(func(a address.Address, act *states0.Actor) error {
		switch act.Code {
		case builtin0.RewardActorCodeID:
			var st reward0.State
			if err := store.Get(ctx, act.Head, &st); err != nil {
				return err
			}
			if st.EffectiveNetworkTime > st.Epoch {
				facts = append(facts, a.String()+" reward: effective network time greater than state epoch")
			}
			if st.EffectiveBaselinePower.GreaterThan(st.ThisEpochBaselinePower) {
				facts = append(facts, a.String()+" reward: effective baseline power > baseline power")
			}
		case builtin0.MultisigActorCodeID:
			var st multisig0.State
			if err := store.Get(ctx, act.Head, &st); err != nil {
				return err
			}
			if st.InitialBalance.Sign() > 0 && st.UnlockDuration == 0 {
				facts = append(facts, a.String()+" multisig: non-zero locked balance")
			}
		case builtin0.InitActorCodeID:
			var st init0.State
			if err := store.Get(ctx, act.Head, &st); err != nil {
				return err
			}
			m, err := adt0.AsMap(adt0.WrapStore(ctx, store), st.AddressMap)
			if err != nil {
				return err
			}
			var id cbg.CborInt
			return m.ForEach(&id, func(string) error {
				if id < builtin0.FirstNonSingletonActorId {
					facts = append(facts, fmt.Sprintf("%s init: unexpected singleton ID value %d", a, id))
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(facts)
	return facts
}

// checkInvariants runs actors version v's own state invariant checks on
// the tree at root, expecting every balance to sum to total and the
// invariants to flag exactly the genesis facts.
func checkInvariants(t *testing.T, v protocol.ActorsVersion, store ipldcbor.IpldStore, root cid.Cid, total abi.TokenAmount, prior abi.ChainEpoch, facts []string) {
	t.Helper()
	ctx := context.Background()
	actors := versionedActors(t, store, root)
	var acc messages
	var err error
	sum := big.Zero()
	add := func(b abi.TokenAmount) { sum = big.Add(sum, b) }
	switch v {
	case 2:
		tree, lerr := states2.LoadTree(adt2.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states2.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin2.MessageAccumulator
		a, err = states2.CheckStateInvariants(tree, total, prior)
		acc = a
	case 3:
		tree, lerr := states3.LoadTree(adt3.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states3.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin3.MessageAccumulator
		a, err = states3.CheckStateInvariants(tree, total, prior)
		acc = a
	case 4:
		tree, lerr := states4.LoadTree(adt4.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states4.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin4.MessageAccumulator
		a, err = states4.CheckStateInvariants(tree, total, prior)
		acc = a
	case 5:
		tree, lerr := states5.LoadTree(adt5.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states5.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin5.MessageAccumulator
		a, err = states5.CheckStateInvariants(tree, total, prior)
		acc = a
	case 6:
		tree, lerr := states6.LoadTree(adt6.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states6.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin6.MessageAccumulator
		a, err = states6.CheckStateInvariants(tree, total, prior)
		acc = a
	case 7:
		tree, lerr := states7.LoadTree(adt7.WrapStore(ctx, store), actors)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if err := tree.ForEach(func(_ address.Address, a *states7.Actor) error { add(a.Balance); return nil }); err != nil {
			t.Fatal(err)
		}
		var a *builtin7.MessageAccumulator
		a, err = states7.CheckStateInvariants(tree, total, prior)
		acc = a
	default:
		t.Fatalf("no invariant checks for actors v%d", v)
	}
	if err != nil {
		t.Fatalf("actors v%d invariants: %v", v, err)
	}
	msgs := append([]string(nil), acc.Messages()...)
	sort.Strings(msgs)
	ok := len(msgs) == len(facts)
	for i := 0; ok && i < len(msgs); i++ {
		ok = strings.HasPrefix(msgs[i], facts[i])
	}
	if !ok {
		t.Errorf("actors v%d invariants of %s:\n  got  %q\n  want %q", v, root, msgs, facts)
	}
	if !sum.Equals(total) {
		t.Errorf("actors v%d: balances sum to %s, before the migrations %s", v, sum, total)
	}
}

// Both real genesis states (complete trees: every actor's state is in the
// CAR) go from network version 0 through every migration of their
// network's schedule up to nv15 (mainnet's seven, calibnet's six: Calico's
// was mainnet's alone), one step at a time; after each step the new actors
// version's own invariant checks hold and the balances still sum to the
// genesis total.
func TestGenesisThroughEveryMigration(t *testing.T) {
	ctx := context.Background()
	for net, table := range map[string]*protocol.Table{"mainnet": protocol.Mainnet(), "calibnet": protocol.Calibnet()} {
		plan, err := migration.Plan(table, 0, 15)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range plan {
			names = append(names, u.Migration)
		}
		want := migration.Names()
		if net != "mainnet" {
			want = []string{"nv4", "nv10", "nv12", "nv13", "nv14", "nv15"}
		}
		if fmt.Sprint(names) != fmt.Sprint(want) {
			t.Fatalf("%s: plan 0..15 runs %v, want %v", net, names, want)
		}
		t.Run(net, func(t *testing.T) {
			bs, root := genesis(t, net)
			store := ipldcbor.NewCborStore(bs)
			total := total0(t, store, root)
			facts := genesisFacts(t, store, root)
			t.Logf("genesis facts the invariants flag: %q", facts)
			// nv4 recomputes the reward actor's effective network time from
			// the cumulative realized power; on a state that never ran an
			// epoch that lands past the state's epoch 0. Every later
			// migration keeps the reward state as it is.
			const nv4Reward = "t02 reward: effective network time greater than state epoch"
			if i := sort.SearchStrings(facts, nv4Reward); i == len(facts) || facts[i] != nv4Reward {
				facts = append(facts, nv4Reward)
				sort.Strings(facts)
			}
			if total.Sign() <= 0 {
				t.Fatalf("genesis holds %s attoFIL", total)
			}
			for _, u := range plan {
				st, err := migration.Apply(ctx, bs, root, u, 0, migration.Options{Workers: 2})
				if err != nil {
					t.Fatalf("%s: %v", u.Migration, err)
				}
				// nv7 corrects power claims, which a genesis has right.
				if (st.Out == root) != (u.Migration == "nv7") {
					t.Fatalf("%s: root %s -> %s", u.Migration, root, st.Out)
				}
				if !st.TotalBefore.Equals(total) || !st.TotalAfter.Equals(total) {
					t.Errorf("%s: total %s before, %s after; genesis %s", u.Migration, st.TotalBefore, st.TotalAfter, total)
				}
				n := 0
				for _, c := range st.Codes {
					if c.Before != c.After {
						t.Errorf("%s: %d %s actors before, %d after", u.Migration, c.Before, c.Kind, c.After)
					}
					n += c.After
				}
				if n != st.Actors || n == 0 {
					t.Errorf("%s: per-kind counts sum to %d, the tree has %d actors", u.Migration, n, st.Actors)
				}
				checkInvariants(t, u.ActorsVersion, store, st.Out, total, -1, facts)
				root = st.Out
			}
		})
	}
}

// The number of workers changes how fast a migration runs, never the
// root it produces.
func TestWorkersDoNotChangeTheResult(t *testing.T) {
	ctx := context.Background()
	var roots []cid.Cid
	for _, w := range []int{1, 7} {
		bs, root := genesis(t, "mainnet")
		res, err := migration.Run(ctx, bs, root, protocol.Mainnet(), 0, 15, migration.Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Steps) != len(migration.Names()) {
			t.Fatalf("%d steps", len(res.Steps))
		}
		roots = append(roots, res.Root)
		for _, s := range res.Steps {
			t.Logf("workers %d: %s -> %s (%v)", w, s.Upgrade.Migration, s.Out, s.Elapsed)
		}
	}
	if roots[0] != roots[1] {
		t.Errorf("1 worker: %s, 7 workers: %s", roots[0], roots[1])
	}
}

// Each of the three failures the command names has its own error.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	table := protocol.Mainnet()

	// A version the migrations cannot reach: backwards, unknown, the FVM.
	for _, c := range []struct{ from, to network.Version }{{15, 14}, {0, 99}, {14, 16}} {
		bs, root := genesis(t, "mainnet")
		if _, err := migration.Run(ctx, bs, root, table, c.from, c.to, migration.Options{}); !errors.Is(err, migration.ErrUnreachable) {
			t.Errorf("%d -> %d: %v, want ErrUnreachable", c.from, c.to, err)
		}
	}

	// A root that is not a state tree: the genesis block's own header, and
	// a genesis state claimed to run actors v2.
	bs, root := genesis(t, "mainnet")
	src, err := chain.OpenCAR(testcorpus.GenesisCARs(t)["mainnet"])
	if err != nil {
		t.Fatal(err)
	}
	head, _ := src.Head(ctx)
	src.Close()
	if _, err := migration.Run(ctx, bs, head.Cids()[0], table, 0, 4, migration.Options{}); !errors.Is(err, migration.ErrNotStateTree) {
		t.Errorf("block header as root: %v, want ErrNotStateTree", err)
	}
	if _, err := migration.Run(ctx, bs, root, table, 4, 10, migration.Options{}); !errors.Is(err, migration.ErrNotStateTree) {
		t.Errorf("actors v0 state as nv4's: %v, want ErrNotStateTree", err)
	}

	// A missing block: drop one actor's state from the store.
	tree, err := states0.LoadTree(adt0.WrapStore(ctx, ipldcbor.NewCborStore(bs)), root)
	if err != nil {
		t.Fatal(err)
	}
	var victim cid.Cid
	if err := tree.ForEach(func(_ address.Address, a *states0.Actor) error {
		if !victim.Defined() {
			victim = a.Head
		}
		return nil
	}); err != nil || !victim.Defined() {
		t.Fatalf("no actor head to delete (%v)", err)
	}
	bs.Delete(victim)
	_, err = migration.Run(ctx, bs, root, table, 0, 4, migration.Options{})
	if !errors.Is(err, migration.ErrMissingBlock) || !strings.Contains(err.Error(), victim.String()) {
		t.Errorf("a deleted actor head %s: %v, want ErrMissingBlock naming it", victim, err)
	}
}

// Every pre-FVM upgrade of the mainnet table that brings a new actors
// version names the migration that makes it, and no other row but Calico
// names one.
func TestTableNamesEveryActorsMigration(t *testing.T) {
	rows := protocol.Mainnet().Upgrades()
	var named []string
	for i, u := range rows[1:] {
		prev := rows[i]
		changes := u.VM == protocol.LegacyVM && u.ActorsVersion != prev.ActorsVersion
		// Calico's migration corrects power claims within actors v2.
		if changes != (u.Migration != "") && u.Codename != "calico" {
			t.Errorf("%s: actors v%d -> v%d, migration %q", u.Codename, prev.ActorsVersion, u.ActorsVersion, u.Migration)
		}
		if u.Migration != "" {
			named = append(named, u.Migration)
		}
	}
	if fmt.Sprint(named) != fmt.Sprint(migration.Names()) {
		t.Errorf("the table names %v, the package runs %v", named, migration.Names())
	}
}

// Needed tells a state that still has to migrate from one that already
// runs the upgrade's actors, and refuses a state of neither.
func TestNeeded(t *testing.T) {
	ctx := context.Background()
	m := protocol.Mainnet()
	v2, _ := m.ByCodename("actorsv2")
	v4, _ := m.ByCodename("turbo")
	bs, root := genesis(t, "mainnet")
	if need, err := migration.Needed(ctx, bs, root, v2); err != nil || !need {
		t.Errorf("genesis at actorsv2: %v, %v", need, err)
	}
	st, err := migration.Apply(ctx, bs, root, v2, 0, migration.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if need, err := migration.Needed(ctx, bs, st.Out, v2); err != nil || need {
		t.Errorf("actors v2 state at actorsv2: %v, %v", need, err)
	}
	if _, err := migration.Needed(ctx, bs, st.Out, v4); !errors.Is(err, migration.ErrNotStateTree) {
		t.Errorf("actors v2 state at turbo: %v, want ErrNotStateTree", err)
	}
}

// Mainnet's Trust upgrade removes the zero BLS key's account after the
// nv10 migration: its balance goes to the burnt-funds actor and its key
// leaves the init actor's map; calibnet's Trust does not. The account is
// planted (funded from another actor, so the total holds) in the real
// mainnet genesis state migrated to actors v2.
func TestTrustRemovesTheZeroBLSAccount(t *testing.T) {
	ctx := context.Background()
	bs, root := genesis(t, "mainnet")
	store := ipldcbor.NewCborStore(bs)
	total := total0(t, store, root)
	v2, _ := protocol.Mainnet().ByCodename("actorsv2")
	st, err := migration.Apply(ctx, bs, root, v2, 0, migration.Options{})
	if err != nil {
		t.Fatal(err)
	}

	zero := builtin.ZeroBLSKey()
	tree, err := state.Load(ctx, store, st.Out)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tree.RegisterNewAddress(zero)
	if err != nil {
		t.Fatal(err)
	}
	code, err := builtin.Code(2, builtin.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	head, err := store.Put(ctx, &account2.State{Address: zero})
	if err != nil {
		t.Fatal(err)
	}
	amount := big.NewInt(12345)
	donor, _ := address.NewIDAddress(101)
	if err := tree.MutateActor(donor, func(a *state.Actor) error { a.Balance = big.Sub(a.Balance, amount); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := tree.SetActor(id, &state.Actor{Code: code, Head: head, Balance: amount}); err != nil {
		t.Fatal(err)
	}
	planted, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}

	burnt := func(root cid.Cid) abi.TokenAmount {
		tr, err := state.Load(ctx, store, root)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := address.NewIDAddress(99)
		act, err := tr.GetActor(a)
		if err != nil {
			t.Fatal(err)
		}
		return act.Balance
	}
	mainTrust, _ := protocol.Mainnet().ByCodename("trust")
	calTrust, _ := protocol.Calibnet().ByCodename("trust")
	if mainTrust.Surgery == "" || calTrust.Surgery != "" {
		t.Fatalf("surgery: mainnet %q, calibnet %q", mainTrust.Surgery, calTrust.Surgery)
	}
	kept, err := migration.Apply(ctx, bs, planted, calTrust, 0, migration.Options{})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := migration.Apply(ctx, bs, planted, mainTrust, 0, migration.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := burnt(removed.Out), big.Add(burnt(kept.Out), amount); !got.Equals(want) {
		t.Errorf("burnt funds %s after mainnet's Trust, want %s", got, want)
	}
	for name, r := range map[string]cid.Cid{"calibnet": kept.Out, "mainnet": removed.Out} {
		tr, err := state.Load(ctx, store, r)
		if err != nil {
			t.Fatal(err)
		}
		_, lerr := tr.LookupID(zero)
		_, gerr := tr.GetActor(id)
		if has := lerr == nil && gerr == nil; has != (name == "calibnet") {
			t.Errorf("%s's Trust: zero BLS account present %v (lookup %v, actor %v)", name, has, lerr, gerr)
		}
		if got := migrationTotal(t, bs, r); !got.Equals(total) {
			t.Errorf("%s's Trust: total %s, genesis %s", name, got, total)
		}
	}
	if removed.Actors != kept.Actors || !removed.TotalAfter.Equals(total) {
		t.Errorf("step: %d vs %d actors in, total after %s", removed.Actors, kept.Actors, removed.TotalAfter)
	}
}

// migrationTotal sums the balances of any state tree version.
func migrationTotal(t *testing.T, bs ipldcbor.IpldBlockstore, root cid.Cid) abi.TokenAmount {
	t.Helper()
	tr, err := state.Load(context.Background(), ipldcbor.NewCborStore(bs), root)
	if err != nil {
		t.Fatal(err)
	}
	sum := big.Zero()
	if err := tr.ForEach(func(_ address.Address, a *state.Actor) error { sum = big.Add(sum, a.Balance); return nil }); err != nil {
		t.Fatal(err)
	}
	return sum
}
