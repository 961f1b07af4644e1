package extract

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/schema"
)

// roundTripSubset picks the vectors the round trip runs: all of them, or,
// under -short or the race detector, those at low epochs (high ones spend
// seconds in the market actor's catch-up cron) and one later variant.
func roundTripSubset(t *testing.T, vs []*schema.Vector) []*schema.Vector {
	if !testing.Short() && !raceEnabled {
		return vs
	}
	var out []*schema.Vector
	later := false
	for _, v := range vs {
		switch {
		case strings.HasSuffix(v.Path, "--genesis.json"):
			out = append(out, v)
		case !later && strings.HasSuffix(v.Path, "--breeze.json"):
			out = append(out, v)
			later = true
		}
	}
	t.Logf("round trip on %d of %d vectors (short or race mode)", len(out), len(vs))
	return out
}

// Every tipset vector of the public corpus (bar those hinted incorrect)
// survives a round trip: its chain is built, and extracting that chain
// back, squashed or one vector per tipset, gives vectors that pass and end
// at the original's expected state root.
func TestCorpusTipsetRoundTrip(t *testing.T) {
	vs := corpusTipsetVectors(t)
	if len(vs) == 0 {
		t.Fatal("no tipset vectors in the corpus")
	}
	vs = roundTripSubset(t, vs)
	ctx := context.Background()
	for _, v := range vs {
		v := v
		t.Run(filepath.Base(v.Path), func(t *testing.T) {
			t.Parallel()
			built, car := buildCAR(t, v)
			src := openCAR(t, car)
			e := New(src, WithTempDir(t.TempDir()))

			squashed, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(squashed) != 1 {
				t.Fatalf("squashed: %d vectors", len(squashed))
			}
			sv := squashed[0].Vector
			if got, want := sv.Post.StateTree.RootCID, v.Post.StateTree.RootCID; got != want {
				t.Fatalf("squashed vector ends at %s, the original at %s", got, want)
			}
			if len(sv.ApplyTipsets) != len(v.ApplyTipsets) {
				t.Fatalf("squashed vector has %d tipsets, the original %d", len(sv.ApplyTipsets), len(v.ApplyTipsets))
			}
			mustPass(t, sv)

			each, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets})
			if err != nil {
				t.Fatal(err)
			}
			if len(each) != len(v.ApplyTipsets) {
				t.Fatalf("unsquashed: %d vectors for %d tipsets", len(each), len(v.ApplyTipsets))
			}
			for _, r := range each {
				if len(each) == 1 {
					// One tipset: the unsquashed vector must be the
					// squashed one, byte for byte, so it passes too.
					a, _ := schema.Marshal(sv)
					b, _ := schema.Marshal(r.Vector)
					if !bytes.Equal(a, b) {
						t.Fatalf("one-tipset range: squashed and unsquashed vectors differ")
					}
					continue
				}
				mustPass(t, r.Vector)
			}
			if got, want := each[len(each)-1].Vector.Post.StateTree.RootCID, v.Post.StateTree.RootCID; got != want {
				t.Fatalf("last unsquashed vector ends at %s, the original at %s", got, want)
			}
		})
	}
}
