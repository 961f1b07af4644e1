package trace

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/schema"
)

// realCharges returns the flattened charges of a corpus message that sends
// to another actor, so the list spans more than one frame.
func realCharges(t *testing.T) []Charge {
	t.Helper()
	v, err := schema.LoadFile(filepath.Join(corpusDir(t), "actor_creation", "addresses--sequential-10--actorsv2.json"))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := Decode(v.Diagnostics)
	if err != nil {
		t.Fatal(err)
	}
	if len(traces[0].Subcalls) == 0 {
		t.Fatal("expected a trace with subcalls")
	}
	cs := Flatten(traces[0])
	if len(cs) < 20 {
		t.Fatalf("only %d charges", len(cs))
	}
	return cs
}

func TestFlattenOrder(t *testing.T) {
	tr := &ExecutionTrace{
		GasCharges: []GasCharge{{Name: "a", TotalGas: 1, ComputeGas: 1}},
		Subcalls: []ExecutionTrace{
			{GasCharges: []GasCharge{{Name: "b"}}, Subcalls: []ExecutionTrace{{GasCharges: []GasCharge{{Name: "c"}}}}},
			{GasCharges: []GasCharge{{Name: "d"}, {Name: "e"}}},
		},
	}
	var names []string
	for _, c := range Flatten(tr) {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ""); got != "abcde" {
		t.Fatalf("order %q, want abcde", got)
	}
	if Flatten(nil) != nil {
		t.Fatal("nil trace has charges")
	}
}

func TestFirstDivergenceOnRealCharges(t *testing.T) {
	expected := realCharges(t)
	if i, msg, diverged := FirstDivergence(expected, slices.Clone(expected)); diverged || i != -1 || msg != "" {
		t.Fatalf("identical lists diverged: %d %q", i, msg)
	}

	// Find the first charge with storage gas, and one with compute only.
	storageAt, computeAt := -1, -1
	for i, c := range expected {
		if storageAt < 0 && c.StorageGas > 0 {
			storageAt = i
		}
		if computeAt < 0 && c.StorageGas == 0 && c.ComputeGas > 0 {
			computeAt = i
		}
	}
	if storageAt < 0 || computeAt < 0 {
		t.Fatal("trace lacks the charges this test needs")
	}

	actual := slices.Clone(expected)
	actual[computeAt].ComputeGas += 66
	actual[computeAt].TotalGas += 66
	actual[len(actual)-1].TotalGas++ // a later difference must not be reported
	i, msg, diverged := FirstDivergence(expected, actual)
	e := expected[computeAt]
	if !diverged || i != computeAt {
		t.Fatalf("divergence at %d (%v), want %d", i, diverged, computeAt)
	}
	want := "charge #" + itoa(computeAt) + " \"" + e.Name + "\": expected total " + itoa64(e.TotalGas) +
		" (compute " + itoa64(e.ComputeGas) + ", storage 0), got total " + itoa64(e.TotalGas+66) +
		" (compute " + itoa64(e.ComputeGas+66) + ", storage 0)"
	if msg != want {
		t.Fatalf("msg\n %q\nwant\n %q", msg, want)
	}

	// A storage-only difference is still a divergence.
	actual = slices.Clone(expected)
	actual[storageAt].StorageGas--
	if i, msg, diverged := FirstDivergence(expected, actual); !diverged || i != storageAt || !strings.Contains(msg, "storage "+itoa64(expected[storageAt].StorageGas-1)) {
		t.Fatalf("storage change: %d %v %q", i, diverged, msg)
	}

	// A different charge at the same position names both.
	actual = slices.Clone(expected)
	actual[storageAt].Name = "OnSomethingElse"
	if i, msg, _ := FirstDivergence(expected, actual); i != storageAt ||
		!strings.Contains(msg, `expected "`+expected[storageAt].Name+`"`) || !strings.Contains(msg, `got "OnSomethingElse"`) {
		t.Fatalf("renamed charge: %d %q", i, msg)
	}

	// One list ending early, either way round.
	short := expected[:len(expected)-3]
	if i, msg, diverged := FirstDivergence(expected, short); !diverged || i != len(short) ||
		!strings.Contains(msg, "got no charge (actual has only "+itoa(len(short))+")") {
		t.Fatalf("short actual: %d %q", i, msg)
	}
	if i, msg, diverged := FirstDivergence(short, expected); !diverged || i != len(short) ||
		!strings.Contains(msg, "expected no charge (expected has only "+itoa(len(short))+")") {
		t.Fatalf("long actual: %d %q", i, msg)
	}
	if _, _, diverged := FirstDivergence(nil, nil); diverged {
		t.Fatal("empty lists diverged")
	}
}

func TestBillable(t *testing.T) {
	all := realCharges(t)
	billable := Billable(all)
	if len(billable) == 0 || len(billable) >= len(all) {
		t.Fatalf("%d billable of %d", len(billable), len(all))
	}
	if sumTotal(billable) != sumTotal(all) {
		t.Fatal("dropping markers changed the total")
	}
	for _, c := range billable {
		if c.Name == "OnActorExec" || c.Name == "OnIpldGetEnd" {
			t.Fatalf("marker %q kept", c.Name)
		}
	}
}

// TestRecorderReproducesRealTrace replays a real trace's charges through a
// Recorder, frame by frame, and checks the result flattens identically.
func TestRecorderReproducesRealTrace(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(corpusDir(t), "actor_creation", "addresses--sequential-10--actorsv2.json"))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := Decode(v.Diagnostics)
	if err != nil {
		t.Fatal(err)
	}
	for n, tr := range traces {
		var r Recorder
		var replay func(f *ExecutionTrace)
		replay = func(f *ExecutionTrace) {
			for _, g := range f.GasCharges {
				r.Charge(g.Charge())
			}
			for i := range f.Subcalls {
				r.Enter()
				replay(&f.Subcalls[i])
				if err := r.Exit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		replay(tr)
		if i, msg, diverged := FirstDivergence(Flatten(tr), Flatten(r.Trace())); diverged {
			t.Fatalf("trace %d: recorder diverged at %d: %s", n, i, msg)
		}
	}
	var r Recorder
	if err := r.Exit(); err == nil {
		t.Fatal("Exit without Enter accepted")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
