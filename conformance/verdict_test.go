package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

func TestJudge(t *testing.T) {
	for _, c := range []struct {
		status         driver.Status
		listed, strict bool
		want           Verdict
	}{
		{driver.Pass, false, false, Passed},
		{driver.Pass, true, false, Fixed},
		{driver.Pass, true, true, Fixed},
		{driver.Fail, false, false, Failed},
		{driver.Fail, true, false, Known},
		{driver.Fail, true, true, Failed},
		{driver.Error, false, false, Errored},
		{driver.Error, true, false, Known},
		{driver.Error, true, true, Errored},
		{driver.Skip, false, false, Skipped},
		{driver.Skip, true, false, Skipped},
	} {
		if got := Judge(c.status, c.listed, c.strict); got != c.want {
			t.Errorf("Judge(%s, listed=%v, strict=%v) = %s, want %s", c.status, c.listed, c.strict, got, c.want)
		}
	}
}

func TestTotalsCheck(t *testing.T) {
	if err := (Totals{}).Check(false); err == nil || !strings.Contains(err.Error(), "nothing ran") {
		t.Fatalf("empty run: %v", err)
	}
	if err := (Totals{}).Check(true); err != nil {
		t.Fatalf("empty run with allowEmpty: %v", err)
	}
	if err := (Totals{Skipped: 3}).Check(false); err == nil || !strings.Contains(err.Error(), "skipped") {
		t.Fatalf("all skipped: %v", err)
	}
	if err := (Totals{Passed: 2, Known: 1}).Check(false); err != nil {
		t.Fatalf("known failures only: %v", err)
	}
	if err := (Totals{Passed: 2, Fixed: 1}).Check(true); err == nil {
		t.Fatal("a listed variant that passes must fail the run")
	}
}

// The shipped list parses, and every entry names a vector of the public
// corpus by the key that vector has there.
func TestShippedListMatchesCorpus(t *testing.T) {
	x := Shipped()
	if x.Len() == 0 {
		t.Fatal("shipped list is empty")
	}
	roots := []string{filepath.Join("..", "corpus"), testcorpus.Shared(t)}
	for _, e := range x.Entries() {
		found := false
		for _, root := range roots {
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.Path)))
			if err != nil {
				continue
			}
			if got := VectorKey(data); got != e.Key {
				t.Errorf("line %d: %s has key %s, the list says %s", e.Line, e.Path, got, e.Key)
			}
			found = true
		}
		if !found {
			t.Logf("line %d: %s is not in the corpora here", e.Line, e.Path)
		}
	}
}

// A listed vector stays listed when its corpus is copied elsewhere, run from
// one folder higher, or re-indented: entries match on the key, not the path.
func TestKeySurvivesCopy(t *testing.T) {
	shared := testcorpus.Shared(t)
	x := Shipped()
	e := x.Entries()[0]
	data, err := os.ReadFile(filepath.Join(shared, filepath.FromSlash(e.Path)))
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, data, "", "    "); err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	copied := filepath.Join(top, "checkout", "corpus", filepath.FromSlash(e.Path))
	if err := os.MkdirAll(filepath.Dir(copied), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, indented.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if VectorKey(indented.Bytes()) != e.Key {
		t.Fatalf("re-indenting changed the key")
	}
	r := &Runner{Driver: driver.New(), Expected: x, Variant: e.Variant, Parallel: 1}
	var got []Result
	r.Run(context.Background(), []Input{{Path: copied, Rel: "checkout/corpus/" + e.Path}}, func(rs []Result) { got = append(got, rs...) })
	if len(got) != 1 || got[0].Verdict != Known || got[0].Listed != e.Reason {
		t.Fatalf("copied listed vector: %+v", got)
	}
}

// The N shards of a corpus partition its vector variants exactly.
func TestShardsPartition(t *testing.T) {
	roots := []string{filepath.Join("..", "corpus")}
	if dir := testcorpus.SharedPath(t); dirExists(dir) {
		roots = append(roots, dir)
	}
	type kv struct{ key, variant string }
	var all []kv
	for _, root := range roots {
		files, err := schema.Walk(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v, err := schema.Decode(f, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, vr := range v.Pre.Variants {
				all = append(all, kv{VectorKey(data), vr.ID})
			}
		}
	}
	for _, n := range []int{1, 2, 3, 7} {
		sizes := make([]int, n)
		for _, x := range all {
			hits := 0
			for k := 1; k <= n; k++ {
				if (Shard{K: k, N: n}).Has(x.key, x.variant) {
					hits++
					sizes[k-1]++
				}
			}
			if hits != 1 {
				t.Fatalf("N=%d: %s %s is in %d shards", n, x.key, x.variant, hits)
			}
		}
		for k, s := range sizes {
			// Balanced enough to be worth splitting: no shard over twice its share.
			if s > 2*len(all)/n+1 {
				t.Errorf("N=%d: shard %d holds %d of %d variants", n, k+1, s, len(all))
			}
		}
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func TestParseShard(t *testing.T) {
	for _, bad := range []string{"", "0/3", "4/3", "1/0", "a/b", "1", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if s, err := ParseShard("2/5"); err != nil || s != (Shard{K: 2, N: 5}) || s.String() != "2/5" {
		t.Fatalf("ParseShard(2/5) = %v, %v", s, err)
	}
}

func TestParseExpectedRejectsOldForm(t *testing.T) {
	_, err := ParseExpected(strings.NewReader("a/b.json genesis some reason here\n"), "old.txt")
	if err == nil || !strings.Contains(err.Error(), "old.txt:1") {
		t.Fatalf("old-form line: %v", err)
	}
	_, err = ParseExpected(strings.NewReader("a.json g x@0123456789ab r\nb.json g x@0123456789ab r\n"), "dup.txt")
	if err == nil || !strings.Contains(err.Error(), "dup.txt:2") {
		t.Fatalf("duplicate key: %v", err)
	}
}
