package migration_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	states6 "github.com/filecoin-project/specs-actors/v6/actors/states"
	adt6 "github.com/filecoin-project/specs-actors/v6/actors/util/adt"
	states7 "github.com/filecoin-project/specs-actors/v7/actors/states"
	adt7 "github.com/filecoin-project/specs-actors/v7/actors/util/adt"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/migration"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
)

// rawRoot is a versioned state root as stored: [version, actors, info].
type rawRoot struct {
	version      uint64
	actors, info cid.Cid
}

func (r *rawRoot) MarshalCBOR(w io.Writer) error {
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 3); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, r.version); err != nil {
		return err
	}
	if err := cbg.WriteCid(w, r.actors); err != nil {
		return err
	}
	return cbg.WriteCid(w, r.info)
}

// invariants6 and invariants7 run the actors' own invariant checks on an
// actors map and return the sorted messages and the sum of balances.
func invariants6(t *testing.T, store ipldcbor.IpldStore, actors cid.Cid, prior abi.ChainEpoch) ([]string, abi.TokenAmount) {
	t.Helper()
	tree, err := states6.LoadTree(adt6.WrapStore(context.Background(), store), actors)
	if err != nil {
		t.Fatal(err)
	}
	sum := big.Zero()
	if err := tree.ForEach(func(_ address.Address, a *states6.Actor) error { sum = big.Add(sum, a.Balance); return nil }); err != nil {
		t.Fatal(err)
	}
	acc, err := states6.CheckStateInvariants(tree, sum, prior)
	if err != nil {
		t.Fatal(err)
	}
	msgs := append([]string(nil), acc.Messages()...)
	sort.Strings(msgs)
	return msgs, sum
}

func invariants7(t *testing.T, store ipldcbor.IpldStore, actors cid.Cid, total abi.TokenAmount, prior abi.ChainEpoch) ([]string, abi.TokenAmount) {
	t.Helper()
	tree, err := states7.LoadTree(adt7.WrapStore(context.Background(), store), actors)
	if err != nil {
		t.Fatal(err)
	}
	sum := big.Zero()
	if err := tree.ForEach(func(_ address.Address, a *states7.Actor) error { sum = big.Add(sum, a.Balance); return nil }); err != nil {
		t.Fatal(err)
	}
	acc, err := states7.CheckStateInvariants(tree, total, prior)
	if err != nil {
		t.Fatal(err)
	}
	msgs := append([]string(nil), acc.Messages()...)
	sort.Strings(msgs)
	return msgs, sum
}

// v6State is one specs-actors-v6 corpus pre-state in a store of its own.
type v6State struct {
	file  string
	bs    *chain.MemBlocks
	root  cid.Cid // under a version 4 root, as the network held it
	prior abi.ChainEpoch
}

// specsActorsV6Files lists the specs-actors-v6 corpus, or skips.
func specsActorsV6Files(tb testing.TB) []string {
	tb.Helper()
	dir := filepath.Join(testcorpus.RepoRoot(tb), "..", "shared", "test-vectors", "specs-actors-v6", "corpus")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("specs-actors-v6 corpus not found: %v", err)
	}
	files, err := schema.Walk(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// loadV6State reads a vector's pre-state into a fresh store. The scenario
// VM records its roots as state-tree version 3, which no network paired
// with actors v6 (nv13 brought version 4, with the same actors map
// layout), so the same actors map is put under a version 4 root.
func loadV6State(tb testing.TB, file string) v6State {
	tb.Helper()
	ctx := context.Background()
	v, err := schema.LoadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := v.CARv1(0)
	if err != nil {
		tb.Fatal(err)
	}
	bs := chain.NewMemBlocks()
	if _, err := bs.ImportCAR(bytes.NewReader(raw)); err != nil {
		tb.Fatal(err)
	}
	store := ipldcbor.NewCborStore(bs)
	var in []any
	if err := store.Get(ctx, v.Pre.StateTree.RootCID, &in); err != nil || len(in) != 3 {
		tb.Fatalf("%s: pre-state root: %v", file, err)
	}
	actors, _ := in[1].(cid.Cid)
	info, _ := in[2].(cid.Cid)
	root, err := store.Put(ctx, &rawRoot{version: 4, actors: actors, info: info})
	if err != nil {
		tb.Fatal(err)
	}
	return v6State{file: file, bs: bs, root: root, prior: abi.ChainEpoch(v.Pre.Variants[0].Epoch) - 1}
}

// The nv15 migration on every pre-state of the specs-actors-v6 corpus:
// complete actors v6 states (miners with sectors, deadlines and deals,
// markets, multisigs, payment channels, verified clients) that specs-actors'
// own scenario tests produced. Each migrates to actors v7 with the same
// root for 1 and 3 workers, the FIL total unchanged, and v7's invariant
// checks finding exactly what v6's found before: the scenario VM does not
// run the reward actor's update every epoch, so most of its states carry
// the reward actor's epoch and baseline messages already; 30 carry none.
//
// The pre-states are presented under the version 4 root the network used
// (see loadV6State).
func TestSpecsActorsV6StatesToNV15(t *testing.T) {
	files := specsActorsV6Files(t)
	if testing.Short() && len(files) > 40 {
		files = files[:40]
	}
	ctx := context.Background()
	ohsnap, _ := protocol.Mainnet().ByCodename("ohsnap")
	clean, actorsSeen := 0, 0
	for _, f := range files {
		var roots []cid.Cid
		for w := 1; w <= 3; w += 2 {
			s := loadV6State(t, f)
			store := ipldcbor.NewCborStore(s.bs)
			before, total := invariants6(t, store, versionedActors(t, store, s.root), s.prior)
			st, err := migration.Apply(ctx, s.bs, s.root, ohsnap, s.prior, migration.Options{Workers: w})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			after, sum := invariants7(t, store, versionedActors(t, store, st.Out), total, s.prior)
			if !sum.Equals(total) || !st.TotalAfter.Equals(total) {
				t.Errorf("%s: total %s before, %s after", f, total, sum)
			}
			if strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Errorf("%s: invariants before (v6) %q, after (v7) %q", f, before, after)
			}
			if w == 1 {
				actorsSeen += st.Actors
				if len(before) == 0 {
					clean++
				}
			}
			roots = append(roots, st.Out)
		}
		if roots[0] != roots[1] {
			t.Errorf("%s: 1 worker %s, 3 workers %s", f, roots[0], roots[1])
		}
	}
	t.Logf("%d states (%d actors) migrated; %d satisfied every invariant before and after", len(files), actorsSeen, clean)
	if clean == 0 {
		t.Error("no state was clean: the invariant comparison checks nothing")
	}
}

// BenchmarkSpecsActorsV6ToNV15 runs the nv15 migration on every pre-state
// of the specs-actors-v6 corpus (miners with sectors and deadlines,
// markets, multisigs, payment channels) and reports actors per second.
//
//	go test -run - -bench SpecsActorsV6ToNV15 ./migration
func BenchmarkSpecsActorsV6ToNV15(b *testing.B) {
	ctx := context.Background()
	files := specsActorsV6Files(b)
	ohsnap, _ := protocol.Mainnet().ByCodename("ohsnap")
	migrated := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		states := make([]v6State, len(files))
		for j, f := range files {
			states[j] = loadV6State(b, f)
		}
		b.StartTimer()
		for _, s := range states {
			st, err := migration.Apply(ctx, s.bs, s.root, ohsnap, s.prior, migration.Options{Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			migrated += st.Actors
		}
	}
	b.ReportMetric(float64(migrated)/b.Elapsed().Seconds(), "actors/s")
}
