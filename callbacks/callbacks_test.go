package callbacks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/state"
)

// Vectors used here: two tipsets with ten null rounds before the first
// (actors v0), and fast single-tipset vectors at the genesis variant.
const rewardVector = "reward/reward--ok-miners-awarded-no-premiums--breeze.json"

var fastVectors = []string{
	"msg_application/duplicates--messages-deduplicated--genesis.json",
	"reward/penalties--not-penalized-insufficient-gas-for-return--genesis.json",
	"reward/penalties--penalize-bad-nonce-multiple-miners--genesis.json",
	"reward/penalties--penalize-inexistent-sender-multiple-miners--genesis.json",
	"reward/penalties--penalize-insufficient-balance-to-cover-gas--genesis.json",
}

func load(t *testing.T, rel string) *schema.Vector {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rawBalances reads every actor's balance from the state tree at root
// without going through vm/state: it decodes the state root and walks the
// actors HAMT with specs-actors' own maps.
func rawBalances(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid) (map[address.Address]big.Int, error) {
	store := ipldcbor.NewCborStore(bs)
	blk, err := bs.Get(ctx, root)
	if err != nil {
		return nil, err
	}
	// A versioned root is the tuple [version, actors, info]; version 0 is
	// the bare HAMT, whose encoding starts with its own tuple of two.
	version, actors := uint64(0), root
	br := cbg.GetPeeker(bytes.NewReader(blk.RawData()))
	if maj, n, err := cbg.CborReadHeader(br); err == nil && maj == cbg.MajArray && n == 3 {
		if _, version, err = cbg.CborReadHeader(br); err != nil {
			return nil, err
		}
		if actors, err = cbg.ReadCid(br); err != nil {
			return nil, err
		}
	}
	out := map[address.Address]big.Int{}
	var act states0.Actor
	collect := func(k string) error {
		a, err := address.NewFromBytes([]byte(k))
		if err != nil {
			return err
		}
		out[a] = act.Balance
		return nil
	}
	switch version {
	case 0:
		m, err := adt0.AsMap(adt0.WrapStore(ctx, store), actors)
		if err != nil {
			return nil, err
		}
		err = m.ForEach(&act, collect)
		return out, err
	case 1:
		m, err := adt2.AsMap(adt2.WrapStore(ctx, store), actors)
		if err != nil {
			return nil, err
		}
		err = m.ForEach(&act, collect)
		return out, err
	}
	return nil, fmt.Errorf("state root version %d", version)
}

// TestSaveBalancesMultiTipset checks save-balances on a two-tipset vector
// against balances read independently from each tipset's post-state.
func TestSaveBalancesMultiTipset(t *testing.T) {
	ctx := context.Background()
	v := load(t, rewardVector)
	variant := v.Pre.Variants[0]
	path := filepath.Join(t.TempDir(), "balances.txt")
	sb := NewSaveBalances(path)

	var want []string
	var roots []cid.Cid
	check := driver.CallbackFunc("independent", func(ctx context.Context, ev *driver.TipsetEvent) error {
		bal, err := rawBalances(ctx, readerStore{ev.Blocks}, ev.PostStateRoot)
		if err != nil {
			return err
		}
		ids := make([]uint64, 0, len(bal))
		byID := map[uint64]big.Int{}
		for a, b := range bal {
			id, err := address.IDFromAddress(a)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			byID[id] = b
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			want = append(want, fmt.Sprintf("%d f0%d %s", ev.Epoch, id, byID[id]))
		}
		roots = append(roots, ev.PostStateRoot)
		return nil
	})
	d := driver.New(driver.WithIncludeIncorrect(true), driver.WithCallbacks(sb, check))
	if out := d.Run(ctx, v, variant); out.Status != driver.Pass {
		t.Fatalf("%s: %s", out.Status, out.Reason)
	}
	if len(roots) != 2 {
		t.Fatalf("%d tipsets seen, want 2", len(roots))
	}
	// The last post-state is the vector's own expected state, so those
	// balances do not even depend on this VM.
	if roots[1] != v.Post.StateTree.RootCID {
		t.Fatalf("last post-state %s, vector expects %s", roots[1], v.Post.StateTree.RootCID)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file exists before Finish: %v", err)
	}
	if err := sb.Finish(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantText := fmt.Sprintf("# %s %s\n", v.Path, variant.ID) + strings.Join(want, "\n") + "\n"
	if string(got) != wantText {
		t.Fatalf("save-balances file:\n%s\nwant:\n%s", got, wantText)
	}
	// Numeric, not textual, order: f099 (burnt funds) precedes f0100.
	if i, j := strings.Index(wantText, " f099 "), strings.Index(wantText, " f0100 "); i < 0 || j < 0 || i > j {
		t.Fatalf("f099 at %d, f0100 at %d: want both, f099 first", i, j)
	}
	// The balances moved between the tipsets (rewards were paid).
	first := map[string]string{}
	changed := 0
	for _, l := range want {
		f := strings.Fields(l)
		if f[0] == fmt.Sprint(variant.Epoch+11) {
			first[f[1]] = f[2]
		} else if first[f[1]] != f[2] {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no balance changed between the two tipsets")
	}
}

// readerStore turns a read-only block view into the IPLD blockstore
// specs-actors' maps want; writes fail.
type readerStore struct{ r driver.BlockReader }

func (s readerStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	return s.r.Get(ctx, c)
}

func (readerStore) Put(context.Context, blocks.Block) error {
	return fmt.Errorf("read-only")
}

// memBlocks is an in-memory IPLD blockstore.
type memBlocks struct {
	mu sync.Mutex
	m  map[cid.Cid]blocks.Block
}

func (s *memBlocks) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[c]
	if !ok {
		return nil, fmt.Errorf("block %s not found", c)
	}
	return b, nil
}

func (s *memBlocks) Put(_ context.Context, b blocks.Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[b.Cid()] = b
	return nil
}

// TestSaveBalancesMissingNode checks that a state whose actors HAMT lacks a
// node fails save-balances, and that Finish then writes nothing, leaving an
// existing file as it was.
func TestSaveBalancesMissingNode(t *testing.T) {
	ctx := context.Background()
	bs := &memBlocks{m: map[cid.Cid]blocks.Block{}}
	tree, err := state.New(ctx, ipldcbor.NewCborStore(bs), protocol.StateTreeVersion(0))
	if err != nil {
		t.Fatal(err)
	}
	// Enough actors that the HAMT needs child nodes below its root.
	for i := uint64(0); i < 400; i++ {
		id, _ := address.NewIDAddress(100 + i)
		if err := tree.SetActor(id, &state.Actor{Code: vm.EmptyObjectCID(), Head: vm.EmptyObjectCID(), Balance: big.NewInt(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tree.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev := &driver.TipsetEvent{
		Vector:        &schema.Vector{Path: "hand-built"},
		Variant:       schema.Variant{ID: "v"},
		Epoch:         7,
		PostStateRoot: root,
		Blocks:        bs,
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "balances.txt")
	ok := NewSaveBalances(path)
	if err := ok.TipsetApplied(ctx, ev); err != nil {
		t.Fatalf("complete state: %v", err)
	}
	if err := ok.Finish(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 401 {
		t.Fatalf("%d lines, want a header and 400 actors", n)
	}

	// Drop one node the root links to (the actors' code and head CIDs it
	// also holds were never stored).
	var dropped cid.Cid
	rootBlock, err := bs.Get(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	err = cbg.ScanForLinks(bytes.NewReader(rootBlock.RawData()), func(c cid.Cid) {
		if _, stored := bs.m[c]; stored && !dropped.Defined() {
			dropped = c
		}
	})
	if err != nil || !dropped.Defined() {
		t.Fatalf("the HAMT has no node below its root (%v)", err)
	}
	delete(bs.m, dropped)
	bad := NewSaveBalances(path)
	err = bad.TipsetApplied(ctx, ev)
	if err == nil || !strings.Contains(err.Error(), dropped.String()) {
		t.Fatalf("missing node %s: got %v", dropped, err)
	}
	if err := bad.Finish(); err == nil {
		t.Fatal("Finish succeeded after a failed callback")
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, b) {
		t.Fatalf("file changed by a failed Finish (err %v)", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the earlier file (no temporary left)", len(entries))
	}

	// A failure before any file existed leaves none.
	fresh := filepath.Join(dir, "never.txt")
	c := NewSaveBalances(fresh)
	if err := c.TipsetApplied(ctx, ev); err == nil {
		t.Fatal("missing node not reported")
	}
	if err := c.Finish(); err == nil {
		t.Fatal("Finish succeeded after a failed callback")
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatalf("file written despite the failure: %v", err)
	}
}

// runAll runs every variant of vectors with d, on parallel goroutines when
// parallel is set, and fails the test on any run that does not pass.
func runAll(t *testing.T, d *driver.Driver, vectors []*schema.Vector, parallel bool) {
	t.Helper()
	var wg sync.WaitGroup
	for _, v := range vectors {
		for _, variant := range v.Pre.Variants {
			run := func(v *schema.Vector, variant schema.Variant) {
				defer wg.Done()
				if out := d.Run(context.Background(), v, variant); out.Status != driver.Pass {
					t.Errorf("%s %s: %s: %s", v.Path, variant.ID, out.Status, out.Reason)
				}
			}
			wg.Add(1)
			if parallel {
				go run(v, variant)
			} else {
				run(v, variant)
			}
		}
	}
	wg.Wait()
}

// TestCallbacksParallelDeterministic runs several vectors concurrently
// through both shipped callbacks and checks the files are byte for byte
// those of a sequential run in the reverse order.
func TestCallbacksParallelDeterministic(t *testing.T) {
	var vectors []*schema.Vector
	for _, rel := range append(fastVectors, rewardVector) {
		vectors = append(vectors, load(t, rel))
	}
	dir := t.TempDir()
	files := func(tag string, parallel bool, vs []*schema.Vector) (string, string) {
		bal := NewSaveBalances(filepath.Join(dir, tag+"-balances.txt"))
		sum := NewTipsetSummary(filepath.Join(dir, tag+"-summary.jsonl"))
		runAll(t, driver.New(driver.WithIncludeIncorrect(true), driver.WithCallbacks(bal, sum)), vs, parallel)
		for _, c := range []*Collector{bal, sum} {
			if err := c.Finish(); err != nil {
				t.Fatal(err)
			}
		}
		b1, err := os.ReadFile(bal.Path())
		if err != nil {
			t.Fatal(err)
		}
		b2, err := os.ReadFile(sum.Path())
		if err != nil {
			t.Fatal(err)
		}
		return string(b1), string(b2)
	}
	pb, ps := files("parallel", true, vectors)
	reversed := make([]*schema.Vector, len(vectors))
	for i, v := range vectors {
		reversed[len(vectors)-1-i] = v
	}
	sb, ss := files("sequential", false, reversed)
	if pb != sb {
		t.Errorf("save-balances differs between a parallel and a sequential run")
	}
	if ps != ss {
		t.Errorf("tipset-summary differs between a parallel and a sequential run:\n%s\n%s", ps, ss)
	}
	if n := strings.Count(pb, "\n# "); n+1 != len(vectors) || !strings.HasPrefix(pb, "# ") {
		t.Errorf("save-balances has %d run headers, want %d", n+1, len(vectors))
	}

	// One summary line per tipset, each a JSON object agreeing with the
	// vector it came from.
	lines := strings.Split(strings.TrimSuffix(ps, "\n"), "\n")
	byFile := map[string][]Summary{}
	for _, l := range lines {
		var s Summary
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("summary line %q: %v", l, err)
		}
		byFile[s.File] = append(byFile[s.File], s)
	}
	for _, v := range vectors {
		got := byFile[v.Path]
		if len(got) != len(v.ApplyTipsets) {
			t.Errorf("%s: %d summary lines, want %d", v.Path, len(got), len(v.ApplyTipsets))
			continue
		}
		for i, s := range got {
			if s.Tipset != i || s.ReceiptsRoot != v.Post.ReceiptsRoots[i].String() {
				t.Errorf("%s line %d: tipset %d receipts root %s, want %d %s", v.Path, i, s.Tipset, s.ReceiptsRoot, i, v.Post.ReceiptsRoots[i])
			}
			if s.BaseFee != v.ApplyTipsets[i].BaseFee.String() {
				t.Errorf("%s line %d: base fee %s, want %s", v.Path, i, s.BaseFee, v.ApplyTipsets[i].BaseFee.String())
			}
		}
		if last := got[len(got)-1]; last.StateRoot != v.Post.StateTree.RootCID.String() {
			t.Errorf("%s: last state root %s, want %s", v.Path, last.StateRoot, v.Post.StateTree.RootCID)
		}
	}
	// The reward vector applies one (deduplicated) message per tipset; its
	// receipts record the gas.
	for _, s := range byFile[load(t, rewardVector).Path] {
		if s.Messages != 1 || s.GasUsed == 0 {
			t.Errorf("reward tipset %d: %d messages, %d gas", s.Tipset, s.Messages, s.GasUsed)
		}
	}
}

// TestSpecs checks the table of shipped callbacks.
func TestSpecs(t *testing.T) {
	names := []string{}
	for _, s := range Specs() {
		names = append(names, s.Name)
		if c := s.New("x"); c.Name() != s.Name || c.Path() != "x" {
			t.Errorf("%s makes a callback named %q for %q", s.Name, c.Name(), c.Path())
		}
		if got, ok := Lookup(s.Name); !ok || got.Name != s.Name {
			t.Errorf("Lookup(%q) failed", s.Name)
		}
	}
	if strings.Join(names, ",") != "save-balances,tipset-summary" {
		t.Errorf("shipped callbacks %v", names)
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}
