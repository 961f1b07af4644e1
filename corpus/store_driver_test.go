package corpus_test

import (
	"context"
	"testing"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// TestStoreDriverOutcomesMatchMemory runs vectors through the driver twice,
// reading blocks from memory and from the store: every outcome must be the
// same, whatever the VM's state of completion.
func TestStoreDriverOutcomesMatchMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the VM")
	}
	files, err := schema.Walk(testcorpus.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	if len(files) > n {
		picked := make([]string, 0, n)
		for i := 0; i < n; i++ {
			picked = append(picked, files[i*len(files)/n])
		}
		files = picked
	}
	store, err := corpus.OpenStore(context.Background(), t.TempDir(), corpus.StoreOptions{MemoryBelow: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	mem := driver.New()
	st := driver.New(driver.WithSource(store))
	ctx := context.Background()
	counts := map[driver.Status]int{}
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, vr := range v.Pre.Variants {
			a, b := mem.Run(ctx, v, vr), st.Run(ctx, v, vr)
			if a.Status != b.Status || a.Reason != b.Reason || a.Detail != b.Detail {
				t.Fatalf("%s %s: memory %s %q, store %s %q", f, vr.ID, a.Status, a.Reason, b.Status, b.Reason)
			}
			counts[a.Status]++
		}
	}
	t.Logf("same outcomes from both sources: %v", counts)
}
