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
// without ../shared).
func Shared(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared", "test-vectors", "corpus")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Skipf("public corpus not found at %s", dir)
	}
	return dir
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
