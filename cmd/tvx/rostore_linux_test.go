package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/corpus"
)

// roStore indexes dir's vectors into a store and returns the store's
// directory and a read-only bind mount of it. (A bind mount needs root,
// and root is what chmod cannot stop, so this is the real test of a store
// the process cannot write; skipped where mounting is refused.)
func roStore(t *testing.T, vectors string) (src, mnt string) {
	t.Helper()
	src, mnt = t.TempDir(), t.TempDir()
	if code, out, errw := runCorpus(t, "corpus", "index", "--store", src, "--store-memory-below", "-1", vectors); code != exitOK {
		t.Fatalf("index: exit %d\n%s%s", code, out, errw)
	}
	if out, err := exec.Command("mount", "--bind", src, mnt).CombinedOutput(); err != nil {
		t.Skipf("no bind mount here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", mnt).CombinedOutput(); err != nil {
		t.Skipf("no read-only remount here: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o644); err == nil {
		t.Skip("the mount is writable")
	}
	return src, mnt
}

// tvx corpus stat, ls and verify work on a store on a read-only mount, and
// report what the writable store reports.
func TestCorpusReadOnlyMount(t *testing.T) {
	src, mnt := roStore(t, filepath.Join(sample, "multisig"))
	stat := func(dir string) corpus.StoreStats {
		t.Helper()
		code, out, errw := runCorpus(t, "corpus", "stat", "--json", "--store", dir)
		var st corpus.StoreStats
		if code != exitOK || json.Unmarshal([]byte(out), &st) != nil {
			t.Fatalf("stat %s: exit %d\n%s%s", dir, code, out, errw)
		}
		return st
	}
	want, got := stat(src), stat(mnt)
	if want.Shards == 0 || got.Shards != want.Shards || got.Vectors != want.Vectors || got.CARBytes != want.CARBytes {
		t.Fatalf("stat on the read-only mount %+v, on the store %+v", got, want)
	}
	code, out, errw := runCorpus(t, "corpus", "verify", "--store", mnt)
	if code != exitOK || !strings.Contains(out, ": 0 failed") || !strings.Contains(out, "verified "+strconv.Itoa(want.Shards)+" shards") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errw)
	}
	code, out, errw = runCorpus(t, "corpus", "ls", "--store", mnt)
	if code != exitOK || strings.Count(out, " available ") != want.Shards {
		t.Fatalf("ls: exit %d\n%s%s", code, out, errw)
	}
	// The commands that write say why they cannot.
	if code, _, errw := runCorpus(t, "corpus", "gc", "--store", mnt); code != exitIO || !strings.Contains(errw, "read-only") {
		t.Fatalf("gc: exit %d\n%s", code, errw)
	}
}

// tvx exec --store on a read-only mount reads the store's shards (flipped
// bytes in one are caught, and the vector's own blocks used) and passes.
func TestExecReadOnlyStore(t *testing.T) {
	src, mnt := roStore(t, filepath.Join(sample, "multisig"))
	s, err := corpus.OpenStore(t.Context(), src, corpus.StoreOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, sh := range s.Shards() {
		for _, v := range sh.Vectors {
			if strings.HasSuffix(v, msgVector) {
				key = sh.Key
			}
		}
	}
	s.Close()
	if key == "" {
		t.Fatalf("%s has no shard", msgVector)
	}
	car := filepath.Join(src, "cars", key+".car")
	data, err := os.ReadFile(car)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data)/2+8; i++ {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(car, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errw := runTvx(t, "", "exec", "--store", mnt, "--store-memory-below", "-1", filepath.Join(sample, msgVector))
	if code != exitOK || !strings.Contains(out, "PASS") ||
		!strings.Contains(errw, "is not writable; reading it read-only") ||
		!strings.Contains(errw, "corrupt store: shard "+key) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errw)
	}
	// The other vectors' shards are intact and serve them.
	code, out, errw = runTvx(t, "", "exec", "--store", mnt, "--store-memory-below", "-1", filepath.Join(sample, "multisig"))
	if code != exitOK || strings.Contains(out, "FAIL") || strings.Count(errw, "corrupt store") != 1 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errw)
	}
}
