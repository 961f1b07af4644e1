package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/schema"
)

// extract-many --unique over a chain yields one vector per (receiver code,
// method, exit code), laid out like the public corpus, and each passes.
func TestUniqueOverChain(t *testing.T) {
	built, car := genChain(t, 8)
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	ctx := context.Background()
	e := New(src, WithTempDir(t.TempDir()))
	cands, err := e.ScanUnique(ctx, built.Tipsets)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) < 4 {
		t.Fatalf("only %d distinct outcomes found: %+v", len(cands), cands)
	}
	seen := map[string]bool{}
	for _, c := range cands {
		k := c.ReceiverCode + "/" + MethodName(c.ReceiverCode, c.Method) + "/" + exitName(c.ExitCode)
		if seen[k] {
			t.Fatalf("outcome %s listed twice", k)
		}
		seen[k] = true
	}

	// The candidates survive the CSV form extract-many reads.
	var csv bytes.Buffer
	if err := WriteCSV(&csv, cands); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(&csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(cands) {
		t.Fatalf("CSV round trip: %d rows, want %d", len(back), len(cands))
	}

	out := t.TempDir()
	results := e.Many(ctx, back, out, "0001", RetainAccessedCids)
	files, err := schema.Walk(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cands) {
		for _, r := range results {
			t.Logf("%s: %v", r.ID, r.Err)
		}
		t.Fatalf("%d vector files for %d outcomes", len(files), len(cands))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.ID, r.Err)
		}
		rel, _ := filepath.Rel(out, r.Path)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 4 || parts[0] != strings.ReplaceAll(r.Candidate.ReceiverCode, "/", "_") {
			t.Fatalf("vector %s at %s: not <actor>/<method>/<exit>/<id>.json", r.ID, rel)
		}
		v, err := schema.LoadFile(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		if v.ID() != r.ID {
			t.Fatalf("%s holds id %s", r.Path, v.ID())
		}
		mustPass(t, v)
		t.Logf("%s (precursors: %s)", rel, r.Precursors)
	}
	if _, err := os.Stat(filepath.Join(out, "fil_1_account", "Send", "Ok")); err != nil {
		t.Fatalf("no account/Send/Ok vector: %v", err)
	}
}

func TestReadCSVRejectsBadHeader(t *testing.T) {
	for _, in := range []string{
		"",
		"cid,receiver_code,method_num,exit_code,height,block_cid,seq\n",
		"message_cid,receiver_code,method_num\n",
	} {
		if _, err := ReadCSV(strings.NewReader(in)); err == nil {
			t.Errorf("ReadCSV(%q): no error", in)
		}
	}
	if _, err := ReadCSV(strings.NewReader("message_cid,receiver_code,method_num,exit_code,height,block_cid,seq\nnot-a-cid,fil/1/account,0,0,1,,1\n")); err == nil {
		t.Error("bad message CID accepted")
	}
}
