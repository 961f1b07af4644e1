package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/conformance"
)

// TestTimingKeepsSlowestFive: the list holds the five longest runs, longest
// first, the earlier-reported run first on a tie; inputs that could not run
// are left out.
func TestTimingKeepsSlowestFive(t *testing.T) {
	tm := newTiming()
	for i, ms := range []int64{3, 9, 1, 9, 7, 2, 8, 5} {
		tm.add(conformance.Result{File: string(rune('a' + i)), Variant: "v", DurationMS: ms})
	}
	tm.add(conformance.Result{File: "broken", Variant: "-", DurationMS: 100})
	var got []string
	for _, r := range tm.summary().Slowest {
		got = append(got, r.File)
	}
	if strings.Join(got, "") != "bdgeh" {
		t.Fatalf("slowest = %q, want b d g e h", got)
	}
}

// TestExecReportsTiming: a real run prints wall and CPU time and its slowest
// runs on stderr, and the --json summary carries the same.
func TestExecReportsTiming(t *testing.T) {
	_, out, errw := runTvx(t, "", "exec", sample)
	if strings.Contains(out, "slowest") {
		t.Fatal("timings on stdout; they belong on stderr")
	}
	if !strings.Contains(errw, "time: ") || !strings.Contains(errw, "s CPU") || !strings.Contains(errw, "slowest 5 runs:") {
		t.Fatalf("no timing on stderr:\n%s", errw)
	}
	// The sample's two tipset vectors are by far its slowest.
	if !strings.Contains(errw, "penalize-bad-nonce-multiple-miners--tape.json tape") {
		t.Fatalf("slowest runs miss the heaviest tipset vector:\n%s", errw)
	}

	_, out, _ = runTvx(t, "", "exec", "--json", sample)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last summaryLine
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	tm := last.Summary.Timing
	if tm.WallMS <= 0 || tm.CPUMS <= 0 || len(tm.Slowest) != slowestShown {
		t.Fatalf("timing = %+v", tm)
	}
	for i := 1; i < len(tm.Slowest); i++ {
		if tm.Slowest[i].DurationMS > tm.Slowest[i-1].DurationMS {
			t.Fatalf("slowest not longest first: %+v", tm.Slowest)
		}
	}
}
