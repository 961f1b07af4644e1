package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	blocks "github.com/ipfs/go-block-format"
	carv2 "github.com/ipld/go-car/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// A vector whose CAR lost half its blocks (the pre-state root among them)
// fails tvx exec on its own, and passes with --fallback-car naming the
// chain it was extracted from, which the report says it fetched from.
func TestExecFallbackCAR(t *testing.T) {
	vec := filepath.Join(testcorpus.Shared(t), "reward", "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	dir := t.TempDir()
	car := filepath.Join(dir, "chain.car")
	if code, _, errs := runExtractCLI(t, "chain", "build", vec, "--out", car); code != 0 {
		t.Fatalf("chain build: exit %d\n%s", code, errs)
	}
	orig, err := schema.LoadFile(vec)
	if err != nil {
		t.Fatal(err)
	}
	h := orig.Pre.Variants[0].Epoch + orig.ApplyTipsets[0].EpochOffset
	full := filepath.Join(dir, "tipset.json")
	if code, _, errs := runExtractCLI(t, "extract", "--car", car, "--class", "tipset", "--height", fmt.Sprint(h), "--out", full); code != 0 {
		t.Fatalf("extract: exit %d\n%s", code, errs)
	}

	v, err := schema.LoadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	br, err := carv2.NewBlockReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var kept []blocks.Block
	dropped := 0
	for i := 0; ; i++ {
		b, err := br.Next()
		if err != nil {
			break
		}
		if i%2 == 0 || b.Cid() == v.Pre.StateTree.RootCID {
			dropped++
			continue
		}
		kept = append(kept, b)
	}
	var thinCAR bytes.Buffer
	if err := chain.WriteCAR(&thinCAR, br.Roots, kept); err != nil {
		t.Fatal(err)
	}
	if v.CAR, err = schema.EncodeCAR(thinCAR.Bytes()); err != nil {
		t.Fatal(err)
	}
	thin := filepath.Join(dir, "thin.json")
	if err := schema.WriteFile(thin, v); err != nil {
		t.Fatal(err)
	}

	if code, out, errs := runExtractCLI(t, "exec", thin); code == 0 {
		t.Fatalf("a vector missing %d blocks passed on its own\n%s%s", dropped, out, errs)
	}
	code, out, errs := runExtractCLI(t, "exec", "--fallback-car", car, thin)
	if code != 0 {
		t.Fatalf("with --fallback-car: exit %d\n%s%s", code, out, errs)
	}
	m := regexp.MustCompile(`(\d+) blocks fetched from the chain source`).FindStringSubmatch(out + errs)
	if m == nil {
		t.Fatalf("the report does not say what the chain served:\n%s%s", out, errs)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 || n > dropped {
		t.Fatalf("%d blocks fetched; %d were dropped", n, dropped)
	}
}
