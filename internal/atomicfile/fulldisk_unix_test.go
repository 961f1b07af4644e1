//go:build unix

package atomicfile

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const childEnv = "ATOMICFILE_TEST_FULL_DISK_PATH"

// fullDiskLimit caps the child's file size; writes past it fail with EFBIG,
// as writes on a full disk fail with ENOSPC.
const fullDiskLimit = 64 << 10

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		lim := syscall.Rlimit{Cur: fullDiskLimit, Max: fullDiskLimit}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(3)
		}
		if err := WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestWriteFullDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.car")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "error: write "+path) {
		t.Fatalf("want a write error naming %s, got %v: %s", path, err, out)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("left %v behind", got)
	}
}
