//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/extract"
)

// fullDiskEnv names the writer a re-executed test binary runs under a file
// size limit, which makes the kernel refuse writes (EFBIG) the way a full
// disk refuses them (ENOSPC) — without needing a small filesystem.
const fullDiskEnv = "TVX_TEST_FULL_DISK_WRITER"

// fullDiskWriters are the command's file writers of its own (the rest use
// internal/atomicfile directly, tested there), each given a target path
// and enough data to pass the limit.
var fullDiskWriters = map[string]func(path string) error{
	"candidates": func(path string) error {
		var cs []extract.Candidate
		for i := 0; i < 4000; i++ {
			h, _ := multihash.Sum([]byte(fmt.Sprint(i)), multihash.SHA2_256, -1)
			cs = append(cs, extract.Candidate{Message: cid.NewCidV1(cid.DagCBOR, h), ReceiverCode: "fil/7/account", Seq: fmt.Sprint(i)})
		}
		return writeCandidates(path, cs)
	},
}

// fullDiskLimit is the largest file the child may write.
const fullDiskLimit = 64 << 10

// fullDiskCLILimit is the largest file a tvx run in the child may write:
// less than a vector or a chain CAR of one small tipset.
const fullDiskCLILimit = 4 << 10

// fullDiskCLIEnv holds, separated by US (0x1f), the arguments of a tvx run the
// re-executed test binary makes under the file size limit; it exits with
// tvx's status.
const fullDiskCLIEnv = "TVX_TEST_FULL_DISK_CLI"

// cliEnv holds, separated by US (0x1f), the arguments of a plain tvx run
// the re-executed test binary makes: tvx as its own process, for tests of
// several tvx processes at once.
const cliEnv = "TVX_TEST_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		os.Exit(run([]string{"tvx", "executor", "serve"}, os.Stdin, os.Stdout, os.Stderr))
	}
	if args := os.Getenv(cliEnv); args != "" {
		os.Exit(run(append([]string{"tvx"}, strings.Split(args, "\x1f")...), strings.NewReader(""), os.Stdout, os.Stderr))
	}
	if args := os.Getenv(fullDiskCLIEnv); args != "" {
		lim := syscall.Rlimit{Cur: fullDiskCLILimit, Max: fullDiskCLILimit}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(99)
		}
		os.Exit(run(append([]string{"tvx"}, strings.Split(args, "\x1f")...), strings.NewReader(""), os.Stdout, os.Stderr))
	}
	if name := os.Getenv(fullDiskEnv); name != "" {
		lim := syscall.Rlimit{Cur: fullDiskLimit, Max: fullDiskLimit}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(3)
		}
		if err := fullDiskWriters[name](os.Getenv(fullDiskEnv + "_PATH")); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// On a full disk every writer fails with an error and leaves nothing behind:
// neither the target nor a temporary file.
func TestWritersLeaveNothingOnFullDisk(t *testing.T) {
	for name := range fullDiskWriters {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "_candidates.csv")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fullDiskEnv+"="+name, fullDiskEnv+"_PATH="+target)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("write succeeded past a %d-byte limit: %s", fullDiskLimit, out)
			}
			if !strings.Contains(string(out), "error:") {
				t.Fatalf("writer did not return an error: %v\n%s", err, out)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				t.Errorf("left %s behind after: %s", e.Name(), strings.TrimSpace(string(out)))
			}
		})
	}
}

// runFullDisk runs tvx with args in a child process whose files may not
// grow past fullDiskCLILimit, and returns its exit status and output.
func runFullDisk(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullDiskCLIEnv+"="+strings.Join(args, "\x1f"))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}
