package conformance

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

var (
	writeExpected = flag.String("write-expected", "", "write every variant of this run that does not pass, as an expected-failures list (listed reasons kept), to this file")
	strictFlag    = flag.Bool("strict", false, "count listed failures as failures")
	shardFlag     = flag.String("shard", "", "run only shard K/N of the vector variants (TVX_SHARD sets it too)")
	allowEmpty    = flag.Bool("allow-empty", false, "accept a run in which nothing ran")
)

// defaultSets are the public sets beside the shared corpus that the harness
// runs by default with it (paths below ../shared/test-vectors): nv14
// vectors made off-chain by specs-actors v6, mainnet extractions at nv14
// and nv15 (legacy VM) and at nv17 and nv18 (FVM).
var defaultSets = []string{
	"specs-actors-v6/corpus",
	"fvm-test-vectors/nv14-chocolate",
	"fvm-test-vectors/nv15-ohsnap",
	"fvm-test-vectors/nv17-shark",
	"fvm-test-vectors/nv18-hygge",
}

// corpusRoots returns the corpora to run: TVX_CORPUS, or the repository's
// own corpus plus the shared public corpus and defaultSets. Without the shared corpus the
// harness falls back to the bundled sample, except where a corpus is
// required (testcorpus.Required): there its absence fails the harness.
func corpusRoots(t *testing.T) []string {
	if env := os.Getenv("TVX_CORPUS"); env != "" {
		return filepath.SplitList(env)
	}
	roots := []string{filepath.Join("..", "corpus")}
	shared := testcorpus.SharedPath(t)
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		roots = append(roots, shared)
		for _, set := range defaultSets {
			dir := filepath.Join(filepath.Dir(shared), filepath.FromSlash(set))
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				roots = append(roots, dir)
			} else if testcorpus.Required() {
				t.Fatalf("public set %s not found beside the shared corpus", dir)
			}
		}
	} else if testcorpus.Required() {
		t.Fatalf("shared corpus %s not found, and CI or TVX_REQUIRE_CORPUS=1 requires it (set TVX_CORPUS to run another corpus)", shared)
	} else {
		fmt.Printf("conformance: shared corpus %s not found; running the bundled sample only\n", shared)
	}
	return roots
}

// logMu serialises the driver's diagnostics: the runner's workers log
// concurrently, and testing.T's Logf may not be called after its test ends.
type harnessLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *harnessLog) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, format+"\n", args...)
}

func TestConformance(t *testing.T) {
	expected, err := ReadExpected(ExpectedFile)
	if err != nil {
		t.Fatal(err)
	}
	shardSpec := *shardFlag
	if shardSpec == "" {
		shardSpec = os.Getenv("TVX_SHARD")
	}
	var shard Shard
	if shardSpec != "" {
		if shard, err = ParseShard(shardSpec); err != nil {
			t.Fatal(err)
		}
	}
	log := &harnessLog{}
	opts := []driver.Option{driver.WithLogger(log), driver.WithStateDiff(true, false)}
	if dir := os.Getenv("TVX_STORE"); dir != "" {
		st, err := corpus.OpenStore(context.Background(), dir, corpus.StoreOptions{Logger: t})
		if err != nil {
			t.Fatalf("open corpus store %s: %v", dir, err)
		}
		defer st.Close()
		opts = append(opts, driver.WithSource(st))
	}
	var inputs []Input
	for _, root := range corpusRoots(t) {
		files, err := schema.Walk(root)
		if err != nil {
			t.Fatalf("corpus %s: %v", root, err)
		}
		if len(files) == 0 {
			t.Fatalf("corpus %s: no vectors", root)
		}
		for _, file := range files {
			rel, err := filepath.Rel(root, file)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, Input{Path: file, Rel: filepath.ToSlash(rel)})
		}
	}
	r := &Runner{
		Driver:   driver.New(opts...),
		Expected: expected,
		Strict:   *strictFlag,
		Shard:    shard,
		Parallel: runtime.GOMAXPROCS(0),
	}
	var totals Totals
	var failing []Entry
	t.Run("corpus", func(t *testing.T) {
		r.Run(context.Background(), inputs, func(results []Result) {
			if len(results) == 0 {
				return
			}
			t.Run(results[0].Rel, func(t *testing.T) {
				for _, res := range results {
					totals.Add(res)
					if res.Status == driver.Fail || res.Status == driver.Error {
						failing = append(failing, res.Entry())
					}
					t.Run(res.Variant, func(t *testing.T) { reportResult(t, res) })
				}
			})
		})
	})
	if log.buf.Len() > 0 {
		t.Log(log.buf.String())
	}
	// Printed, not logged: the totals show without -v (when go test streams
	// the package's output, as `make conformance` has it do).
	fmt.Printf("conformance totals: %s (list %s, %d entries)\n", totals, expected.Name, expected.Len())
	if totals.AssumedRuns > 0 {
		fmt.Printf("proof policy: %d runs relied on %d proofs accepted without SNARK verification\n", totals.AssumedRuns, totals.AssumedProofs)
	}
	if err := totals.Check(*allowEmpty); err != nil && totals.Failed+totals.Errors+totals.Fixed == 0 {
		// Failures are reported by their subtests; only "nothing ran"
		// needs saying here.
		t.Error(err)
	}
	if *writeExpected != "" {
		var buf bytes.Buffer
		if err := WriteExpected(&buf, failing); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(*writeExpected, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// reportResult turns one judged result into the subtest's outcome. Each
// reason is said once: in the failure message, with the state diff (when
// the run made one) just before it.
func reportResult(t *testing.T, res Result) {
	switch res.Verdict {
	case Passed:
	case Skipped:
		t.Skip(res.Reason)
	case Known:
		t.Logf("known failure (listed: %s): %s", res.Listed, res.Reason)
	case Fixed:
		t.Errorf("listed in %s (%s) but passes: remove its entry", ExpectedFile, res.Listed)
	default:
		if d := res.Detail(); d != "" {
			t.Log(d)
		}
		if res.Listed != "" {
			t.Errorf("%s (listed, but -strict): %s", res.Status, res.Reason)
		} else {
			t.Errorf("%s: %s [key %s]", res.Status, res.Reason, res.Key)
		}
	}
}
