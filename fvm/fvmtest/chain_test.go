package fvmtest

import (
	"context"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/schema"
)

// TestExtractFromFVMChain extracts, from a chain built and executed on the
// FVM at nv16, nv17 and nv18 (nv17 alone under the race detector), each
// message and the tipsets as vectors —
// replaying through the default executor, which picks the FVM — and runs
// every vector through the driver: the extraction's check against the
// chain's receipts and state roots holds, and the vectors pass.
func TestExtractFromFVMChain(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes a chain with actor code")
	}
	for _, nv := range testVersions() {
		ctx := context.Background()
		w, err := New(ctx, Options{NetworkVersion: nv})
		if err != nil {
			t.Fatal(err)
		}
		c, err := BuildChain(ctx, w)
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		e := extract.New(c.Source(), extract.WithTempDir(t.TempDir()))
		var vs []*schema.Vector
		for _, name := range []string{"CreateMiner", "Send", "PubkeyAddress"} {
			for _, retain := range []string{extract.RetainAccessedCids, extract.RetainAccessedActors} {
				res, err := e.Message(ctx, extract.MessageRequest{Message: c.Messages[name], Retain: retain})
				if err != nil {
					t.Fatalf("nv%d %s (%s): %v", nv, name, retain, err)
				}
				vs = append(vs, res.Vector)
			}
		}
		ts, err := e.Tipsets(ctx, extract.TipsetRequest{Tipsets: c.Tipsets, Squash: true})
		if err != nil {
			t.Fatalf("nv%d tipsets: %v", nv, err)
		}
		if len(ts) != 1 || len(ts[0].Vector.ApplyTipsets) != len(c.Tipsets) {
			t.Fatalf("nv%d: %d tipset vectors", nv, len(ts))
		}
		vs = append(vs, ts[0].Vector)
		for _, v := range vs {
			if got := v.Pre.Variants[0].NetworkVersion; got != nv {
				t.Errorf("nv%d %s: variant at nv%d", nv, v.Meta.ID, got)
			}
			b, err := schema.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			rv, err := schema.Decode(v.Meta.ID, b)
			if err != nil {
				t.Fatal(err)
			}
			if o := driver.New().Run(ctx, rv, rv.Pre.Variants[0]); o.Status != driver.Pass {
				t.Errorf("nv%d %s: %s: %s", nv, v.Meta.ID, o.Status, o.Reason)
			}
		}
	}
}

// TestScanUniqueNamesBundleActors scans an nv17 chain for one message per
// (receiver code, method, exit code): receivers are named by the bundle
// holding their Wasm code, so batch vectors land where the public FVM sets
// put theirs.
func TestScanUniqueNamesBundleActors(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and executes a chain with actor code")
	}
	ctx := context.Background()
	w, err := New(ctx, Options{NetworkVersion: 17})
	if err != nil {
		t.Fatal(err)
	}
	c, err := BuildChain(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	e := extract.New(c.Source(), extract.WithTempDir(t.TempDir()))
	cs, err := e.ScanUnique(ctx, c.Tipsets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cand := range cs {
		id, _ := extract.VectorPath("out", "0001", cand)
		got = append(got, id)
	}
	want := []string{
		"ext-0001-fil_9_storagepower-CreateMiner-Ok-0",
		"ext-0001-fil_9_account-Send-Ok-1",
		"ext-0001-fil_9_account-PubkeyAddress-Ok-2",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("candidates %v, want %v", got, want)
	}
}
