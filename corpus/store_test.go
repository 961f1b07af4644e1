package corpus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filecoin-project/dagstore"
	"github.com/filecoin-project/dagstore/shard"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// logRecorder is a Logger that keeps the lines for assertions and passes
// them on to the test log.
type logRecorder struct {
	tb    testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	l.tb.Log(line)
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// last returns the last line containing substr, or "".
func (l *logRecorder) last(substr string) string {
	lines := l.all()
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return lines[i]
		}
	}
	return ""
}

var sanityLine = regexp.MustCompile(`^sanity check completed: (\d+) shards, (\d+) broken, (\d+) repaired$`)

func (l *logRecorder) sanity(tb testing.TB) (shards, broken, repaired int) {
	tb.Helper()
	line := l.last("sanity check completed")
	m := sanityLine.FindStringSubmatch(line)
	if m == nil {
		tb.Fatalf("no sanity summary line in the log (last: %q)", line)
	}
	fmt.Sscan(m[1], &shards)
	fmt.Sscan(m[2], &broken)
	fmt.Sscan(m[3], &repaired)
	return
}

// corpusFiles returns up to n vector files of the public corpus, spread
// evenly over it (n <= 0: all of them).
func corpusFiles(tb testing.TB, n int) []string {
	tb.Helper()
	files, err := schema.Walk(testcorpus.Shared(tb))
	if err != nil {
		tb.Fatal(err)
	}
	if n <= 0 || n >= len(files) {
		return files
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, files[i*len(files)/n])
	}
	return out
}

