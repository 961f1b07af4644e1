package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/fvm/fvmtest"
	"github.com/tvx-project/tvx/schema"
)

// Extraction at nv17: a chain built and executed on tvx's FVM, served by a
// Lotus-API node, yields vectors through tvx extract (messages with both
// retention modes, and its tipsets squashed) that pass the extraction's
// check against the chain and tvx exec, in process and through
// `tvx executor serve`.
func TestExtractFVMChainThroughNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes a chain with actor code")
	}
	ctx := context.Background()
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	c, err := fvmtest.BuildChain(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	srv := chaintest.NewServer(c.Source(), "read.token")
	defer srv.Close()
	t.Setenv("FULLNODE_API_INFO", "read.token:"+srv.Multiaddr())
	dir := t.TempDir()
	n := 0
	for _, name := range []string{"CreateMiner", "Send", "PubkeyAddress"} {
		for _, retain := range []string{"accessed-cids", "accessed-actors"} {
			out := filepath.Join(dir, name+"-"+retain+".json")
			code, _, errs := runExtractCLI(t, "extract", "--cid", c.Messages[name].String(), "--state-retain", retain, "-o", out)
			if code != exitOK {
				t.Fatalf("%s (%s): extract exit %d\n%s", name, retain, code, errs)
			}
			v, err := schema.LoadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if nv := v.Pre.Variants[0].NetworkVersion; nv != 17 || len(v.Post.Receipts) != 1 || v.Post.Receipts[0].ExitCode != 0 {
				t.Errorf("%s (%s): nv%d, receipts %+v", name, retain, nv, v.Post.Receipts)
			}
			n++
		}
	}
	first, last := c.Tipsets[0], c.Tipsets[len(c.Tipsets)-1]
	out := filepath.Join(dir, "tipsets.json")
	code, _, errs := runExtractCLI(t, "extract", "--class", "tipset", "--tsk", fmt.Sprintf("@%d..@%d", first.Height(), last.Height()), "--squash", "-o", out)
	if code != exitOK {
		t.Fatalf("tipsets: extract exit %d\n%s", code, errs)
	}
	n++

	var stdout, stderr syncBuffer
	app := newApp(strings.NewReader(""), &stdout, &stderr)
	if err := app.Run([]string{"tvx", "exec", dir}); err != nil {
		t.Fatalf("tvx exec: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if got := strings.Count(stdout.String(), "PASS"); got != n {
		t.Fatalf("tvx exec: %d PASS lines for %d vectors\n%s", got, n, stdout.String())
	}
	// Through the executor process protocol (messages and the FVM's
	// tipsets on another process) the vectors pass too.
	if code, out, errs := runTvx(t, "", "exec", "--executor", serveCommand(t), dir); code != exitOK || strings.Count(out, "PASS") != n {
		t.Fatalf("tvx exec --executor 'tvx executor serve': exit %d\n%s%s", code, out, errs)
	}
}

// tvx chain build at nv17: a tipset vector on a built FVM state becomes a
// chain CAR, from which tvx extract writes a tipset vector that passes.
func TestChainBuildFVMVector(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes a chain with actor code")
	}
	ctx := context.Background()
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := w.MinerTipsets()
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.TipsetVector("fvm-chain-build", 0, ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Expect(ctx, v); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, car, out := filepath.Join(dir, "in.json"), filepath.Join(dir, "chain.car"), filepath.Join(dir, "out", "tipsets.json")
	if err := schema.WriteFile(in, v); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runExtractCLI(t, "chain", "build", "-o", car, in); code != exitOK {
		t.Fatalf("chain build exit %d\n%s", code, errs)
	}
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--nv", "17", "--class", "tipset", "--tsk", "@1..@3", "--squash", "-o", out); code != exitOK {
		t.Fatalf("extract exit %d\n%s", code, errs)
	}
	got, err := schema.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Post.StateTree.RootCID != v.Post.StateTree.RootCID || got.Pre.Variants[0].NetworkVersion != 17 {
		t.Errorf("extracted: root %s nv%d, the vector's root %s", got.Post.StateTree.RootCID, got.Pre.Variants[0].NetworkVersion, v.Post.StateTree.RootCID)
	}
	var stdout, stderr syncBuffer
	app := newApp(strings.NewReader(""), &stdout, &stderr)
	if err := app.Run([]string{"tvx", "exec", filepath.Dir(out)}); err != nil {
		t.Fatalf("tvx exec: %v\n%s%s", err, stdout.String(), stderr.String())
	}
}
