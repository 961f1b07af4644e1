package process

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// The test binary doubles as the executor process: with TVX_TEST_EXECUTOR
// set it serves the protocol on stdin/stdout instead of running tests.
// A mode other than "serve" misbehaves on request 1 (the first request a
// client ever sends), then behaves, so a test sees one broken run and the
// restarted executor serving the rest.
func TestMain(m *testing.M) {
	mode := os.Getenv("TVX_TEST_EXECUTOR")
	if mode == "" {
		os.Exit(m.Run())
	}
	if mode == "serve" {
		if err := Serve(context.Background(), os.Stdin, os.Stdout, driver.DefaultExecutor(), "test"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	misbehave(mode)
}

// misbehave serves like Serve, except for request 1.
func misbehave(mode string) {
	pr, pw, _ := os.Pipe()
	go func() {
		_ = Serve(context.Background(), pr, os.Stdout, driver.DefaultExecutor(), "test-"+mode)
		os.Exit(0)
	}()
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			pw.Close()
			select {}
		}
		if bytes.Contains(line, []byte(`"id":1,`)) && bytes.Contains(line, []byte(`"type":"apply_`)) {
			switch mode {
			case "exit":
				os.Exit(3)
			case "hang":
				continue // never answered
			case "garbage":
				os.Stdout.WriteString("<html>not the protocol</html>\n")
				continue
			case "wrongroot":
				wrong, _ := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum([]byte("no such state"))
				fmt.Fprintf(os.Stdout, `{"type":"result","id":1,"receipt":{"exit_code":0,"return":null,"gas_used":0},"post_root":"%s","receipts_root":"%s"}`+"\n", wrong, wrong)
				continue
			}
		}
		pw.Write(line)
	}
}

// selfCommand is the command line that starts this test binary as an
// executor in mode.
func selfCommand(t *testing.T, mode string) string {
	t.Setenv("TVX_TEST_EXECUTOR", mode)
	return selfExecutable(t)
}

func selfExecutable(tb testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	if strings.ContainsAny(exe, " \t") {
		tb.Skip("test binary path contains spaces")
	}
	return exe
}

func loadVectors(t *testing.T, dir string, every int) []*schema.Vector {
	files, err := schema.Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*schema.Vector
	for i, f := range files {
		if i%every != 0 {
			continue
		}
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestProtocolMatchesInProcess runs the shared corpus through the protocol
// (this binary serving tvx's VM) and in process: every variant must come to
// the same status, reason and post-state root.
func TestProtocolMatchesInProcess(t *testing.T) {
	root := testcorpus.Shared(t)
	every := 1
	if raceEnabled || testing.Short() {
		every = 15
	}
	dirs := []string{root}
	for _, other := range []string{"specs-actors-v6", "fvm-test-vectors"} {
		if p := filepath.Join(filepath.Dir(root), other); dirExists(p) {
			dirs = append(dirs, p)
		}
	}
	cl, err := NewClient(selfCommand(t, "serve"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	theirs, ours := driver.New(driver.WithExecutor(cl)), driver.New()
	runs := 0
	for di, dir := range dirs {
		n := every
		if di > 0 {
			n = every * 5 // the other corpora: a sample
		}
		for _, v := range loadVectors(t, dir, n) {
			for _, vr := range v.Pre.Variants {
				a, b := theirs.Run(ctx, v, vr), ours.Run(ctx, v, vr)
				runs++
				if a.Status != b.Status || a.Reason != b.Reason || a.ActualRoot != b.ActualRoot || a.AssumedProofs != b.AssumedProofs {
					t.Errorf("%s %s: protocol %s %q root %s; in process %s %q root %s",
						v.Path, vr.ID, a.Status, a.Reason, a.ActualRoot, b.Status, b.Reason, b.ActualRoot)
				}
			}
		}
	}
	t.Logf("%d runs compared", runs)
	if runs == 0 {
		t.Fatal("no runs")
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// TestBrokenExecutor: an executor that exits, hangs, writes garbage or
// answers a root it did not supply makes exactly the affected run an Error
// naming what happened, and the restarted executor serves the next runs.
func TestBrokenExecutor(t *testing.T) {
	vectors := loadVectors(t, filepath.Join(testcorpus.Shared(t), "transfer"), 1)
	if len(vectors) > 4 {
		vectors = vectors[:4]
	}
	for _, tc := range []struct{ mode, want string }{
		{"exit", "exited (exit status 3)"},
		{"hang", "no answer to request 1 within"},
		{"garbage", "not a protocol message: \"<html>"},
		{"wrongroot", "is neither a block it was given nor one it wrote"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cl, err := NewClient(selfCommand(t, tc.mode), WithTimeout(3*time.Second), WithStderr(&bytes.Buffer{}))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			d := driver.New(driver.WithExecutor(cl))
			errs := 0
			for i, v := range vectors {
				out := d.Run(context.Background(), v, v.Pre.Variants[0])
				if i == 0 {
					if out.Status != driver.Error || !strings.Contains(out.Reason, tc.want) || !strings.Contains(out.Reason, executor.ErrBroken.Error()) {
						t.Errorf("first run: want an Error containing %q, got %s: %s", tc.want, out.Status, out.Reason)
					}
					t.Logf("first run: %s: %s", out.Status, out.Reason)
					continue
				}
				if out.Status == driver.Error {
					errs++
					t.Errorf("run %d after the broken one: %s: %s", i, out.Status, out.Reason)
				}
			}
		})
	}
}

// TestCheckFindsNoFaultInServe runs `executor check`'s checks against
// tvx's own server, which must pass them all.
func TestCheckFindsNoFaultInServe(t *testing.T) {
	dir := filepath.Join(testcorpus.Shared(t), "transfer")
	rep, err := Check(context.Background(), selfCommand(t, "serve"), []string{dir}, CheckOptions{MaxRuns: 3, Timeout: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.Join(rep.Lines, "\n"))
	if rep.ProtocolFailures != 0 || rep.Differences != 0 || rep.Runs != 3 {
		t.Errorf("check of tvx's own server: %d protocol failures, %d differences, %d runs", rep.ProtocolFailures, rep.Differences, rep.Runs)
	}
}

// TestCheckReportsBrokenExecutor: a garbage-writing executor fails check
// with a protocol failure, not a VM difference.
func TestCheckReportsBrokenExecutor(t *testing.T) {
	dir := filepath.Join(testcorpus.Shared(t), "transfer")
	rep, err := Check(context.Background(), selfCommand(t, "garbage"), []string{dir}, CheckOptions{MaxRuns: 2, Timeout: 6 * time.Second, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.Join(rep.Lines, "\n"))
	if rep.ProtocolFailures == 0 {
		t.Error("garbage output passed the protocol checks")
	}
}
