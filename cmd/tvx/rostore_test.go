//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/corpus"
)

// storeTree describes every entry under dir (mode, size, modification time,
// content digest), so that any file created, removed, written or touched
// shows.
func storeTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tvx corpus stat and verify, and tvx exec --store, run while another
// process has the store open read-only, and two of each at the same time,
// each its own process: each opens it read-only under the shared lock, and not one file
// of the store is created, written or touched. (As root, which chmod cannot
// stop, this is the read-only mode the commands select, asserted by what
// they leave behind; rostore_linux_test.go runs them on a read-only mount.)
func TestStoreReadersShareAndWriteNothing(t *testing.T) {
	store := t.TempDir()
	if code, out, errw := runCorpus(t, "corpus", "index", "--store", store, "--store-memory-below", "-1", filepath.Join(sample, "multisig")); code != exitOK {
		t.Fatalf("index: exit %d\n%s%s", code, out, errw)
	}
	before := storeTree(t, store)
	held, err := corpus.OpenStore(t.Context(), store, corpus.StoreOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	cmds := []struct {
		args []string
		want string
	}{
		{[]string{"corpus", "stat", "--store", store}, "shards:"},
		{[]string{"corpus", "verify", "--store", store}, ": 0 failed"},
		{[]string{"exec", "--store", store, "--store-memory-below", "-1", filepath.Join(sample, "multisig")}, "PASS"},
	}
	// Each command is its own tvx process, as users run them.
	type proc struct {
		args     []string
		want     string
		cmd      *exec.Cmd
		out, err bytes.Buffer
	}
	var procs []*proc
	for _, c := range cmds {
		for range 2 {
			p := &proc{args: c.args, want: c.want}
			p.cmd = exec.Command(os.Args[0])
			p.cmd.Env = append(os.Environ(), cliEnv+"="+strings.Join(c.args, "\x1f"))
			p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, p)
		}
	}
	for _, p := range procs {
		err := p.cmd.Wait()
		out, errw := p.out.String(), p.err.String()
		if err != nil || !strings.Contains(out, p.want) || strings.Contains(out, "FAIL") {
			t.Errorf("tvx %v: %v\n%s%s", p.args, err, out, errw)
		}
		if p.args[0] == "exec" && !strings.Contains(errw, "open read-only by another tvx process; reading it read-only") {
			t.Errorf("tvx exec did not read the store read-only:\n%s", errw)
		}
	}
	after := storeTree(t, store)
	for p, b := range before {
		if a := after[p]; a != b {
			t.Errorf("%s: %q -> %q", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s created", p)
		}
	}
}