func loadVectors(tb testing.TB, files []string) []*schema.Vector {
	tb.Helper()
	out := make([]*schema.Vector, len(files))
	for i, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// subset sizes: the race detector slows indexing several times over.
func subsetSize(full int) int {
	if raceEnabled || testing.Short() {
		return 60
	}
	return full
}

func openTestStore(tb testing.TB, dir string, opts StoreOptions) (*Store, *logRecorder) {
	tb.Helper()
	logs := &logRecorder{tb: tb}
	opts.Logger = logs
	if opts.MemoryBelow == 0 {
		opts.MemoryBelow = -1 // exercise the store for every vector
	}
	s, err := OpenStore(context.Background(), dir, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, logs
}

// blocksOf returns every block of bs by CID string.
func blocksOf(tb testing.TB, bs Blockstore) map[string][]byte {
	tb.Helper()
	ctx := context.Background()
	ch, err := bs.AllKeysChan(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string][]byte)
	for c := range ch {
		blk, err := bs.Get(ctx, c)
		if err != nil {
			tb.Fatalf("get %s: %v", c, err)
		}
		out[c.String()] = blk.RawData()
	}
	return out
}

func sameBlocks(tb testing.TB, name string, want, got map[string][]byte) {
	tb.Helper()
	if len(want) != len(got) {
		tb.Fatalf("%s: store has %d blocks, memory %d", name, len(got), len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !bytes.Equal(w, g) {
			tb.Fatalf("%s: block %s differs between store and memory", name, k)
		}
	}
}

func TestStoreMatchesMemory(t *testing.T) {
	files := corpusFiles(t, subsetSize(0))
	vectors := loadVectors(t, files)
	s, logs := openTestStore(t, t.TempDir(), StoreOptions{})
	if n, b, r := logs.sanity(t); n != 0 || b != 0 || r != 0 {
		t.Fatalf("fresh store: sanity %d/%d/%d", n, b, r)
	}
	ctx := context.Background()
	keys := make(map[string]bool)
	for _, v := range vectors {
		mbs, mrel, err := Memory{}.Open(ctx, v)
		if err != nil {
			t.Fatalf("%s: memory: %v", v.Path, err)
		}
		want := blocksOf(t, mbs)
		mrel()
		for round := 0; round < 2; round++ { // cold (indexing), then warm
			sbs, srel, err := s.Open(ctx, v)
			if err != nil {
				t.Fatalf("%s: store (round %d): %v", v.Path, round, err)
			}
			sameBlocks(t, v.Path, want, blocksOf(t, sbs))
			for _, root := range []cid.Cid{v.Pre.StateTree.RootCID, v.Post.StateTree.RootCID} {
				ok, err := sbs.Has(ctx, root)
				if err != nil || !ok {
					t.Fatalf("%s: root %s not served by the store (%v)", v.Path, root, err)
				}
			}
			srel()
			srel() // release is idempotent
		}
		carv1, err := v.CARv1(0)
		if err != nil {
			t.Fatal(err)
		}
		keys[hashHex(carv1)] = true
	}
	waitAllAvailable(t, s)
	infos := s.Shards()
	if len(infos) != len(keys) {
		t.Fatalf("store lists %d shards, want %d distinct CARs", len(infos), len(keys))
	}
	for _, in := range infos {
		if !keys[in.Key] || in.State != "available" || in.IndexSize <= 0 || len(in.Vectors) == 0 {
			t.Fatalf("unexpected shard listing %+v", in)
		}
	}
}

func TestStoreErrorsMatchMemory(t *testing.T) {
	v := loadVectors(t, corpusFiles(t, 1))[0]
	s, _ := openTestStore(t, t.TempDir(), StoreOptions{})
	ctx := context.Background()

	// A pre-state root the CAR lacks.
	noRoot := *v
	noRoot.Path = "no-root.json"
	noRoot.Pre = &schema.Preconditions{}
	*noRoot.Pre = *v.Pre
	missing, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: multihash.SHA2_256, MhLength: -1}.Sum([]byte("absent"))
	if err != nil {
		t.Fatal(err)
	}
	noRoot.Pre.StateTree = &schema.StateTree{RootCID: missing}

	// A CAR field that is not gzip, and a gzip stream that is not a CAR.
	notGzip := *v
	notGzip.Path = "not-gzip.json"
	notGzip.CAR = []byte("plain text")
	notCAR := *v
	notCAR.Path = "not-car.json"
	notCAR.CAR, err = schema.EncodeCAR([]byte("\x05hello, not a CAR at all"))
	if err != nil {
		t.Fatal(err)
	}

	for _, tv := range []*schema.Vector{&noRoot, &notGzip, &notCAR} {
		_, _, merr := Memory{}.Open(ctx, tv)
		_, _, serr := s.Open(ctx, tv)
		var me, se *schema.Error
		if !errors.As(merr, &me) || !errors.As(serr, &se) {
			t.Fatalf("%s: want schema errors, got memory %v, store %v", tv.Path, merr, serr)
		}
		if me.File != se.File || me.Field != se.Field {
			t.Fatalf("%s: memory error %q, store error %q", tv.Path, merr, serr)
		}
		if tv == &noRoot && merr.Error() != serr.Error() {
			t.Fatalf("missing root: memory %q, store %q", merr, serr)
		}
	}
	// The malformed CAR left nothing behind; the root-less vector's CAR
	// (the real one) is stored once.
	if n := len(s.Shards()); n != 1 {
		t.Fatalf("store holds %d shards, want 1: %+v", n, s.Shards())
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Dir(), carsDirName)); len(entries) != 1 {
		t.Fatalf("cars directory holds %d files, want 1", len(entries))
	}
}

func TestStoreReopenDoesNotReindex(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 20))
	dir := t.TempDir()
	ctx := context.Background()
	s, _ := openTestStore(t, dir, StoreOptions{})
	created := 0
	for _, v := range vectors {
		res, err := s.Add(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if res.New {
			created++
		}
	}
	shards := len(s.Shards())
	if created != shards {
		t.Fatalf("%d adds reported new, store has %d shards", created, shards)
	}
	mtimes := indexMTimes(t, dir)
	s.Close()

	s2, logs := openTestStore(t, dir, StoreOptions{})
	if n, b, r := logs.sanity(t); n != shards || b != 0 || r != 0 {
		t.Fatalf("reopen: sanity %d shards, %d broken, %d repaired; want %d, 0, 0", n, b, r, shards)
	}
	for _, v := range vectors {
		res, err := s2.Add(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if res.New {
			t.Fatalf("%s: re-added as new", v.Path)
		}
		_, rel, err := s2.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		rel()
	}
	if got := indexMTimes(t, dir); !equalMaps(mtimes, got) {
		t.Fatalf("index files rewritten on reopen")
	}
}

func indexMTimes(tb testing.TB, dir string) map[string]time.Time {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, indexDirName))
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]time.Time)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), indexSuffix) {
			fi, err := e.Info()
			if err != nil {
				tb.Fatal(err)
			}
			out[e.Name()] = fi.ModTime()
		}
	}
	return out
}

