package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/conformance"
)

// listFor writes an expected-failures list naming variant of the vector at
// path, and returns the list's path.
func listFor(t *testing.T, path, variant string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(t.TempDir(), "expected.txt")
	var b strings.Builder
	e := conformance.Entry{Path: filepath.Base(path), Variant: variant, Key: conformance.VectorKey(data), Reason: "test reason"}
	if err := conformance.WriteExpected(&b, []conformance.Entry{e}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return list
}

func TestExecKnownStrictAndFixed(t *testing.T) {
	// A listed vector that passes fails the run, and says so.
	passing := filepath.Join(sample, "multisig", "basic--ok-create--genesis.json")
	list := listFor(t, passing, "genesis")
	code, out, _ := runTvx(t, "", "exec", "--expected", list, "--variant", "genesis", passing)
	if code != exitFailed || !strings.Contains(out, "FIXED ") || !strings.Contains(out, "test reason") {
		t.Fatalf("listed pass: exit %d\n%s", code, out)
	}

	// A vector that fails, made by breaking a receipt's gas.
	data, err := os.ReadFile(passing)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	r := m["postconditions"].(map[string]any)["receipts"].([]any)[0].(map[string]any)
	r["gas_used"] = r["gas_used"].(float64) + 1
	bad, _ := json.Marshal(m)
	failing := filepath.Join(t.TempDir(), "failing.json")
	os.WriteFile(failing, bad, 0o644)

	code, out, _ = runTvx(t, "", "exec", "--expected", "none", "--variant", "genesis", failing)
	if code != exitFailed || !strings.Contains(out, "FAIL ") || !strings.Contains(out, "[key ") {
		t.Fatalf("unlisted failure: exit %d\n%s", code, out)
	}
	list = listFor(t, failing, "genesis")
	code, out, _ = runTvx(t, "", "exec", "--expected", list, "--variant", "genesis", failing)
	if code != exitOK || !strings.Contains(out, "KNOWN ") || !strings.Contains(out, "listed: test reason") {
		t.Fatalf("listed failure: exit %d\n%s", code, out)
	}
	// Flags after paths, as Lotus's scripts write them.
	code, out, _ = runTvx(t, "", "exec", failing, "--expected", list, "--variant", "genesis", "--strict")
	if code != exitFailed || !strings.Contains(out, "FAIL ") {
		t.Fatalf("--strict: exit %d\n%s", code, out)
	}
}

func TestExecNothingRan(t *testing.T) {
	empty := t.TempDir()
	code, _, errw := runTvx(t, "", "exec", empty)
	if code != exitFailed || !strings.Contains(errw, "nothing ran") {
		t.Fatalf("empty directory: exit %d, stderr %q", code, errw)
	}
	if code, _, _ := runTvx(t, "", "exec", "--allow-empty", empty); code != exitOK {
		t.Fatalf("empty directory with --allow-empty: exit %d", code)
	}
	code, _, errw = runTvx(t, "", "exec", "--variant", "no-such-variant", sample)
	if code != exitFailed || !strings.Contains(errw, `no vector has variant "no-such-variant"`) {
		t.Fatalf("--variant naming no variant: exit %d, stderr %q", code, errw)
	}
}

// The shards of the sample corpus run every variant exactly once.
func TestExecShardsPartitionSample(t *testing.T) {
	want := countVariants(t, sample)
	seen := map[string]int{}
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		_, out, _ := runTvx(t, "", "exec", "--json", "--allow-empty", "--shard", k, sample)
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var r struct {
				File, Variant string
				Summary       *struct{ Shard string } `json:"summary"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if r.Summary != nil {
				if r.Summary.Shard != k {
					t.Fatalf("summary of shard %s says %q", k, r.Summary.Shard)
				}
				continue
			}
			seen[r.File+" "+r.Variant]++
		}
	}
	if len(seen) != want {
		t.Fatalf("shards ran %d distinct variants of %d", len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s ran in %d shards", k, n)
		}
	}
}

// A usage error is one line saying what is wrong and the command's usage
// line, not the whole help.
func TestUsageErrorIsShort(t *testing.T) {
	for _, args := range [][]string{{"exec", "--no-such-flag", sample}, {"exec", "--shard", "0/2", sample}} {
		code, out, errw := runTvx(t, "", args...)
		lines := strings.Split(strings.TrimSpace(errw), "\n")
		if code != exitBadArgs || out != "" || len(lines) > 3 || !strings.HasPrefix(lines[1], "usage: tvx exec ") {
			t.Errorf("tvx %v: exit %d, stdout %q, stderr:\n%s", args, code, out, errw)
		}
	}
}

// Lotus habits: vectors piped in as concatenated pretty-printed JSON (as
// tvx extract writes them), --out DIR with one <name>.out per vector, and
// --driver-opt save-balances=PATH as --callback.
func TestExecLotusHabits(t *testing.T) {
	file := filepath.Join(sample, "multisig", "basic--ok-create--genesis.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	stream := pretty.String() + pretty.String()
	code, out, errw := runTvx(t, stream, "exec", "-", "--variant", "genesis")
	if code != exitOK || strings.Count(out, "PASS  -:") != 2 {
		t.Fatalf("pretty stream: exit %d\n%s%s", code, out, errw)
	}

	dir := t.TempDir()
	outDir := filepath.Join(dir, "out")
	code, out, _ = runTvx(t, "", "exec", filepath.Join(sample, "multisig"), "--out", outDir)
	if code != exitOK {
		t.Fatalf("--out: exit %d\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(outDir, "basic--ok-create--genesis.out"))
	if err != nil || !strings.Contains(string(got), "PASS  "+file) {
		t.Fatalf("--out file: %v\n%s", err, got)
	}

	tipset := filepath.Join(sample, "reward", "penalties--penalize-bad-nonce-multiple-miners--tape.json")
	balances := filepath.Join(dir, "balances.txt")
	if code, out, errw := runTvx(t, "", "exec", tipset, "--driver-opt", "save-balances="+balances); code != exitOK {
		t.Fatalf("--driver-opt: exit %d\n%s%s", code, out, errw)
	}
	if b, err := os.ReadFile(balances); err != nil || !strings.HasPrefix(string(b), "# ") {
		t.Fatalf("save-balances output: %v\n%s", err, b)
	}
	if code, _, _ := runTvx(t, "", "exec", tipset, "--driver-opt", "pipeline-basefee"); code != exitBadArgs {
		t.Fatalf("unknown --driver-opt: exit %d", code)
	}
}
