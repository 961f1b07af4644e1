package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/networks"
)

// The real genesis CARs: read, recognised, listed and diffed; extracting
// the genesis tipset says why there is no vector of it; commands that want
// vectors name a chain CAR as such.
func TestGenesisCARs(t *testing.T) {
	for network, path := range testcorpus.GenesisCARs(t) {
		t.Run(network, func(t *testing.T) {
			src, err := chain.OpenCAR(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			head, err := src.Head(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if head.Height() != 0 {
				t.Fatalf("head at %d, want the genesis tipset", head.Height())
			}
			gen := head.Cids()[0].String()
			root := head.ParentState().String()

			code, out, errw := runExtractCLI(t, "chain", "info", "--car", path)
			if code != exitOK || !strings.Contains(out, "network "+mustNetwork(t, network)) || !strings.Contains(out, "state root: "+root) || !strings.Contains(out, "heights 0..0") {
				t.Fatalf("chain info: exit %d\n%s%s", code, out, errw)
			}
			code, out, errw = runExtractCLI(t, "chain", "ls", "--car", path)
			if want := "0\t{" + gen + "}\t" + root + "\n"; code != exitOK || out != want {
				t.Fatalf("chain ls: exit %d: %q, want %q\n%s", code, out, want, errw)
			}

			// One root lists the tree's actors; the header and the tipset
			// key name the same tree.
			code, byRoot, errw := runExtractCLI(t, "diff", "--car", path, root)
			if code != exitOK || !strings.Contains(byRoot, "f00\tfil/1/system") || !strings.Contains(byRoot, "fil/1/storagepower") {
				t.Fatalf("diff one root: exit %d\n%s%s", code, byRoot, errw)
			}
			for _, name := range []string{gen, "{" + gen + "}"} {
				if code, out, errw := runExtractCLI(t, "diff", "--car", path, name); code != exitOK || out != byRoot {
					t.Errorf("diff %s: exit %d\n%s%s", name, code, out, errw)
				}
			}
			code, out, errw = runExtractCLI(t, "diff", "--car", path, gen, root)
			if code != exitOK || !strings.Contains(out, "identical roots") {
				t.Errorf("diff header against its state root: exit %d\n%s%s", code, out, errw)
			}

			out2 := filepath.Join(t.TempDir(), "genesis.json")
			code, _, errw = runExtractCLI(t, "extract", "--car", path, "--class", "tipset", "--height", "0", "--out", out2)
			if code == exitOK || !strings.Contains(errw, "genesis tipset is created, not executed") || strings.Contains(errw, "decode block header") {
				t.Errorf("extract --height 0: exit %d\n%s", code, errw)
			}
			if _, err := os.Stat(out2); err == nil {
				t.Error("extract --height 0 wrote a file")
			}

			code, _, errw = runExtractCLI(t, "chain", "build", path, "--out", filepath.Join(t.TempDir(), "c.car"))
			if code == exitOK || !strings.Contains(errw, "a CAR file, not a vector") {
				t.Errorf("chain build on a chain CAR: exit %d\n%s", code, errw)
			}
			code, _, errw = runCorpus(t, "corpus", "index", "--store", t.TempDir(), path)
			if code == exitOK || !strings.Contains(errw, "a CAR file, not a vector") {
				t.Errorf("corpus index on a chain CAR: exit %d\n%s", code, errw)
			}
		})
	}
}

func mustNetwork(t *testing.T, name string) string {
	t.Helper()
	p, ok := networks.ByName(name)
	if !ok {
		t.Fatalf("network %s not in the table", name)
	}
	return p.Name
}
