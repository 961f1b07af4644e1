package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/schema"
)

// runCorpus runs tvx with the corpus command added (main.go wires it in
// the shipped binary).
func runCorpus(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	app := newApp(strings.NewReader(""), &out, &errw)
	app.Commands = append(app.Commands, corpusCommand())
	markActions(app.Commands)
	err := app.Run(append([]string{"tvx"}, args...))
	code := exitStatus(err)
	if err != nil {
		errw.WriteString("tvx: " + err.Error() + "\n")
	}
	return code, out.String(), errw.String()
}

var sanityRE = regexp.MustCompile(`(?m)^sanity check completed: (\d+) shards, (\d+) broken, (\d+) repaired$`)

func TestCorpusCommands(t *testing.T) {
	store := t.TempDir()
	files := countFiles(t, sample)

	code, out, errw := runCorpus(t, "corpus", "index", "--store", store, "--store-memory-below", "-1", sample)
	if code != exitOK {
		t.Fatalf("index: exit %d\n%s%s", code, out, errw)
	}
	if m := sanityRE.FindStringSubmatch(errw); m == nil || m[1] != "0" {
		t.Fatalf("index: no sanity line for a fresh store:\n%s", errw)
	}
	if !strings.HasPrefix(out, strconv.Itoa(files)+" vectors: ") || !strings.Contains(out, "0 failed") {
		t.Fatalf("index summary: %q", out)
	}

	// A second index run finds every CAR in place.
	code, out, errw = runCorpus(t, "corpus", "index", "--store", store, "--store-memory-below", "-1", sample)
	if code != exitOK || !strings.Contains(out, " 0 CARs indexed") {
		t.Fatalf("re-index: exit %d: %q\n%s", code, out, errw)
	}

	code, out, _ = runCorpus(t, "corpus", "ls", "--json", "--store", store)
	if code != exitOK {
		t.Fatalf("ls: exit %d", code)
	}
	var shards []corpus.ShardInfo
	vectors := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var sh corpus.ShardInfo
		if err := json.Unmarshal([]byte(line), &sh); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		if sh.State != "available" || sh.IndexSize <= 0 || sh.CARSize <= 0 {
			t.Fatalf("shard %+v", sh)
		}
		shards = append(shards, sh)
		vectors += len(sh.Vectors)
	}
	if vectors != files {
		t.Fatalf("ls lists %d vector files over %d shards, want %d", vectors, len(shards), files)
	}
	if _, out, _ = runCorpus(t, "corpus", "ls", "--store", store); !strings.HasPrefix(out, "KEY") || strings.Count(out, "\n") != len(shards)+1 {
		t.Fatalf("ls text:\n%s", out)
	}

	code, out, _ = runCorpus(t, "corpus", "stat", "--json", "--store", store)
	var st corpus.StoreStats
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st.Shards != len(shards) || st.Vectors != files {
		t.Fatalf("stat: exit %d %q", code, out)
	}

	code, out, _ = runCorpus(t, "corpus", "verify", "--store", store)
	if code != exitOK || !strings.Contains(out, "verified "+strconv.Itoa(len(shards))+" shards") || !strings.Contains(out, ": 0 failed") {
		t.Fatalf("verify: exit %d %q", code, out)
	}

	// Lose an index: the next command reports and repairs it.
	if err := os.Remove(filepath.Join(store, "index", shards[0].Key+".full.idx")); err != nil {
		t.Fatal(err)
	}
	code, out, errw = runCorpus(t, "corpus", "recover", "--store", store)
	if code != exitOK || !strings.Contains(errw, "WARN corpus store: shard "+shards[0].Key) {
		t.Fatalf("recover: exit %d %q\n%s", code, out, errw)
	}
	if m := sanityRE.FindStringSubmatch(errw); m == nil || m[2] != "1" || m[3] != "1" {
		t.Fatalf("recover: sanity line:\n%s", errw)
	}

	code, out, _ = runCorpus(t, "corpus", "gc", "--store", store)
	if code != exitOK || !strings.HasPrefix(out, "removed 0 shards") {
		t.Fatalf("gc: exit %d %q", code, out)
	}
}

func TestCorpusStoreInUse(t *testing.T) {
	store := t.TempDir()
	s, err := corpus.OpenStore(t.Context(), store, corpus.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, _, errw := runCorpus(t, "corpus", "ls", "--store", store)
	if code != exitIO || !strings.Contains(errw, "corpus store in use") {
		t.Fatalf("exit %d: %s", code, errw)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	files, err := schema.Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func TestOpenStoreFromFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		env     string
		wantDir string
	}{
		{args: nil},
		{args: []string{"--store", "DIR"}, wantDir: "DIR"},
		{env: "DIR", wantDir: "DIR"},
	} {
		dir := t.TempDir()
		args := []string{"tvx", "probe"}
		for _, a := range tc.args {
			args = append(args, strings.ReplaceAll(a, "DIR", dir))
		}
		if tc.env != "" {
			t.Setenv("TVX_STORE", dir)
		} else {
			t.Setenv("TVX_STORE", "")
		}
		var got *corpus.Store
		var errw bytes.Buffer
		app := newApp(strings.NewReader(""), &bytes.Buffer{}, &errw)
		app.Commands = []*cli.Command{{
			Name:  "probe",
			Flags: storeFlags(),
			Action: func(c *cli.Context) error {
				s, err := openStoreFromFlags(c)
				got = s
				return err
			},
		}}
		if err := app.Run(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if tc.wantDir == "" {
			if got != nil {
				t.Fatalf("%v: opened a store without --store", args)
			}
			continue
		}
		if got == nil || got.Dir() != strings.ReplaceAll(tc.wantDir, "DIR", dir) {
			t.Fatalf("%v (env %q): store %v", args, tc.env, got)
		}
		got.Close()
		if !sanityRE.MatchString(errw.String()) {
			t.Fatalf("no sanity line on stderr: %q", errw.String())
		}
	}
}
