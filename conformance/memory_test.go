package conformance

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/membudget"
	"github.com/tvx-project/tvx/schema"
)

const sampleVector = "../corpus/public/multisig/basic--ok-create--genesis.json"

// forgedBombs writes n copies of a real vector whose CAR is gzip of size
// zero bytes with a trailer claiming 1000 bytes, and returns their inputs.
func forgedBombs(t *testing.T, n int, size int) []Input {
	t.Helper()
	raw, err := os.ReadFile(sampleVector)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(make([]byte, size))
	zw.Close()
	car := gz.Bytes()
	binary.LittleEndian.PutUint32(car[len(car)-4:], 1000)
	v["car"] = base64.StdEncoding.EncodeToString(car)
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var inputs []Input
	for i := range n {
		p := filepath.Join(dir, "bomb"+string(rune('a'+i))+".json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, Input{Path: p})
	}
	return inputs
}

// With a memory budget, workers over hostile vectors hold no more than the
// budget plus one vector's share at once, whatever the parallelism: each
// vector is charged for its file before reading it and for every chunk its
// CAR decompresses past the size its gzip trailer states.
func TestRunnerMemoryBudgetBoundsParallelWorkers(t *testing.T) {
	const maxCAR = 4 << 20
	inputs := forgedBombs(t, 16, 16<<20)
	budget := membudget.New(6 << 20)
	r := &Runner{
		Driver:     driver.New(driver.WithSource(corpus.Memory{MaxCARSize: maxCAR})),
		Parallel:   16,
		Memory:     budget,
		MaxCARSize: maxCAR,
	}
	n := 0
	r.Run(context.Background(), inputs, func(results []Result) {
		for _, res := range results {
			n++
			if res.Status != driver.Error || !strings.Contains(res.Reason, "exceeds the size limit") {
				t.Errorf("%s: %s %s", res.File, res.Status, res.Reason)
			}
		}
	})
	if n == 0 {
		t.Fatal("no results")
	}
	st, _ := os.Stat(inputs[0].Path)
	// One vector's most: its file, and its CAR read to the cap in 1 MiB
	// chunks (the last over it).
	perVector := fileCost(st.Size()) + maxCAR + 2<<20
	if p := budget.Peak(); p > budget.Limit()+perVector {
		t.Fatalf("peak %d over the budget %d plus one vector's %d", p, budget.Limit(), perVector)
	}
	if p := budget.Peak(); p < maxCAR {
		t.Fatalf("peak %d: decompression was not charged", p)
	}
	if budget.Used() != 0 {
		t.Fatalf("%d bytes still held after the run", budget.Used())
	}
}

func TestCostEstimates(t *testing.T) {
	if got := fileCost(10 << 20); got != 20<<20+runOverhead {
		t.Fatalf("fileCost(10 MiB) = %d", got)
	}
	if got := fileCost(1 << 40); got != 2*schema.MaxVectorFileSize+runOverhead {
		t.Fatalf("a file over the limit is refused unread; fileCost = %d", got)
	}
	v := &schema.Vector{}
	v.CAR = make([]byte, 20)
	binary.LittleEndian.PutUint32(v.CAR[16:], 1<<20)
	if got := carCost(v, 0); got != 1<<20+1<<19 {
		t.Fatalf("carCost = %d", got)
	}
	binary.LittleEndian.PutUint32(v.CAR[16:], 1<<30)
	if got := carCost(v, 0); got != 0 {
		t.Fatalf("a CAR refused from its trailer costs nothing; carCost = %d", got)
	}
}

// RunSeq takes inputs as workers get to them, not all at once: when the
// first result is reported, only a bounded number of a long stream's
// inputs have been taken; every input is reported, in order.
func TestRunSeqTakesInputsLazily(t *testing.T) {
	const total = 5000
	var taken atomic.Int64 // the producer and the reporter are goroutines apart
	seq := func(yield func(Input) bool) {
		for i := range total {
			taken.Add(1)
			if !yield(Input{Path: "-:" + strconv.Itoa(i), Data: []byte("not json")}) {
				return
			}
		}
	}
	r := &Runner{Driver: driver.New(), Parallel: 2, Memory: membudget.New(64 << 20)}
	reported, takenAtFirst := 0, int64(-1)
	r.RunSeq(context.Background(), seq, func(results []Result) {
		if takenAtFirst < 0 {
			takenAtFirst = taken.Load()
		}
		if len(results) != 1 || results[0].File != "-:"+strconv.Itoa(reported) || results[0].Status != driver.Error {
			t.Fatalf("result %d: %+v", reported, results)
		}
		reported++
	})
	if reported != total {
		t.Fatalf("reported %d of %d", reported, total)
	}
	if takenAtFirst > 300 {
		t.Fatalf("%d inputs taken before the first was reported", takenAtFirst)
	}
}
