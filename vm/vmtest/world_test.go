package vmtest

import (
	"context"
	"testing"

	"github.com/filecoin-project/go-state-types/network"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	for nv := network.Version0; nv <= network.Version15; nv++ {
		w, err := New(ctx, nv, Options{})
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		tot, err := w.TotalBalance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("nv%d root %s total %s", nv, w.Root, tot)
	}
}