func equalMaps(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}

// addAll adds vectors to a fresh store in dir and closes it, returning the
// shard key of each vector.
func addAll(tb testing.TB, dir string, vectors []*schema.Vector) []string {
	tb.Helper()
	s, _ := openTestStore(tb, dir, StoreOptions{})
	keys := make([]string, len(vectors))
	for i, v := range vectors {
		res, err := s.Add(context.Background(), v)
		if err != nil {
			tb.Fatal(err)
		}
		keys[i] = res.Key
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return keys
}

func distinct(keys []string) int {
	m := make(map[string]bool)
	for _, k := range keys {
		m[k] = true
	}
	return len(m)
}

func TestStoreRepairsLostIndexAndCAR(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 12))
	dir := t.TempDir()
	keys := addAll(t, dir, vectors)
	n := distinct(keys)

	lostIndex, lostCAR, truncated := keys[0], keys[5], keys[9]
	if err := os.Remove(filepath.Join(dir, indexDirName, lostIndex+indexSuffix)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, carsDirName, lostCAR+".car")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, carsDirName, truncated+".car"), 100); err != nil {
		t.Fatal(err)
	}

	s, logs := openTestStore(t, dir, StoreOptions{})
	if got, b, r := logs.sanity(t); got != n || b != 3 || r != 3 {
		t.Fatalf("sanity: %d shards, %d broken, %d repaired; want %d, 3, 3", got, b, r, n)
	}
	for key, what := range map[string]string{lostIndex: "index missing", lostCAR: "CAR missing", truncated: "CAR is 100 bytes"} {
		line := logs.last(key)
		if !strings.HasPrefix(line, "WARN") || !strings.Contains(line, what) || !strings.Contains(line, "re-indexing") {
			t.Fatalf("shard %s: want a WARN line saying %q, got %q", key, what, line)
		}
	}
	for _, v := range vectors {
		if _, rel, err := s.Open(context.Background(), v); err != nil {
			t.Fatalf("%s: %v", v.Path, err)
		} else {
			rel()
		}
	}
	res, err := s.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("verify %s after repair: %v", r.Key, r.Err)
		}
	}
	s.Close()

	// Repaired for good: the next open finds nothing wrong.
	_, logs = openTestStore(t, dir, StoreOptions{})
	if got, b, r := logs.sanity(t); got != n || b != 0 || r != 0 {
		t.Fatalf("second reopen: sanity %d/%d/%d", got, b, r)
	}
}

