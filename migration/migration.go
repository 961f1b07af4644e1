// Package migration runs the state migrations the network ran at its
// upgrades, through the migration packages specs-actors ships for each new
// actors version (nv4: actors v2, nv10: v3, nv12: v4, nv13: v5, nv14: v6,
// nv15: v7) and for Calico's correction of power claims within actors v2
// (nv7, which only mainnet ran), and the one state edit mainnet's nodes
// made beside a migration that touches its result: at Trust, removing the
// account of the zero BLS key (protocol.Upgrade.Surgery). The protocol table says which upgrade carries which migration
// (protocol.Upgrade.Migration); this package knows how to run each by name,
// and nothing here states an epoch.
//
// A migration reads the whole state tree and writes a new one beside it;
// the input blocks stay where they are. The result depends only on the
// input state and the epoch: the number of workers changes how fast it
// runs, never the root it produces.
package migration

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/state"
)

// Errors a migration reports, for callers that tell them apart (errors.Is).
var (
	// ErrNotStateTree: the root is not a state tree this package can read
	// (no versioned state root, no actors map with an init actor of a known
	// actors version), or not the one the source version runs.
	ErrNotStateTree = errors.New("not a state tree")
	// ErrUnreachable: no chain of migrations leads from the source network
	// version to the target (the target is older, unknown to the table, or
	// beyond the versions whose migrations this package runs).
	ErrUnreachable = errors.New("network version unreachable")
	// ErrMissingBlock: the store could not produce a block the state
	// refers to.
	ErrMissingBlock = errors.New("missing block")
)

