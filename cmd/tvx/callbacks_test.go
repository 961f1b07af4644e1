package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

func TestCallbackFlagHelp(t *testing.T) {
	f, ok := callbackFlag().(*cli.StringSliceFlag)
	if !ok {
		t.Fatalf("callbackFlag is %T, want a string-slice flag", callbackFlag())
	}
	if f.Name != "callback" {
		t.Fatalf("flag name %q", f.Name)
	}
	for _, s := range []string{"save-balances", "tipset-summary", "NAME", "PATH"} {
		if !strings.Contains(f.Usage, s) {
			t.Errorf("usage %q does not mention %s", f.Usage, s)
		}
	}
}

func TestBuildCallbacksUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, specs := range [][]string{
		{"save-balances"},
		{"save-balances="},
		{"=" + filepath.Join(dir, "x")},
		{"no-such-callback=" + filepath.Join(dir, "x")},
		{"save-balances=" + filepath.Join(dir, "x"), "tipset-summary=" + filepath.Join(dir, "x")},
	} {
		_, _, err := buildCallbacks(specs)
		if exitStatus(err) != exitBadArgs {
			t.Errorf("%q: got %v, want a usage error", specs, err)
		}
	}
	cbs, finish, err := buildCallbacks(nil)
	if err != nil || len(cbs) != 0 || finish() != nil {
		t.Fatalf("no callbacks: %v %v", cbs, err)
	}
}

// TestBuildCallbacksRun wires the built callbacks into a driver the way
// tvx exec does and checks both files appear only when finish runs.
func TestBuildCallbacksRun(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), "reward/penalties--penalize-bad-nonce-multiple-miners--genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bal, sum := filepath.Join(dir, "balances.txt"), filepath.Join(dir, "summary.jsonl")
	cbs, finish, err := buildCallbacks([]string{"save-balances=" + bal, "tipset-summary=" + sum})
	if err != nil {
		t.Fatal(err)
	}
	out := driver.New(driver.WithCallbacks(cbs...)).Run(context.Background(), v, v.Pre.Variants[0])
	if out.Status != driver.Pass {
		t.Fatalf("%s: %s", out.Status, out.Reason)
	}
	if _, err := os.Stat(bal); !os.IsNotExist(err) {
		t.Fatalf("balances written before finish: %v", err)
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bal)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# "+v.Path+" genesis\n3 f00 0\n") {
		// Variant epoch 2, tipset offset 1.
		t.Errorf("balances file starts %q", string(b)[:min(len(b), 200)])
	}
	s, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(s), "\n"); n != len(v.ApplyTipsets) {
		t.Errorf("summary has %d lines, want %d", n, len(v.ApplyTipsets))
	}
}