// copyVectors copies vector files into dir and loads the copies.
func copyVectors(tb testing.TB, dir string, files []string) []*schema.Vector {
	tb.Helper()
	var out []*schema.Vector
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("v%02d.json", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		v, err := schema.LoadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestStoreUnrepairableShardAndGC(t *testing.T) {
	files := corpusFiles(t, 4)
	vecDir := t.TempDir()
	vectors := copyVectors(t, vecDir, files)
	dir := t.TempDir()
	keys := addAll(t, dir, vectors)
	if distinct(keys) != 4 {
		t.Skip("sample vectors share a CAR")
	}

	// Vector 0 gone and its CAR lost: broken beyond repair until GC.
	os.Remove(vectors[0].Path)
	os.Remove(filepath.Join(dir, carsDirName, keys[0]+".car"))
	// Vector 1 gone, CAR intact: garbage for GC, not broken.
	os.Remove(vectors[1].Path)
	// Vector 2 edited: its file now holds vector 3's content.
	data, _ := os.ReadFile(vectors[3].Path)
	os.WriteFile(vectors[2].Path, append(data, '\n'), 0o644)

	s, logs := openTestStore(t, dir, StoreOptions{})
	if n, b, r := logs.sanity(t); n != 4 || b != 1 || r != 0 {
		t.Fatalf("sanity %d/%d/%d, want 4/1/0", n, b, r)
	}
	if line := logs.last(keys[0]); !strings.Contains(line, "cannot repair") {
		t.Fatalf("want a cannot-repair WARN for %s, got %q", keys[0], line)
	}
	states := map[string]string{}
	for _, in := range s.Shards() {
		states[in.Key] = in.State
	}
	if states[keys[0]] != stateMissing || states[keys[1]] != "available" {
		t.Fatalf("states %v", states)
	}

	rep, err := s.GC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(rep.Removed)
	want := []string{keys[0], keys[1], keys[2]}
	sort.Strings(want)
	if fmt.Sprint(rep.Removed) != fmt.Sprint(want) || rep.DroppedRefs != 3 {
		t.Fatalf("GC removed %v (dropped %d refs), want %v (3 refs)", rep.Removed, rep.DroppedRefs, want)
	}
	left := s.Shards()
	if len(left) != 1 || left[0].Key != keys[3] || len(left[0].Vectors) != 1 {
		t.Fatalf("after GC: %+v", left)
	}
	for _, k := range want {
		for _, p := range []string{filepath.Join(dir, carsDirName, k+".car"), filepath.Join(dir, indexDirName, k+indexSuffix)} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s still exists after GC", p)
			}
		}
	}
	// A vector of a collected shard comes back on demand.
	if _, rel, err := s.Open(context.Background(), vectors[1]); err != nil {
		t.Fatal(err)
	} else {
		rel()
	}
	s.Close()
	_, logs = openTestStore(t, dir, StoreOptions{})
	if n, b, r := logs.sanity(t); n != 2 || b != 0 || r != 0 {
		t.Fatalf("after GC reopen: sanity %d/%d/%d, want 2/0/0", n, b, r)
	}
}

func TestStoreHalfWrittenStateRepaired(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 8))
	dir := t.TempDir()
	keys := addAll(t, dir, vectors)
	n := distinct(keys)
	ctx := context.Background()

	// Reproduce by hand what a crash leaves: shard 0 caught while
	// indexing (state Initializing, only a partial temporary index file);
	// shard 1 recorded in the manifest and its CAR written, but never
	// registered; a partial CAR of a shard never recorded; and a dagstore
	// entry of a shard the manifest does not know.
	ldb, err := openLevelDB(filepath.Join(dir, datastoreDir))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ldb.Get(ctx, dagstoreKey(keys[0]))
	if err != nil {
		t.Fatal(err)
	}
	var ps dagstore.PersistedShard
	if err := json.Unmarshal(raw, &ps); err != nil {
		t.Fatal(err)
	}
	ps.State = dagstore.ShardStateInitializing
	raw, _ = json.Marshal(ps)
	if err := ldb.Put(ctx, dagstoreKey(keys[0]), raw); err != nil {
		t.Fatal(err)
	}
	idxPath := filepath.Join(dir, indexDirName, keys[0]+indexSuffix)
	full, _ := os.ReadFile(idxPath)
	os.Remove(idxPath)
	os.WriteFile(idxPath+".123"+atomicfile.TempSuffix, full[:len(full)/2], 0o644)
	if err := ldb.Delete(ctx, dagstoreKey(keys[1])); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, carsDirName, strings.Repeat("ab", 32)+".car.9"+atomicfile.TempSuffix), []byte("partial"), 0o644)
	orphan := strings.Repeat("cd", 32)
	ps.Key = orphan
	raw, _ = json.Marshal(ps)
	ldb.Put(ctx, dagstoreKey(orphan), raw)
	ldb.Close()

	s, logs := openTestStore(t, dir, StoreOptions{})
	if got, b, r := logs.sanity(t); got != n || b != 2 || r != 2 {
		t.Fatalf("sanity %d/%d/%d, want %d/2/2", got, b, r, n)
	}
	if !strings.Contains(logs.last(keys[0]), "indexing interrupted") || !strings.Contains(logs.last(keys[1]), "not registered") {
		t.Fatalf("missing WARN lines: %q", logs.all())
	}
	if s.Sanity().Orphans != 3 {
		t.Fatalf("orphans %d, want 3 (dagstore entry, partial index, partial CAR)", s.Sanity().Orphans)
	}
	for _, v := range vectors {
		if _, rel, err := s.Open(ctx, v); err != nil {
			t.Fatalf("%s: %v", v.Path, err)
		} else {
			rel()
		}
	}
	for _, d := range []string{carsDirName, indexDirName} {
		entries, _ := os.ReadDir(filepath.Join(dir, d))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), atomicfile.TempSuffix) {
				t.Fatalf("leftover %s", e.Name())
			}
		}
	}
}

