package statediff

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

const faultsVector = "extracted/0001-initial-extraction/fil_1_storageminer/DeclareFaults/Ok/ext-0001-fil_1_storageminer-DeclareFaults-Ok-10.json"

// absentCID names a block no store holds.
func absentCID(t testing.TB) cid.Cid {
	h, err := multihash.Sum([]byte("not in any CAR"), multihash.BLAKE2B_MIN+31, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, h)
}

func TestMissingBlockIsReportedAndDiffContinues(t *testing.T) {
	ctx := context.Background()
	v := loadVector(t, faultsVector)
	full, err := Diff(ctx, v.store, v.pre, v.post)
	must(t, err)
	// Hide the post-state's block for the deadline the message changed.
	var hidden cid.Cid
	for _, ad := range full.Actors {
		for _, c := range ad.Changes {
			if strings.HasPrefix(c.Path, "State.Deadlines.Due[") && !strings.Contains(c.Path, "].") && c.Op == OpChanged {
				hidden, err = cid.Decode(c.B)
				must(t, err)
			}
		}
	}
	if !hidden.Defined() {
		t.Fatal("vector does not change a deadline")
	}
	hs := &hidingStore{Store: v.store, hidden: map[cid.Cid]bool{hidden: true}}
	res, err := Diff(ctx, hs, v.pre, v.post)
	must(t, err)
	if len(res.Problems) != 1 || !res.Problems[0].Cid.Equals(hidden) || res.Problems[0].Side != "B" {
		t.Fatalf("problems = %+v, want one for %s on side B", res.Problems, hidden)
	}
	text := strings.Join(res.Lines(), "\n")
	if !strings.Contains(text, "! f07830 State.Deadlines.Due[10]: missing block "+hidden.String()+" (B)") {
		t.Errorf("no problem line naming the block and the place:\n%s", text)
	}
	// Everything not under the hidden block is still there.
	if len(res.Actors) != len(full.Actors) {
		t.Errorf("%d actors reported with a missing block, %d without", len(res.Actors), len(full.Actors))
	}
	if !strings.Contains(text, "~ State.Claims[f07830].RawBytePower: ") || strings.Contains(text, "Partitions[0].Faults") {
		t.Errorf("unexpected diff around a missing block:\n%s", text)
	}
	if !strings.HasSuffix(text, "1 unreadable block(s)") {
		t.Errorf("summary does not count the missing block:\n%s", text)
	}
}

func TestReportWithAbsentExpectedState(t *testing.T) {
	ctx := context.Background()
	v := loadVector(t, faultsVector)
	expected := absentCID(t)
	var buf bytes.Buffer
	if err := WriteReport(ctx, &buf, v.store, v.pre, expected, v.post); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != MarkerBegin || lines[len(lines)-1] != MarkerEnd {
		t.Fatalf("report not framed by bare markers:\n%s", out)
	}
	var order []string
	for _, l := range lines {
		if strings.HasPrefix(l, "----------") {
			order = append(order, l)
		}
	}
	want := []string{
		"----------BEGIN STATEDIFF A----------", "----------END STATEDIFF A----------",
		"----------BEGIN STATEDIFF B----------", "----------END STATEDIFF B----------",
		"----------BEGIN STATEDIFF C----------", "----------END STATEDIFF C----------",
	}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("section markers %q", order)
	}
	section := func(name string) string {
		b := strings.Index(out, "----------BEGIN STATEDIFF "+name)
		e := strings.Index(out, "----------END STATEDIFF "+name)
		return out[b:e]
	}
	// A (expected vs actual) and C (initial vs expected) cannot read the
	// expected root; B (initial vs actual) is a full diff.
	if !strings.Contains(section("A"), "! state root: missing block "+expected.String()+" (A)") {
		t.Errorf("section A:\n%s", section("A"))
	}
	if !strings.Contains(section("C"), "! state root: missing block "+expected.String()+" (B)") {
		t.Errorf("section C:\n%s", section("C"))
	}
	if !strings.Contains(section("B"), "~ f07830 storageminer v0.9") {
		t.Errorf("section B:\n%s", section("B"))
	}
}