// Options tune a run without changing its result.
type Options struct {
	// Workers is how many actors are migrated at once (0: GOMAXPROCS).
	Workers int
	// Logf receives the migration packages' progress lines; nil discards
	// them.
	Logf func(format string, args ...any)
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Counts are the actors of one kind before and after a migration step:
// their code CIDs and how many there were.
type Counts struct {
	// Kind is the builtin kind ("account", "storageminer", ...).
	Kind string
	// In and Out are the kind's code CIDs in the input and output trees.
	In, Out       cid.Cid
	Before, After int
	// BalanceBefore and BalanceAfter sum the kind's balances.
	BalanceBefore, BalanceAfter abi.TokenAmount
}

// Step is what one migration did.
type Step struct {
	// Upgrade is the protocol row whose migration ran.
	Upgrade protocol.Upgrade
	// In and Out are the state roots before and after.
	In, Out cid.Cid
	// Codes counts the actors per kind, sorted by kind.
	Codes []Counts
	// Actors is the number of actors in the input tree.
	Actors int
	// TotalBefore and TotalAfter are the sums of every actor's balance.
	TotalBefore, TotalAfter abi.TokenAmount
	// Elapsed is the time the migration itself took (not the counting).
	Elapsed time.Duration
}

// Result is a run of consecutive migrations.
type Result struct {
	// Root is the final state root (the input root when no migration ran).
	Root  cid.Cid
	Steps []Step
}

// Plan returns the upgrades of table whose migrations take a state from
// network version from to version to, in order. A version the table does
// not know, a target below the source, or a migration this package cannot
// run on the way (such as the FVM's) is ErrUnreachable.
func Plan(table *protocol.Table, from, to network.Version) ([]protocol.Upgrade, error) {
	if !table.Known(from) {
		return nil, fmt.Errorf("%w: %s has no network version %d", ErrUnreachable, table.Network(), from)
	}
	if !table.Known(to) {
		return nil, fmt.Errorf("%w: %s has no network version %d (it knows 0..%d)", ErrUnreachable, table.Network(), to, table.MaxVersion())
	}
	if to < from {
		return nil, fmt.Errorf("%w: network version %d is older than the state's %d; migrations only go forward", ErrUnreachable, to, from)
	}
	var out []protocol.Upgrade
	for _, u := range table.Upgrades() {
		if u.Version <= from || u.Version > to {
			continue
		}
		if u.VM != protocol.LegacyVM {
			return nil, fmt.Errorf("%w: network version %d (%s) runs the FVM; its state migration is not implemented (the newest reachable is the last pre-FVM version)", ErrUnreachable, u.Version, u.Codename)
		}
		if u.Migration == "" {
			continue
		}
		if _, ok := migrations[u.Migration]; !ok {
			return nil, fmt.Errorf("%w: %s's migration %q is not one this package runs", ErrUnreachable, u.Codename, u.Migration)
		}
		if _, ok := surgeries[u.Surgery]; u.Surgery != "" && !ok {
			return nil, fmt.Errorf("%w: %s's surgery %q is not one this package runs", ErrUnreachable, u.Codename, u.Surgery)
		}
		out = append(out, u)
	}
	return out, nil
}

// Run migrates the state at root, which network version from runs, to
// network version to on table's schedule: each migration on the way, in
// order, each at its upgrade's height (the epoch the network ran it at).
// New blocks are written to bs.
func Run(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid, table *protocol.Table, from, to network.Version, opts Options) (*Result, error) {
	plan, err := Plan(table, from, to)
	if err != nil {
		return nil, err
	}
	act, _ := table.Activation(from)
	if _, err := checkActors(ctx, bs, root, act.ActorsVersion); err != nil {
		return nil, fmt.Errorf("network version %d: %w", from, err)
	}
	res := &Result{Root: root}
	for _, u := range plan {
		st, err := Apply(ctx, bs, res.Root, u, u.Epoch, opts)
		if err != nil {
			return nil, err
		}
		res.Steps = append(res.Steps, st)
		res.Root = st.Out
	}
	return res, nil
}

// Apply runs u's migration on the state at root, as the network ran it
// after the cron of priorEpoch, then u's surgery if it names one, and
// returns what it did. The state must be of the actors version the
// migration starts from.
func Apply(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid, u protocol.Upgrade, priorEpoch abi.ChainEpoch, opts Options) (Step, error) {
	m, ok := migrations[u.Migration]
	if !ok {
		return Step{}, fmt.Errorf("%w: %s has no migration tvx runs (%q)", ErrUnreachable, u.Codename, u.Migration)
	}
	fail := func(err error) (Step, error) {
		return Step{}, fmt.Errorf("%s migration (%s, network version %d) of %s: %w", u.Migration, u.Codename, u.Version, root, err)
	}
	if m.outTree != u.StateTreeVersion || m.outActors != u.ActorsVersion {
		return fail(fmt.Errorf("the table's row says state tree %d, actors v%d; the migration makes state tree %d, actors v%d",
			u.StateTreeVersion, u.ActorsVersion, m.outTree, m.outActors))
	}
	ts := &trackingStore{ctx: ctx, bs: bs}
	store := ipldcbor.NewCborStore(ts)
	before, err := census(ctx, store, root, m.inActors)
	if err != nil {
		return fail(ts.classify(err))
	}
	rt, err := readRoot(ctx, store, root)
	if err != nil {
		return fail(ts.classify(err))
	}
	if rt.version != m.inTree {
		return fail(fmt.Errorf("%w: state tree version %d, the migration starts from version %d", ErrNotStateTree, rt.version, m.inTree))
	}

	start := time.Now()
	actorsOut, err := m.run(ctx, store, rt.actors, priorEpoch, opts)
	if err != nil {
		return fail(ts.classify(err))
	}
	info := rt.info
	if !info.Defined() {
		// The first versioned root carries an empty info object.
		if info, err = store.Put(ctx, emptyInfo{}); err != nil {
			return fail(fmt.Errorf("store state info: %w", err))
		}
	}
	out, err := store.Put(ctx, &stateRoot{version: m.outTree, actors: actorsOut, info: info})
	if err != nil {
		return fail(fmt.Errorf("store state root: %w", err))
	}
	if u.Surgery != "" {
		sg, ok := surgeries[u.Surgery]
		if !ok || protocol.ActorsVersion(sg.actors) != m.outActors {
			return fail(fmt.Errorf("%w: surgery %q is not one tvx runs on actors v%d", ErrUnreachable, u.Surgery, m.outActors))
		}
		if out, err = sg.run(ctx, store, out); err != nil {
			return fail(fmt.Errorf("surgery %s: %w", u.Surgery, ts.classify(err)))
		}
	}
	elapsed := time.Since(start)

	after, err := census(ctx, store, out, m.outActors)
	if err != nil {
		return fail(fmt.Errorf("the migrated state does not read back: %w", ts.classify(err)))
	}
	return Step{
		Upgrade: u, In: root, Out: out,
		Codes:  pair(before, after),
		Actors: before.actors, TotalBefore: before.total, TotalAfter: after.total,
		Elapsed: elapsed,
	}, nil
}

// Needed reports whether the state at root still has to go through u's
// migration: it runs the actors version the migration starts from. A state
// that already runs u's actors version (one made at the upgrade's height
// off-chain, by a generator that wrote the new actors directly) needs
// none; a state of any other actors version is ErrNotStateTree.
func Needed(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid, u protocol.Upgrade) (bool, error) {
	m, ok := migrations[u.Migration]
	if !ok {
		return false, fmt.Errorf("%w: %s has no migration tvx runs (%q)", ErrUnreachable, u.Codename, u.Migration)
	}
	v, err := ActorsVersion(ctx, bs, root)
	if err != nil {
		return false, err
	}
	switch v {
	case m.inActors:
		return true, nil
	case m.outActors:
		return false, nil
	}
	return false, fmt.Errorf("%w: %s runs actors v%d; %s's migration goes from v%d to v%d", ErrNotStateTree, root, v, u.Codename, m.inActors, m.outActors)
}

// tally is one state tree's actors counted by kind.
type tally struct {
	actors int
	total  abi.TokenAmount
	kinds  map[string]*kindTally
}

type kindTally struct {
	code    cid.Cid
	n       int
	balance abi.TokenAmount
}

// census walks the state tree at root, checking that it is a state tree
// of actors version want, and counts its actors and balances per kind.
func census(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid, want protocol.ActorsVersion) (*tally, error) {
	tree, err := checkActorsStore(ctx, store, root, want)
	if err != nil {
		return nil, err
	}
	codes := builtin.Codes()
	t := &tally{total: big.Zero(), kinds: map[string]*kindTally{}}
	err = tree.ForEach(func(id address.Address, act *state.Actor) error {
		v, ok := codes[act.Code]
		if !ok || v != want {
			return fmt.Errorf("%w: actor %s has code %s, not an actors v%d builtin", ErrNotStateTree, id, act.Code, want)
		}
		kind := builtin.KindOf(act.Code)
		k := t.kinds[kind]
		if k == nil {
			k = &kindTally{code: act.Code, balance: big.Zero()}
			t.kinds[kind] = k
		}
		k.n++
		k.balance = big.Add(k.balance, act.Balance)
		t.actors++
		t.total = big.Add(t.total, act.Balance)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk the actors: %w", err)
	}
	return t, nil
}

// pair lines up the kinds of the two trees.
func pair(before, after *tally) []Counts {
	kinds := map[string]bool{}
	for k := range before.kinds {
		kinds[k] = true
	}
	for k := range after.kinds {
		kinds[k] = true
	}
	out := make([]Counts, 0, len(kinds))
	for k := range kinds {
		c := Counts{Kind: k, BalanceBefore: big.Zero(), BalanceAfter: big.Zero()}
		if b := before.kinds[k]; b != nil {
			c.In, c.Before, c.BalanceBefore = b.code, b.n, b.balance
		}
		if a := after.kinds[k]; a != nil {
			c.Out, c.After, c.BalanceAfter = a.code, a.n, a.balance
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// initActor is the init actor's address, which every state tree has.
var initActor = func() address.Address {
	a, err := address.NewIDAddress(1)
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return a
}()

// checkActors opens the state tree at root and checks that it runs actors
// version want, judged by its init actor's code.
func checkActors(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid, want protocol.ActorsVersion) (*state.Tree, error) {
	ts := &trackingStore{ctx: ctx, bs: bs}
	tree, err := checkActorsStore(ctx, ipldcbor.NewCborStore(ts), root, want)
	return tree, ts.classify(err)
}

func checkActorsStore(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid, want protocol.ActorsVersion) (*state.Tree, error) {
	got, tree, err := actorsVersion(ctx, store, root)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("%w: %s holds actors v%d state, expected actors v%d", ErrNotStateTree, root, got, want)
	}
	return tree, nil
}

// ActorsVersion returns the actors version the state tree at root runs,
// judged by its init actor's code: ErrNotStateTree when root is no state
// tree, ErrMissingBlock when the store lacks a block on the way.
func ActorsVersion(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid) (protocol.ActorsVersion, error) {
	ts := &trackingStore{ctx: ctx, bs: bs}
	v, _, err := actorsVersion(ctx, ipldcbor.NewCborStore(ts), root)
	return v, ts.classify(err)
}

func actorsVersion(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (protocol.ActorsVersion, *state.Tree, error) {
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s: %v", ErrNotStateTree, root, err)
	}
	act, err := tree.GetActor(initActor)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s has no init actor (%v)", ErrNotStateTree, root, err)
	}
	v, ok := builtin.Codes()[act.Code]
	if !ok || builtin.KindOf(act.Code) != builtin.KindInit {
		return 0, nil, fmt.Errorf("%w: %s: the actor at f01 has code %s, not a known init actor", ErrNotStateTree, root, act.Code)
	}
	return v, tree, nil
}
