package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// serveEnv makes the re-executed test binary run `tvx executor serve`.
const serveEnv = "TVX_TEST_EXECUTOR_SERVE"

// serveCommand is an --executor command line running this test binary as
// `tvx executor serve`.
func serveCommand(t *testing.T) string {
	t.Setenv(serveEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(exe, " \t") {
		t.Skip("test binary path contains spaces")
	}
	return exe
}

var durationField = regexp.MustCompile(`"duration_ms":[0-9]+,?`)

// resultLines are the per-run lines of `tvx exec --json` output without
// their durations (the summary line holds timings only).
func resultLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, `{"file":`) {
			b.WriteString(durationField.ReplaceAllString(l, "") + "\n")
		}
	}
	return b.String()
}

// TestExecThroughServe: tvx exec --executor 'tvx executor serve' prints
// the same --json result lines, durations aside, as tvx exec.
func TestExecThroughServe(t *testing.T) {
	dir := filepath.Join(testcorpus.Shared(t), "nested")
	serve := serveCommand(t)
	code1, in, errs := runTvx(t, "", "exec", "--json", dir)
	code2, out, errs2 := runTvx(t, "", "exec", "--json", "--executor", serve, dir)
	if code1 != code2 {
		t.Fatalf("exit %d in process, %d through the protocol\n%s\n%s", code1, code2, errs, errs2)
	}
	a, b := resultLines(in), resultLines(out)
	if a != b || a == "" {
		t.Errorf("outputs differ:\nin process:\n%s\nprotocol:\n%s", a, b)
	}
}

// TestExtractThroughServe: a tipset extracted with --executor 'tvx
// executor serve' is the vector extracted in process.
func TestExtractThroughServe(t *testing.T) {
	vec := filepath.Join(testcorpus.Shared(t), "reward", "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	dir := t.TempDir()
	car := filepath.Join(dir, "chain.car")
	if code, _, errs := runExtractCLI(t, "chain", "build", vec, "--out", car); code != 0 {
		t.Fatalf("chain build: exit %d\n%s", code, errs)
	}
	v, err := schema.LoadFile(vec)
	if err != nil {
		t.Fatal(err)
	}
	h := fmt.Sprint(v.Pre.Variants[0].Epoch + v.ApplyTipsets[0].EpochOffset)
	serve := serveCommand(t)
	a, b := filepath.Join(dir, "in.json"), filepath.Join(dir, "protocol.json")
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--height", h, "--out", a); code != 0 {
		t.Fatalf("extract: exit %d\n%s", code, errs)
	}
	if code, _, errs := runExtractCLI(t, "extract", "--executor", serve, "--car", car, "--class", "tipset", "--height", h, "--out", b); code != 0 {
		t.Fatalf("extract --executor: exit %d\n%s", code, errs)
	}
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("the vectors differ:\n%s\n%s", x, y)
	}
}

// TestExecutorCheckCLI: tvx's own server passes `tvx executor check`; a
// command that does not speak the protocol fails it with exit 1.
func TestExecutorCheckCLI(t *testing.T) {
	dir := filepath.Join(testcorpus.Shared(t), "transfer")
	code, out, errs := runTvx(t, "", "executor", "check", "--max", "2", serveCommand(t), dir)
	if code != exitOK || !strings.Contains(out, "0 protocol checks failed, 0 of 2 runs differ") {
		t.Errorf("check of tvx executor serve: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runTvx(t, "", "executor", "check", "--timeout", "2s", "cat", dir)
	if code != exitFailed || !strings.Contains(out, "FAIL protocol malformed request") {
		t.Errorf("check of cat: exit %d\n%s", code, out)
	}
}
