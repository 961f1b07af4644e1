package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// runExtractCLI runs tvx with the extraction commands present (whether or
// not main.go wires them yet) and returns the exit status and output.
func runExtractCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw syncBuffer
	app := newApp(strings.NewReader(""), &out, &errw)
	have := map[string]bool{}
	for _, c := range app.Commands {
		have[c.Name] = true
	}
	for _, c := range []*cli.Command{extractCommand(), extractManyCommand(), chainCommand(), simulateCommand()} {
		if !have[c.Name] {
			app.Commands = append(app.Commands, c)
		}
	}
	markActions(app.Commands)
	err := app.Run(append([]string{"tvx"}, args...))
	code := exitStatus(err)
	if err != nil {
		fmt.Fprintf(&errw, "tvx: %v\n", err)
	}
	return code, out.String(), errw.String()
}

// tvx chain build, then tvx extract (tipset and message) and extract-many
// --unique from the CAR it wrote; tvx exec passes every vector.
func TestExtractCLI(t *testing.T) {
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
	h := v.Pre.Variants[0].Epoch + v.ApplyTipsets[0].EpochOffset

	tv := filepath.Join(dir, "tipset.json")
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--height", fmt.Sprint(h), "--out", tv); code != 0 {
		t.Fatalf("extract tipset: exit %d\n%s", code, errs)
	}
	got, err := schema.LoadFile(tv)
	if err != nil {
		t.Fatal(err)
	}
	if got.Post.StateTree.RootCID != v.Post.StateTree.RootCID {
		t.Fatalf("extracted vector ends at %s, the original at %s", got.Post.StateTree.RootCID, v.Post.StateTree.RootCID)
	}

	src, err := chain.OpenCAR(car)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := src.Head(context.Background())
	msgs, err := src.ParentMessages(context.Background(), head.Cids()[0])
	src.Close()
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no executed messages in the built chain: %v", err)
	}
	// Lotus's --tsk forms: @H is --height H, @head the chain's head, @A..@B a range.
	byTsk := filepath.Join(dir, "tipset-tsk.json")
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--tsk", fmt.Sprintf("@%d", h), "--out", byTsk); code != 0 {
		t.Fatalf("extract --tsk @%d: exit %d\n%s", h, code, errs)
	}
	a, _ := os.ReadFile(tv)
	b, _ := os.ReadFile(byTsk)
	if !bytes.Equal(a, b) {
		t.Fatalf("--tsk @%d and --height %d extract different vectors", h, h)
	}
	headByHeight, headByRef := filepath.Join(dir, "head-h.json"), filepath.Join(dir, "head-ref.json")
	c1, _, e1 := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--height", fmt.Sprint(head.Height()), "--ignore-sanity-checks", "--out", headByHeight)
	c2, _, e2 := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--tsk", fmt.Sprintf("@%d..@head", head.Height()), "--squash", "--ignore-sanity-checks", "--out", headByRef)
	a, _ = os.ReadFile(headByHeight)
	b, _ = os.ReadFile(headByRef)
	if c1 != 0 || c2 != 0 || len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("--tsk @%d..@head (exit %d) differs from --height %d (exit %d)\n%s%s", head.Height(), c2, head.Height(), c1, e1, e2)
	}

	mv := filepath.Join(dir, "message.json")
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--circ-supply", "0", "--cid", msgs[0].Cid.String(), "--state-retain", "accessed-actors", "-o", mv); code != 0 {
		t.Fatalf("extract message: exit %d\n%s", code, errs)
	}

	// tvx simulate runs the same message on the state its tipset started
	// from: with no precursor, it must come to the chain's receipt.
	extracted, err := schema.LoadFile(mv)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := msgs[0].Message.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	sv := filepath.Join(dir, "simulated.json")
	code, _, errs := runExtractCLI(t, "simulate", "--car", car, "--circ-supply", "0", "--msg", base64.StdEncoding.EncodeToString(raw),
		"--at-epoch", fmt.Sprint(extracted.Pre.Variants[0].Epoch), "--out", sv, "--statediff")
	if code != 0 {
		t.Fatalf("simulate: exit %d\n%s", code, errs)
	}
	simulated, err := schema.LoadFile(sv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := simulated.Post.Receipts[0], extracted.Post.Receipts[0]; got.ExitCode != want.ExitCode || got.GasUsed != want.GasUsed ||
		!strings.HasPrefix(simulated.ID(), "simulated-") {
		t.Fatalf("simulated %s: exit %d gas %d; extracted: exit %d gas %d", simulated.ID(), got.ExitCode, got.GasUsed, want.ExitCode, want.GasUsed)
	}
	if !strings.Contains(errs, "summary: ") {
		t.Fatalf("--statediff printed no diff:\n%s", errs)
	}

	many := filepath.Join(dir, "many")
	code, out, errs := runExtractCLI(t, "extract-many", "--car", car, "--circ-supply", "0", "--range", fmt.Sprintf("%d..%d", h, h), "--unique", "--outdir", many, "--batch-id", "0007")
	if code != 0 {
		t.Fatalf("extract-many: exit %d\n%s", code, errs)
	}
	if n := len(strings.Fields(out)); n == 0 {
		t.Fatal("extract-many listed no vector")
	}
	if _, err := os.Stat(filepath.Join(many, "_candidates.csv")); err != nil {
		t.Fatal(err)
	}

	if code, _, errs := runExtractCLI(t, "exec", tv, mv, many); code != 0 {
		t.Fatalf("exec of the extracted vectors: exit %d\n%s", code, errs)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"extract", "--car", car, "--class", "block"},
		{"extract", "--car", car, "--class", "tipset"},
		{"extract", "--car", car, "--class", "message"},
		{"extract-many", "--car", car, "--outdir", many},
		{"chain", "build", "--out", car},
	} {
		if code, _, _ := runExtractCLI(t, args...); code != exitBadArgs {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadArgs)
		}
	}
}
