package fvmtest

import (
	"context"
	"testing"
)

// TestNewBuildsEveryVersion builds a World under each FVM network version.
func TestNewBuildsEveryVersion(t *testing.T) {
	for _, nv := range []uint{16, 17, 18} {
		w, err := New(context.Background(), Options{NetworkVersion: nv})
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		t.Logf("nv%d root %s", nv, w.Root)
	}
}

// testVersions are the network versions the chain tests run: nv16 to
// nv18, or nv17 alone under the race detector.
func testVersions() []uint {
	if raceEnabled {
		return []uint{17}
	}
	return []uint{16, 17, 18}
}
