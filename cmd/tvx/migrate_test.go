package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
)

// tvx migrate on the real mainnet genesis: all seven migrations in one run,
// or in two through the CAR the first writes, reach the same root; each
// failure the command names gets its own message and exit status, and no
// file is left behind by a failed run.
func TestMigrateCommand(t *testing.T) {
	path := testcorpus.GenesisCARs(t)["mainnet"]
	src, err := chain.OpenCAR(path)
	if err != nil {
		t.Fatal(err)
	}
	head, err := src.Head(context.Background())
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	root := head.ParentState().String()
	dir := t.TempDir()

	code, out, errw := runExtractCLI(t, "migrate", "--car", path, "--root", root, "--to", "15", "--workers", "1")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errw)
	}
	for _, want := range []string{"versions:   nv0 -> nv15, 7 migration(s)", "time:", "nv4 (actorsv2", "nv15 (ohsnap",
		"storageminer       fil/6/storageminer            3 -> fil/7/storageminer            3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	final := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]

	mid := filepath.Join(dir, "nv12.car")
	code, out, errw = runExtractCLI(t, "migrate", "--car", path, "--root", root, "--to", "12", "--out", mid)
	if code != exitOK {
		t.Fatalf("to 12: exit %d\n%s%s", code, out, errw)
	}
	midRoot := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]
	code, out, errw = runExtractCLI(t, "migrate", "--car", mid, "--root", midRoot, "--to", "15", "--workers", "4")
	if code != exitOK || !strings.HasPrefix(out, "root:       "+final+"\n") || !strings.Contains(out, "nv12 -> nv15, 3 migration(s)") {
		t.Fatalf("12 -> 15 from the written CAR: exit %d, want root %s\n%s%s", code, final, out, errw)
	}

	// Calibnet's schedule has no Calico migration.
	cal := testcorpus.GenesisCARs(t)["calibnet"]
	csrc, err := chain.OpenCAR(cal)
	if err != nil {
		t.Fatal(err)
	}
	chead, _ := csrc.Head(context.Background())
	csrc.Close()
	code, out, errw = runExtractCLI(t, "migrate", "--network", "calibnet", "--car", cal, "--root", chead.ParentState().String(), "--to", "15")
	if code != exitOK || !strings.Contains(out, "nv0 -> nv15, 6 migration(s)") || strings.Contains(out, "nv7 (calico") {
		t.Fatalf("calibnet: exit %d\n%s%s", code, out, errw)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"FVM version", []string{"--car", path, "--root", root, "--to", "16"}, exitBadArgs, "network version 16 (skyr) runs the FVM"},
		{"unknown network", []string{"--network", "nowhere", "--car", path, "--root", root, "--to", "15"}, exitBadArgs, "--network"},
		{"backwards", []string{"--car", mid, "--root", midRoot, "--to", "4"}, exitBadArgs, "older than the state's 12"},
		{"not a state tree", []string{"--car", path, "--root", head.Cids()[0].String(), "--to", "15"}, exitBadInput, "not a state tree"},
		{"wrong source version", []string{"--car", path, "--root", root, "--from", "10", "--to", "15"}, exitBadInput, "holds actors v0 state, expected actors v3"},
		{"missing block", []string{"--car", mid, "--root", root, "--to", "15"}, exitBadInput, "missing block " + root},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(dir, "bad-"+strings.ReplaceAll(c.name, " ", "-")+".car")
			code, out, errw := runExtractCLI(t, append([]string{"migrate", "--out", dst}, c.args...)...)
			if code != c.code || !strings.Contains(errw, c.msg) {
				t.Errorf("exit %d (want %d), stderr lacks %q:\n%s%s", code, c.code, c.msg, out, errw)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("a failed run left %s (%v)", dst, err)
			}
		})
	}
}
