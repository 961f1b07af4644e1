package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/tvx-project/tvx/conformance"
)

// slowestShown is how many of the slowest runs a report names.
const slowestShown = 5

// timing tracks where a `tvx exec` run's time went: wall and CPU time since
// it started, and its slowest runs.
type timing struct {
	start    time.Time
	cpuStart time.Duration
	slowest  []slowRun // longest first, at most slowestShown
}

// slowRun is one of the slowest runs, as the --json summary lists it.
type slowRun struct {
	File       string `json:"file"`
	Variant    string `json:"variant"`
	DurationMS int64  `json:"duration_ms"`
}

// timingSummary is the "timing" member of the --json summary object.
type timingSummary struct {
	WallMS  int64     `json:"wall_ms"`
	CPUMS   int64     `json:"cpu_ms"`
	Slowest []slowRun `json:"slowest"`
}

func newTiming() timing {
	return timing{start: time.Now(), cpuStart: processCPU()}
}

// add notes one run. Ties keep the run reported first, so the list does not
// depend on scheduling beyond the durations themselves.
func (t *timing) add(res conformance.Result) {
	if res.Variant == "-" {
		return // an input that could not run
	}
	i := sort.Search(len(t.slowest), func(i int) bool { return t.slowest[i].DurationMS < res.DurationMS })
	if i == slowestShown {
		return
	}
	t.slowest = append(t.slowest, slowRun{})
	copy(t.slowest[i+1:], t.slowest[i:])
	t.slowest[i] = slowRun{File: res.File, Variant: res.Variant, DurationMS: res.DurationMS}
	if len(t.slowest) > slowestShown {
		t.slowest = t.slowest[:slowestShown]
	}
}

// summary reads the clocks now.
func (t *timing) summary() timingSummary {
	s := timingSummary{
		WallMS:  time.Since(t.start).Milliseconds(),
		CPUMS:   (processCPU() - t.cpuStart).Milliseconds(),
		Slowest: t.slowest,
	}
	if s.Slowest == nil {
		s.Slowest = []slowRun{}
	}
	return s
}

// write prints the timing lines of the text summary.
func (s timingSummary) write(w io.Writer) {
	fmt.Fprintf(w, "time: %.1fs wall, %.1fs CPU\n", float64(s.WallMS)/1000, float64(s.CPUMS)/1000)
	if len(s.Slowest) == 0 {
		return
	}
	fmt.Fprintf(w, "slowest %d runs:\n", len(s.Slowest))
	for _, r := range s.Slowest {
		fmt.Fprintf(w, "  %6dms  %s %s\n", r.DurationMS, r.File, r.Variant)
	}
}