// TestStoreCrashHelper is the process TestStoreCrashDuringIndexing kills;
// it does nothing unless started by that test.
func TestStoreCrashHelper(t *testing.T) {
	dir := os.Getenv("TVX_STORE_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	files := strings.Split(os.Getenv("TVX_STORE_CRASH_FILES"), "\n")
	s, err := OpenStore(context.Background(), dir, StoreOptions{MemoryBelow: -1, MaxConcurrentIndex: 2})
	if err != nil {
		t.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				v, err := schema.LoadFile(f)
				if err == nil {
					_, err = s.Add(context.Background(), v)
				}
				fmt.Printf("added %s %v\n", f, err)
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	s.Close()
}

func TestStoreCrashDuringIndexing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	files := corpusFiles(t, 80)
	dir := t.TempDir()
	for attempt := 0; attempt < 3; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStoreCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TVX_STORE_CRASH_DIR="+dir, "TVX_STORE_CRASH_FILES="+strings.Join(files, "\n"))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill the helper partway: after a number of adds that grows with
		// each attempt, so every run leaves a different state.
		sc := bufio.NewScanner(out)
		added := 0
		for added < 10+20*attempt && sc.Scan() {
			if strings.HasPrefix(sc.Text(), "added ") {
				added++
			}
		}
		cmd.Process.Kill()
		io.Copy(io.Discard, out)
		cmd.Wait()
		t.Logf("attempt %d: killed after %d adds", attempt, added)
	}

	// The next open repairs whatever the kills left, with no manual step,
	// and every vector loads with the blocks memory gives.
	s, logs := openTestStore(t, dir, StoreOptions{})
	n, b, r := logs.sanity(t)
	if b != r {
		t.Fatalf("sanity %d shards, %d broken, only %d repaired", n, b, r)
	}
	ctx := context.Background()
	for _, v := range loadVectors(t, files) {
		sbs, rel, err := s.Open(ctx, v)
		if err != nil {
			t.Fatalf("%s: %v", v.Path, err)
		}
		mbs, mrel, err := Memory{}.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		sameBlocks(t, v.Path, blocksOf(t, mbs), blocksOf(t, sbs))
		rel()
		mrel()
	}
	res, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("verify %s: %v", r.Key, r.Err)
		}
	}
}

func TestStoreConcurrentAcquire(t *testing.T) {
	n := 40
	if raceEnabled {
		n = 24
	}
	vectors := loadVectors(t, corpusFiles(t, n))
	s, _ := openTestStore(t, t.TempDir(), StoreOptions{MaxConcurrentIndex: 2})
	ctx := context.Background()
	roots := make([][]byte, len(vectors))
	for i, v := range vectors {
		bs, rel, err := Memory{}.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := bs.Get(ctx, v.Pre.StateTree.RootCID)
		if err != nil {
			t.Fatal(err)
		}
		roots[i] = blk.RawData()
		rel()
	}
	// Eight workers open every vector, each in its own order, starting on
	// an empty store: first sights race to register, later ones acquire
	// shards other workers hold.
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []func()
			for j := range vectors {
				i := (j*(w+1) + w) % len(vectors)
				v := vectors[i]
				bs, rel, err := s.Open(ctx, v)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", v.Path, err)
					return
				}
				blk, err := bs.Get(ctx, v.Pre.StateTree.RootCID)
				if err != nil || !bytes.Equal(blk.RawData(), roots[i]) {
					errs <- fmt.Errorf("%s: root block differs (%v)", v.Path, err)
					return
				}
				// Hold a few shards at once, as parallel runs do.
				held = append(held, rel)
				if len(held) == 3 {
					held[0]()
					held = held[1:]
				}
			}
			for _, rel := range held {
				rel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitAllAvailable(t, s)
}

