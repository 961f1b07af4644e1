package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/corpus"
)

// A store on a read-only filesystem does not stop tvx exec: the vectors'
// own blocks are read instead, with a warning. (Needs a read-only bind
// mount, so root; skipped elsewhere.)
func TestExecReadOnlyStore(t *testing.T) {
	src, mnt := t.TempDir(), t.TempDir()
	s, err := corpus.OpenStore(t.Context(), src, corpus.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if out, err := exec.Command("mount", "--bind", src, mnt).CombinedOutput(); err != nil {
		t.Skipf("no bind mount here: %v %s", err, out)
	}
	defer exec.Command("umount", mnt).Run()
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", mnt).CombinedOutput(); err != nil {
		t.Skipf("no read-only remount here: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o644); err == nil {
		t.Skip("the mount is writable")
	}
	code, out, errw := runTvx(t, "", "exec", "--store", mnt, filepath.Join(sample, msgVector))
	if code != exitOK || !strings.Contains(errw, "read-only filesystem") || !strings.Contains(out, "PASS") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errw)
	}
}
