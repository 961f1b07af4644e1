// Package testcorpus locates the corpora that tests read: the public corpus
// in ../shared beside the repository, and the repository's bundled sample.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the directory holding go.mod, found by walking up from
// the working directory (a package's directory under `go test`).
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Shared returns the public corpus at ../shared/test-vectors/corpus beside
// the repository, or skips the test when it is absent (a fresh clone
// without ../shared); when Required, its absence fails the test instead.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir := SharedPath(tb)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if Required() {
			tb.Fatalf("public corpus not found at %s (required: CI or TVX_REQUIRE_CORPUS=1 is set)", dir)
		}
		tb.Skipf("public corpus not found at %s", dir)
	}
	return dir
}

// SharedPath is where the public corpus is expected, present or not.
func SharedPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(RepoRoot(tb), "..", "shared", "test-vectors", "corpus")
}

// Sample returns the repository's bundled sample of public vectors.
func Sample(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(RepoRoot(tb), "corpus", "public")
}

// FVMSet returns the FVM-era extraction set name (nv17-shark, nv18-hygge)
// under ../shared/test-vectors/fvm-test-vectors, or skips the test when it
// is absent.
func FVMSet(tb testing.TB, name string) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared", "test-vectors", "fvm-test-vectors", name)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Skipf("FVM vectors not found at %s", dir)
	}
	return dir
}

// Required reports whether a missing public corpus must fail the tests that
// read it rather than skip them: in CI (CI set) or with TVX_REQUIRE_CORPUS=1,
// so a CI job cannot go green by checking only the bundled sample.
func Required() bool {
	if v := os.Getenv("TVX_REQUIRE_CORPUS"); v != "" {
		return v == "1"
	}
	return os.Getenv("CI") != ""
}

// GenesisCARs returns the real genesis CARs at ../shared/chain beside the
// repository, by network name ("mainnet", "calibnet"), or skips the test
// when they are absent.
func GenesisCARs(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, n := range []string{"mainnet", "calibnet"} {
		p := filepath.Join(RepoRoot(tb), "..", "shared", "chain", "genesis-"+n+".car")
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("genesis CARs not found: %v", err)
		}
		out[n] = p
	}
	return out
}