// waitAllAvailable waits until every shard is available: releases reach the
// dagstore's event loop asynchronously, and every shard must come back to
// available once they are processed.
func waitAllAvailable(tb testing.TB, s *Store) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		other := ""
		for _, in := range s.Shards() {
			if in.State != "available" {
				other = in.Key + " " + in.State
			}
		}
		if other == "" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("shard %s after every release", other)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStoreInUse(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir, StoreOptions{})
	_, err := OpenStore(context.Background(), dir, StoreOptions{})
	if !errors.Is(err, ErrStoreInUse) {
		t.Fatalf("second open: %v, want ErrStoreInUse", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("error does not name the holder: %v", err)
	}
	s.Close()
	s2, err := OpenStore(context.Background(), dir, StoreOptions{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestStoreHealsShardBrokenWhileOpen(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 3))
	s, logs := openTestStore(t, t.TempDir(), StoreOptions{})
	ctx := context.Background()
	res, err := s.Add(ctx, vectors[1])
	if err != nil {
		t.Fatal(err)
	}
	// Index and CAR vanish under a running store: the next Open fails to
	// acquire, rebuilds the CAR from the vector and re-indexes.
	os.Remove(filepath.Join(s.Dir(), indexDirName, res.Key+indexSuffix))
	os.Remove(filepath.Join(s.Dir(), carsDirName, res.Key+".car"))
	bs, rel, err := s.Open(ctx, vectors[1])
	if err != nil {
		t.Fatalf("open after losing index and CAR: %v", err)
	}
	if ok, _ := bs.Has(ctx, vectors[1].Pre.StateTree.RootCID); !ok {
		t.Fatal("root missing after healing")
	}
	rel()
	if line := logs.last(res.Key); !strings.Contains(line, "recovering") {
		t.Fatalf("want a WARN line about recovering %s, got %q", res.Key, line)
	}

	// Recover finds the same damage on a shard nobody opens.
	res2, err := s.Add(ctx, vectors[2])
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(s.Dir(), indexDirName, res2.Key+indexSuffix))
	rep, err := s.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Broken) != fmt.Sprint([]string{res2.Key}) || fmt.Sprint(rep.Repaired) != fmt.Sprint(rep.Broken) {
		t.Fatalf("recover: %+v", rep)
	}
	if s.repo.indexSize(shard.KeyFromString(res2.Key)) <= 0 {
		t.Fatal("index not rebuilt by Recover")
	}
}

func TestStoreVerifyFindsCorruption(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 3))
	s, _ := openTestStore(t, t.TempDir(), StoreOptions{})
	ctx := context.Background()
	var keys []string
	for _, v := range vectors {
		res, err := s.Add(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, res.Key)
	}
	results, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil || r.Blocks == 0 {
			t.Fatalf("verify %s: %d blocks, %v", r.Key, r.Blocks, r.Err)
		}
	}
	// Flip the last byte of one CAR: its last block's data.
	p := filepath.Join(s.Dir(), carsDirName, keys[0]+".car")
	data, _ := os.ReadFile(p)
	data[len(data)-1] ^= 0xff
	os.WriteFile(p, data, 0o644)
	results, _ = s.Verify(ctx, nil)
	for _, r := range results {
		if (r.Key == keys[0]) != (r.Err != nil) {
			t.Fatalf("verify %s: %v", r.Key, r.Err)
		}
	}
	// The block-level check, on its own: the section walk catches the
	// flipped byte even where the file hash is not consulted.
	if _, err := walkSections(data); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Fatalf("walkSections on a corrupted CAR: %v", err)
	}
}

