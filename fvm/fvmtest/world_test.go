package fvmtest

import (
	"context"
	"testing"
)

// TestNewBuildsEveryVersion builds a World under each FVM network version.
func TestNewBuildsEveryVersion(t *testing.T) {
	for _, nv := range []uint{16, 17} {
		w, err := New(context.Background(), Options{NetworkVersion: nv})
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		t.Logf("nv%d root %s", nv, w.Root)
	}
}
