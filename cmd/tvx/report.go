package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/tvx-project/tvx/conformance"
	"github.com/tvx-project/tvx/internal/atomicfile"
)

// runInfo describes a run in its --json summary object.
type runInfo struct {
	Expected string `json:"expected"`
	Strict   bool   `json:"strict"`
	Shard    string `json:"shard,omitempty"`
}

// summaryLine is the last object `tvx exec --json` prints; `tvx report
// merge` reads it to check a set of shards is complete.
type summaryLine struct {
	Summary summaryObject `json:"summary"`
}

type summaryObject struct {
	runInfo
	conformance.Totals
	// Verdict is "pass" when the run is green, else "fail".
	Verdict string `json:"verdict"`
	// Problem says why the verdict is "fail".
	Problem string `json:"problem,omitempty"`
	// Timing is where the run's time went.
	Timing timingSummary `json:"timing"`
}

// reporter prints results and the summary, and a progress bar on stderr
// when stderr is a terminal. It is the CLI's driver.Logger.
type reporter struct {
	out, errw io.Writer
	json      bool
	progress  bool
	verbose   bool
	// outDir, when set, receives one <name>.out file per vector.
	outDir string

	mu     sync.Mutex
	notes  []string
	sum    conformance.Totals
	done   int // runs reported
	inputs int // vectors to run
	inDone int // vectors whose runs are all reported
	// outFiles holds each vector's report for outDir, by file name.
	outFiles map[string]*strings.Builder
	times    timing
}

func newReporter(out, errw io.Writer, asJSON, verbose bool) *reporter {
	return &reporter{out: out, errw: errw, json: asJSON, progress: isTerminal(errw), verbose: verbose, times: newTiming()}
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

func (r *reporter) report(res conformance.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearProgress()
	r.sum.Add(res)
	r.times.add(res)
	r.done++
	text := textResult(res)
	if r.json {
		b, _ := json.Marshal(res)
		fmt.Fprintf(r.out, "%s\n", b)
	} else {
		fmt.Fprint(r.out, text)
	}
	if r.outDir != "" {
		r.addOut(res.File, text)
	}
	r.drawProgress()
}

// textResult is a result's line, and its state diff when it has one.
func textResult(res conformance.Result) string {
	line := fmt.Sprintf("%-5s %s", strings.ToUpper(string(res.Verdict)), res.File)
	if res.Variant != "" {
		line += " " + res.Variant
	}
	line += fmt.Sprintf(" (%dms)", res.DurationMS)
	switch res.Verdict {
	case conformance.Known:
		line += ": " + oneLine(res.Reason) + "; listed: " + res.Listed
	case conformance.Fixed:
		line += ": listed as failing (" + res.Listed + ") but passes: remove its entry"
	case conformance.Failed, conformance.Errored:
		line += ": " + oneLine(res.Reason)
		if res.Listed != "" {
			line += "; listed (counted by --strict): " + res.Listed
		} else if res.Key != "" {
			line += " [key " + res.Key + "]"
		}
	default:
		if res.Reason != "" {
			line += ": " + oneLine(res.Reason)
		}
	}
	line += "\n"
	if d := res.Detail(); d != "" && res.Verdict != conformance.Known {
		line += strings.TrimRight(d, "\n") + "\n"
	}
	return line
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
		filled = min(width*r.inDone/r.inputs, width)
	}
	fmt.Fprintf(r.errw, "[%s%s] %d/%d vectors, %d runs, %d passed",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), r.inDone, r.inputs, r.done, r.sum.Passed)
}

// note adds a line printed just before the summary.
func (r *reporter) note(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, line)
}

// finish prints the summary and returns the totals. In text mode the
// summary line is the last line of stdout; with --json, the notes and the
// summary line go to stderr and stdout ends with one summary object, so
// stdout stays one JSON object per line.
func (r *reporter) finish(info runInfo, allowEmpty bool) conformance.Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearProgress()
	s := r.sum
	w := r.out
	if r.json {
		w = r.errw
	}
	if s.AssumedRuns > 0 {
		fmt.Fprintf(w, "proof policy: %d runs relied on %d proofs accepted without SNARK verification\n", s.AssumedRuns, s.AssumedProofs)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
	if s.Errors > 0 {
		fmt.Fprintf(w, "%d runs could not start (malformed input), counted as failed\n", s.Errors)
	}
	if s.Known > 0 {
		fmt.Fprintf(w, "%d known failures are listed in %s\n", s.Known, info.Expected)
	}
	// Timings go to stderr in both modes: they differ run to run, and
	// stdout's text is the same for the same input.
	times := r.times.summary()
	times.write(r.errw)
	fmt.Fprintln(w, s.String())
	if r.json {
		obj := summaryObject{runInfo: info, Totals: s, Verdict: "pass", Timing: times}
		if err := s.Check(allowEmpty); err != nil {
			obj.Verdict, obj.Problem = "fail", err.Error()
		}
		b, _ := json.Marshal(summaryLine{Summary: obj})
		fmt.Fprintf(r.out, "%s\n", b)
	}
	return s
}

// outName is the --out file of a vector: its file name with .out for .json,
// as Lotus's tvx names them.
func outName(file string) string {
	base := filepath.Base(file)
	if strings.HasPrefix(file, "-:") {
		base = "stdin-" + strings.TrimPrefix(file, "-:")
	}
	return strings.TrimSuffix(base, ".json") + ".out"
}

func (r *reporter) addOut(file, text string) {
	if r.outFiles == nil {
		r.outFiles = map[string]*strings.Builder{}
	}
	name := outName(file)
	b := r.outFiles[name]
	if b == nil {
		b = &strings.Builder{}
		r.outFiles[name] = b
	}
	b.WriteString(text)
}

// writeOutDir writes the --out files, each atomically.
func (r *reporter) writeOutDir() error {
	if r.outDir == "" {
		return nil
	}
	if err := os.MkdirAll(r.outDir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	names := make([]string, 0, len(r.outFiles))
	for n := range r.outFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := atomicfile.WriteFile(filepath.Join(r.outDir, n), []byte(r.outFiles[n].String()), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}