func TestCARMountRoundTrip(t *testing.T) {
	key := strings.Repeat("0f", 32)
	m := &carMount{Dir: "/somewhere", Key: key}
	u := m.Serialize()
	u.Scheme = carMountScheme
	parsed, err := url.Parse(u.String())
	if err != nil {
		t.Fatal(err)
	}
	var back carMount
	if err := back.Deserialize(parsed); err != nil || back.Key != key {
		t.Fatalf("round trip: %v, key %q", err, back.Key)
	}
	if err := back.Deserialize(&url.URL{Scheme: carMountScheme, Host: "../etc"}); err == nil {
		t.Fatal("accepted a non-key host")
	}
}

func TestAtomicIndexRepoUsesFSRepoLayout(t *testing.T) {
	v := loadVectors(t, corpusFiles(t, 1))[0]
	carv1, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := carv2.GenerateIndex(bytes.NewReader(carv1))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := newAtomicIndexRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := shard.KeyFromString(hashHex(carv1))
	if err := repo.AddFullIndex(k, idx); err != nil {
		t.Fatal(err)
	}
	// The stock repo's own lookups find what the atomic writer wrote.
	st, err := repo.FSIndexRepo.StatFullIndex(k)
	if err != nil || !st.Exists {
		t.Fatalf("stat: %+v %v", st, err)
	}
	if n, err := repo.Len(); err != nil || n != 1 {
		t.Fatalf("len %d %v", n, err)
	}
	if _, err := repo.FSIndexRepo.GetFullIndex(k); err != nil {
		t.Fatal(err)
	}
	if dropped, err := repo.DropFullIndex(k); !dropped || err != nil {
		t.Fatalf("drop: %v %v", dropped, err)
	}
	if dropped, err := repo.DropFullIndex(k); dropped || err != nil {
		t.Fatalf("second drop: %v %v", dropped, err)
	}
}

func TestLazySyncDatastoreSharesKeys(t *testing.T) {
	ldb, err := openLevelDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ldb.Close()
	ctx := context.Background()
	lazy := lazySyncDatastore{ldb}
	k := dagstoreKey(strings.Repeat("aa", 32))
	if err := lazy.Put(ctx, k, []byte("state")); err != nil {
		t.Fatal(err)
	}
	got, err := ldb.Get(ctx, k)
	if err != nil || string(got) != "state" {
		t.Fatalf("get through go-ds-leveldb: %q %v", got, err)
	}
	if err := lazy.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ldb.Has(ctx, k); ok {
		t.Fatal("delete not seen")
	}
}

func TestStoreSmallVectorsFromMemory(t *testing.T) {
	vectors := loadVectors(t, corpusFiles(t, 40))
	sort.Slice(vectors, func(i, j int) bool { return len(vectors[i].CAR) < len(vectors[j].CAR) })
	small, large := vectors[0], vectors[len(vectors)-1]
	if int64(len(small.CAR)) >= DefaultStoreMemoryBelow || int64(len(large.CAR)) < DefaultStoreMemoryBelow {
		t.Skipf("subset has no vectors on both sides of %d bytes", DefaultStoreMemoryBelow)
	}
	s, err := OpenStore(context.Background(), t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, v := range []*schema.Vector{small, large} {
		res, err := s.Add(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if res.Memory != (v == small) {
			t.Fatalf("%s (%d bytes): Add memory=%v", v.Path, len(v.CAR), res.Memory)
		}
		bs, rel, err := s.Open(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := bs.Has(ctx, v.Pre.StateTree.RootCID); !ok {
			t.Fatalf("%s: root missing", v.Path)
		}
		rel()
	}
	if infos := s.Shards(); len(infos) != 1 || infos[0].Vectors[0] != large.Path {
		t.Fatalf("want only the large vector stored, got %+v", infos)
	}
}
