package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/tvx-project/tvx/driver"
)

// result is one line of a `tvx exec` report; its JSON form is the --json
// output.
type result struct {
	File          string        `json:"file"`
	ID            string        `json:"id"`
	Class         string        `json:"class"`
	Variant       string        `json:"variant"`
	NV            uint          `json:"nv"`
	Epoch         int64         `json:"epoch"`
	Status        driver.Status `json:"status"`
	Reason        string        `json:"reason"`
	DurationMS    int64         `json:"duration_ms"`
	AssumedProofs int           `json:"assumed_proofs,omitempty"`

	detail string
}

type summary struct {
	passed, failed, skipped, errors int
	assumedRuns, assumedProofs      int
}

// reporter prints results and the summary, and a progress bar on stderr
// when stderr is a terminal. It is the CLI's driver.Logger.
type reporter struct {
	out, errw io.Writer
	json      bool
	progress  bool
	verbose   bool

	mu     sync.Mutex
	notes  []string
	sum    summary
	done   int // runs reported
	inputs int // vectors to run
	inDone int // vectors whose runs are all reported
}

func newReporter(out, errw io.Writer, asJSON, verbose bool) *reporter {
	return &reporter{out: out, errw: errw, json: asJSON, progress: isTerminal(errw), verbose: verbose}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Logf implements driver.Logger: diagnostics go to stderr with --verbose.
func (r *reporter) Logf(format string, args ...any) {
	if !r.verbose {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearProgress()
	fmt.Fprintf(r.errw, format+"\n", args...)
}

// expect sets the number of vectors the progress bar counts towards.
func (r *reporter) expect(inputs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = inputs
}

// vectorDone advances the progress bar by one vector.
func (r *reporter) vectorDone() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inDone++
	r.clearProgress()
	r.drawProgress()
}

func (r *reporter) report(res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearProgress()
	switch res.Status {
	case driver.Pass:
		r.sum.passed++
	case driver.Skip:
		r.sum.skipped++
	case driver.Error:
		r.sum.errors++
		r.sum.failed++
	default:
		r.sum.failed++
	}
	if res.AssumedProofs > 0 {
		r.sum.assumedRuns++
		r.sum.assumedProofs += res.AssumedProofs
	}
	r.done++
	if r.json {
		b, _ := json.Marshal(res)
		fmt.Fprintf(r.out, "%s\n", b)
	} else {
		line := fmt.Sprintf("%-5s %s", strings.ToUpper(string(res.Status)), res.File)
		if res.Variant != "" {
			line += " " + res.Variant
		}
		line += fmt.Sprintf(" (%dms)", res.DurationMS)
		if res.Reason != "" {
			line += ": " + oneLine(res.Reason)
		}
		fmt.Fprintln(r.out, line)
		if res.detail != "" {
			fmt.Fprint(r.out, strings.TrimRight(res.detail, "\n")+"\n")
		}
	}
	r.drawProgress()
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", " | ")
}

func (r *reporter) clearProgress() {
	if r.progress {
		fmt.Fprint(r.errw, "\r\033[K")
	}
}

func (r *reporter) drawProgress() {
	if !r.progress {
		return
	}
	const width = 30
	filled := 0
	if r.inputs > 0 {
		filled = width * r.inDone / r.inputs
	}
	fmt.Fprintf(r.errw, "[%s%s] %d/%d vectors, %d runs, %d passed",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), r.inDone, r.inputs, r.done, r.sum.passed)
}

// note adds a line printed just before the summary.
func (r *reporter) note(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, line)
}

// finish prints the summary (last line of stdout in text mode; on stderr in
// JSON mode, so stdout stays one object per line) and returns the totals.
func (r *reporter) finish() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearProgress()
	s := r.sum
	w := r.out
	if r.json {
		w = r.errw
	}
	if s.assumedRuns > 0 {
		fmt.Fprintf(w, "proof policy: %d runs relied on %d proofs accepted without SNARK verification\n", s.assumedRuns, s.assumedProofs)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
	if s.errors > 0 {
		fmt.Fprintf(w, "%d runs could not start (malformed input), counted as failed\n", s.errors)
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
	return s
}
