package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tvx-project/tvx/schema"
)

// tvx diff --car exits as diff(1): 0 same, 1 different, 2 trouble (a root
// whose blocks the CAR lacks).
func TestDiffCARExitsLikeDiff(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(sample, "multisig", "basic--ok-create--genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	car, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.car")
	if err := os.WriteFile(path, car, 0o644); err != nil {
		t.Fatal(err)
	}
	pre, post := v.Pre.StateTree.RootCID.String(), v.Post.StateTree.RootCID.String()
	absent := "bafy2bzacecaagsjzlqmnuxzjrui7tmefdg7g6mdwcvrnhsitdchcf2lwdyeae"
	for _, c := range []struct {
		a, b string
		want int
	}{
		{pre, pre, diffSame},
		{pre, post, diffDiffer},
		{pre, absent, diffTrouble},
	} {
		if code, out, errw := runTvx(t, "", "diff", "--car", path, c.a, c.b); code != c.want {
			t.Errorf("diff %s %s: exit %d, want %d\n%s%s", c.a, c.b, code, c.want, out, errw)
		}
	}
}
