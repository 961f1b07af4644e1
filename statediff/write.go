package statediff

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
)

// Option adjusts how a diff is printed.
type Option func(*options)

type options struct {
	color bool
}

// WithColor turns ANSI colour on or off for diff lines (off by default).
// Marker lines written by WriteReport are never coloured, so tools can cut
// reports out of logs with plain text matching.
func WithColor(on bool) Option {
	return func(o *options) { o.color = on }
}

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

const (
	ansiReset   = "\x1b[0m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiBold    = "\x1b[1m"
)

func opColor(op Op) string {
	switch op {
	case OpAdded:
		return ansiGreen
	case OpRemoved:
		return ansiRed
	case OpChanged:
		return ansiYellow
	case OpProblem:
		return ansiMagenta
	}
	return ""
}

// Lines returns the diff as text lines, in a stable order and format:
//
//	A: <cid> (state-tree v1)
//	B: <cid> (state-tree v1)
//	~ f01000 storageminer v2
//	    ~ Balance: 1 FIL (…) → 1.5 FIL (…) [+0.5 FIL]
//	    + State.Sectors[7]: {…}
//	    ! State.Deadlines: missing block … (B): …
//	summary: 0 added, 0 removed, 1 changed actor(s); 1 unreadable block(s)
func (r *Result) Lines() []string {
	var out []string
	tree := func(s string) string {
		if s == "" {
			return "unreadable"
		}
		return s
	}
	if r.A.Defined() && r.B.Defined() && r.A.Equals(r.B) {
		return []string{fmt.Sprintf("A = B: %s (identical roots, nothing to compare)", formatCid(r.A))}
	}
	out = append(out, fmt.Sprintf("A: %s (%s)", formatCid(r.A), tree(r.TreeA)))
	out = append(out, fmt.Sprintf("B: %s (%s)", formatCid(r.B), tree(r.TreeB)))
	for _, c := range r.Root {
		out = append(out, changeLine(c))
	}
	var added, removed, changed int
	for _, ad := range r.Actors {
		switch ad.Op {
		case OpAdded:
			added++
		case OpRemoved:
			removed++
		case OpChanged:
			changed++
		}
		head := fmt.Sprintf("%c %s", ad.Op, formatAddress(ad.Addr))
		if ad.Delegated != address.Undef {
			head += " (" + formatAddress(ad.Delegated) + ")"
		}
		if ad.Code != "" {
			head += " " + ad.Code
		}
		out = append(out, head)
		for _, c := range ad.Changes {
			out = append(out, "    "+changeLine(c))
		}
	}
	out = append(out, fmt.Sprintf("summary: %d added, %d removed, %d changed actor(s); %d unreadable block(s)",
		added, removed, changed, len(r.Problems)))
	return out
}

func changeLine(c Change) string {
	var s string
	switch c.Op {
	case OpAdded:
		s = fmt.Sprintf("+ %s: %s", c.Path, c.B)
	case OpRemoved:
		s = fmt.Sprintf("- %s: %s", c.Path, c.A)
	case OpProblem:
		return fmt.Sprintf("! %s: %s", c.Path, c.Note)
	default:
		s = fmt.Sprintf("~ %s: %s → %s", c.Path, c.A, c.B)
	}
	if c.Note != "" {
		s += " [" + c.Note + "]"
	}
	return s
}

// Format writes the diff to w, one line per change.
func (r *Result) Format(w io.Writer, opts ...Option) error {
	o := buildOptions(opts)
	bw := bufio.NewWriter(w)
	for _, l := range r.Lines() {
		if o.color {
			l = colorize(l)
		}
		if _, err := bw.WriteString(l + "\n"); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func colorize(line string) string {
	t := strings.TrimLeft(line, " ")
	if t == "" {
		return line
	}
	if c := opColor(Op(t[0])); c != "" && len(t) > 1 && t[1] == ' ' {
		indent := line[:len(line)-len(t)]
		if indent == "" {
			c += ansiBold // actor header lines
		}
		return indent + c + t + ansiReset
	}
	return line
}

// Write diffs the state trees rooted at a and b and prints the result to w.
// See Diff for what is walked and how missing blocks are handled.
func Write(ctx context.Context, w io.Writer, s Store, a, b cid.Cid, opts ...Option) error {
	res, err := Diff(ctx, s, a, b)
	if err != nil {
		return fmt.Errorf("statediff %s vs %s: %w", a, b, err)
	}
	return res.Format(w, opts...)
}

// Marker lines framing a failure report. They are written bare (no colour,
// no prefix) so a report can be cut out of a log with sed or Extract.
const (
	MarkerBegin  = "-----BEGIN STATEDIFF-----"
	MarkerEnd    = "-----END STATEDIFF-----"
	sectionBegin = "----------BEGIN STATEDIFF %s----------"
	sectionEnd   = "----------END STATEDIFF %s----------"
)

// WriteReport writes the three-way report used when a vector's post-state
// does not match: section A compares the expected final state with the
// actual one, B the initial state with the actual one, C the initial state
// with the expected one. A section whose diff fails (cancelled context)
// carries the error as a problem line and the framing is still completed;
// the first such error is returned.
func WriteReport(ctx context.Context, w io.Writer, s Store, pre, expected, actual cid.Cid, opts ...Option) error {
	sections := []struct {
		name     string
		from, to cid.Cid
	}{
		{"A", expected, actual},
		{"B", pre, actual},
		{"C", pre, expected},
	}
	var first error
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, MarkerBegin)
	for _, sec := range sections {
		fmt.Fprintf(bw, sectionBegin+"\n", sec.name)
		if err := Write(ctx, bw, s, sec.from, sec.to, opts...); err != nil {
			fmt.Fprintf(bw, "! error: %v\n", err)
			if first == nil {
				first = fmt.Errorf("section %s: %w", sec.name, err)
			}
		}
		fmt.Fprintf(bw, sectionEnd+"\n", sec.name)
	}
	fmt.Fprintln(bw, MarkerEnd)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write statediff report: %w", err)
	}
	return first
}
