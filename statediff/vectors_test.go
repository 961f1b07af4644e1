package statediff

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	carbs "github.com/ipld/go-car/v2/blockstore"

	"github.com/tvx-project/tvx/internal/testcorpus"
)

// corpusDir is the shared, read-only test-vector corpus beside the
// repository; tests skip without it.
func corpusDir(t testing.TB) string { return testcorpus.Shared(t) }

// testVector is the part of a vector file the tests need.
type testVector struct {
	store    Store
	pre      cid.Cid
	post     cid.Cid
	carBytes []byte
}

func loadVector(t testing.TB, rel string) testVector {
	t.Helper()
	return loadVectorFile(t, filepath.Join(corpusDir(t), rel))
}

// loadVectorFile reads the vector at path (errors name it as rel).
func loadVectorFile(t testing.TB, path string) testVector {
	t.Helper()
	rel := path
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var v struct {
		CAR string `json:"car"`
		Pre struct {
			StateTree struct {
				RootCID cid.Cid `json:"root_cid"`
			} `json:"state_tree"`
		} `json:"preconditions"`
		Post struct {
			StateTree struct {
				RootCID cid.Cid `json:"root_cid"`
			} `json:"state_tree"`
		} `json:"postconditions"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	gz, err := base64.StdEncoding.DecodeString(v.CAR)
	if err != nil {
		t.Fatalf("%s: car: %v", rel, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s: car gzip: %v", rel, err)
	}
	car, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: car gzip: %v", rel, err)
	}
	bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
	if err != nil {
		t.Fatalf("%s: car: %v", rel, err)
	}
	return testVector{store: bs, pre: v.Pre.StateTree.RootCID, post: v.Post.StateTree.RootCID, carBytes: car}
}

func carBlockCount(t testing.TB, v testVector) int {
	t.Helper()
	br, err := carv2.NewBlockReader(bytes.NewReader(v.carBytes))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := br.Next(); err != nil {
			if err == io.EOF {
				return n
			}
			t.Fatal(err)
		}
		n++
	}
}