func report(t testing.TB, v testVector, color bool) []byte {
	var buf bytes.Buffer
	if err := WriteReport(context.Background(), &buf, v.store, v.pre, v.post, v.pre, WithColor(color)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReportDeterministicAndConcurrent(t *testing.T) {
	v := loadVector(t, faultsVector)
	first := report(t, v, false)
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i] = report(t, v, false)
		}(i)
	}
	wg.Wait()
	for i, o := range outs {
		if !bytes.Equal(o, first) {
			t.Fatalf("run %d differs from the first", i)
		}
	}
	if bytes.Contains(first, []byte("\x1b[")) {
		t.Fatal("colour codes without WithColor")
	}
	colored := report(t, v, true)
	if !bytes.Contains(colored, []byte("\x1b[")) {
		t.Fatal("WithColor(true) produced no colour")
	}
	for _, l := range strings.Split(string(colored), "\n") {
		if strings.Contains(l, "STATEDIFF") && strings.Contains(l, "\x1b") {
			t.Fatalf("coloured marker line %q", l)
		}
	}
}

func TestExtractRoundTrip(t *testing.T) {
	v := loadVector(t, faultsVector)
	r1 := report(t, v, false)
	r2 := report(t, v, true)
	var log bytes.Buffer
	log.WriteString("=== RUN   TestSomething\nsome log line\n")
	log.Write(r1)
	log.WriteString("2024/01/01 unrelated line mentioning STATEDIFF\n")
	log.Write(r2)
	log.WriteString("--- FAIL: TestSomething\n")
	dir := filepath.Join(t.TempDir(), "out")
	for round := 0; round < 2; round++ { // a second run overwrites with the same files
		paths, err := Extract(bytes.NewReader(log.Bytes()), dir)
		must(t, err)
		if len(paths) != 2 || filepath.Base(paths[0]) != "statediff-0001.txt" || filepath.Base(paths[1]) != "statediff-0002.txt" {
			t.Fatalf("paths %v", paths)
		}
		for i, want := range [][]byte{r1, r2} {
			got, err := os.ReadFile(paths[i])
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s does not hold report %d verbatim", paths[i], i+1)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Fatalf("directory holds %d entries (temp files left?)", len(entries))
		}
	}
	// A report cut short is an error naming where it began; complete ones
	// before it are kept.
	cut := append(append([]byte{}, r1...), r2[:len(r2)/2]...)
	paths, err := Extract(bytes.NewReader(cut), t.TempDir())
	if err == nil || len(paths) != 1 || !strings.Contains(err.Error(), fmt.Sprintf("line %d", bytes.Count(r1, []byte("\n"))+1)) {
		t.Fatalf("truncated log: paths %v, err %v", paths, err)
	}
}

func TestFormatFIL(t *testing.T) {
	atto := func(s string) *big.Int {
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return n
	}
	for _, tc := range []struct{ in, want string }{
		{"0", "0 FIL (0 attoFIL)"},
		{"1", "0.000000000000000001 FIL (1 attoFIL)"},
		{"1500000000000000000", "1.5 FIL (1500000000000000000 attoFIL)"},
		{"-2000000000000000000", "-2 FIL (-2000000000000000000 attoFIL)"},
		{"2000000000000000000000000000", "2000000000 FIL (2000000000000000000000000000 attoFIL)"},
	} {
		if got := formatFIL(atto(tc.in)); got != tc.want {
			t.Errorf("formatFIL(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := filDelta(atto("1500000000000000000"), atto("1000000000000000000")); got != "-0.5 FIL" {
		t.Errorf("delta %q", got)
	}
}

// BenchmarkDiffLargeMiner diffs the pre- and post-state of the largest
// extracted miner vector (a windowed PoSt on a mainnet miner). blocks/op is
// how many blocks the walk read; car-blocks how many the vector holds.
func BenchmarkDiffLargeMiner(b *testing.B) {
	v := loadVector(b, "extracted/0004-coverage-boost/fil_1_storageminer/SubmitWindowedPoSt/Ok/ext-0004-fil_1_storageminer-SubmitWindowedPoSt-Ok-5.json")
	cs := &countingStore{Store: v.store}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Diff(ctx, cs, v.pre, v.post)
		if err != nil || len(res.Actors) == 0 {
			b.Fatalf("diff: %v", err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cs.gets.Load())/float64(b.N), "blocks/op")
	b.ReportMetric(float64(carBlockCount(b, v)), "car-blocks")
}
