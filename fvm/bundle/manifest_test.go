package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
)

// TestReadActorsMatchesLoad: the actor list read from the head of each
// bundle CAR is the one the full, checksummed load parses.
func TestReadActorsMatchesLoad(t *testing.T) {
	for _, v := range ActorsVersions() {
		b, err := Load(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadActors(v)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if diff := cmp.Diff(b.Actors, got, cmp.Comparer(func(a, b cid.Cid) bool { return a.Equals(b) })); diff != "" {
			t.Errorf("v%d actor list (-Load +ReadActors):\n%s", v, diff)
		}
	}
	if _, err := ReadActors(7); err == nil {
		t.Error("ReadActors(7) succeeded; no bundle is carried for actors v7")
	}
}

// BenchmarkReadActors is the cost of reading one bundle's code CIDs, which
// a state diff pays per carried bundle.
func BenchmarkReadActors(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := ReadActors(10); err != nil {
			b.Fatal(err)
		}
	}
}
