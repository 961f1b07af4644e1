package conformance

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/schema"
)

var writeExpected = flag.String("write-expected", "", "write the failures of this run, in expected-failures format, to this file")

const expectedFile = "expected-failures.txt"

// corpusRoots returns the corpora to run: TVX_CORPUS, or the repository's
// own corpus plus the shared public corpus when it is present.
func corpusRoots(t *testing.T) []string {
	if env := os.Getenv("TVX_CORPUS"); env != "" {
		return filepath.SplitList(env)
	}
	roots := []string{filepath.Join("..", "corpus")}
	shared := filepath.Join("..", "..", "shared", "test-vectors", "corpus")
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		roots = append(roots, shared)
	} else {
		t.Logf("shared corpus %s not found; running the bundled sample only", shared)
	}
	return roots
}

type tally struct {
	mu                                      sync.Mutex
	passed, failed, skipped, expectedFailed int
	assumedRuns, assumedProofs              int
	failures                                []string
}

func (tl *tally) add(f func(*tally)) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	f(tl)
}

func TestConformance(t *testing.T) {
	expected, err := ReadExpected(expectedFile)
	if err != nil {
		t.Fatalf("read expected failures: %v", err)
	}
	var opts []driver.Option
	if dir := os.Getenv("TVX_STORE"); dir != "" {
		st, err := corpus.OpenStore(context.Background(), dir, corpus.StoreOptions{Logger: t})
		if err != nil {
			t.Fatalf("open corpus store %s: %v", dir, err)
		}
		defer st.Close()
		opts = append(opts, driver.WithSource(st))
	}
	var tl tally
	t.Run("corpus", func(t *testing.T) {
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
				rel = filepath.ToSlash(rel)
				t.Run(rel, func(t *testing.T) {
					t.Parallel()
					runFile(t, file, rel, expected, &tl, opts)
				})
			}
		}
	})
	t.Logf("totals: %d passed, %d failed, %d skipped, %d expected-failure",
		tl.passed, tl.failed, tl.skipped, tl.expectedFailed)
	t.Logf("proof policy: %d runs relied on %d proofs accepted without SNARK verification",
		tl.assumedRuns, tl.assumedProofs)
	if *writeExpected != "" {
		sort.Strings(tl.failures)
		data := "# Vector variants that do not pass yet: <path relative to corpus root> <variant> <reason>\n" +
			strings.Join(tl.failures, "\n") + "\n"
		if err := os.WriteFile(*writeExpected, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runFile runs every variant of one vector and checks each outcome against
// the expected-failures list.
func runFile(t *testing.T, file, rel string, expected Expected, tl *tally, opts []driver.Option) {
	v, err := schema.LoadFile(file)
	if err != nil {
		check(t, rel, "-", driver.Outcome{Status: driver.Error, Reason: err.Error()}, expected, tl)
		return
	}
	d := driver.New(append([]driver.Option{driver.WithLogger(t)}, opts...)...)
	for _, variant := range v.Pre.Variants {
		t.Run(variant.ID, func(t *testing.T) {
			o := d.Run(context.Background(), v, variant)
			check(t, rel, variant.ID, o, expected, tl)
		})
	}
}

func check(t *testing.T, rel, variant string, o driver.Outcome, expected Expected, tl *tally) {
	if o.AssumedProofs > 0 {
		tl.add(func(tl *tally) { tl.assumedRuns++; tl.assumedProofs += o.AssumedProofs })
	}
	key := ExpectedKey(rel, variant)
	reason, listed := expected[key]
	failed := o.Status == driver.Fail || o.Status == driver.Error
	if failed {
		tl.add(func(tl *tally) {
			tl.failures = append(tl.failures, fmt.Sprintf("%s %s", key, oneLine(o.Reason)))
		})
	}
	switch {
	case failed && listed:
		tl.add(func(tl *tally) { tl.expectedFailed++ })
		t.Logf("expected failure (%s): %s", reason, o.Reason)
	case failed:
		tl.add(func(tl *tally) { tl.failed++ })
		if o.Detail != "" {
			t.Log(o.Detail)
		}
		t.Errorf("%s: %s", o.Status, o.Reason)
	case listed:
		tl.add(func(tl *tally) { tl.failed++ })
		t.Errorf("listed in %s (%s) but %s: remove it from the list", expectedFile, reason, o.Status)
	case o.Status == driver.Skip:
		tl.add(func(tl *tally) { tl.skipped++ })
		t.Skip(o.Reason)
	default:
		tl.add(func(tl *tally) { tl.passed++ })
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
