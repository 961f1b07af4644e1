package pkgerrorscompat

import (
	stderrors "errors"
	"fmt"
	"strings"
	"testing"

	local "github.com/pkg/errors"
	upstream "tvx.invalid/upstream/pkgerrors"
)

// api is the part of the package both implementations share.
type api struct {
	New          func(string) error
	Errorf       func(string, ...interface{}) error
	WithStack    func(error) error
	Wrap         func(error, string) error
	Wrapf        func(error, string, ...interface{}) error
	WithMessage  func(error, string) error
	WithMessagef func(error, string, ...interface{}) error
	Cause        func(error) error
	Unwrap       func(error) error
}

var (
	localAPI = api{local.New, local.Errorf, local.WithStack, local.Wrap, local.Wrapf,
		local.WithMessage, local.WithMessagef, local.Cause, local.Unwrap}
	upstreamAPI = api{upstream.New, upstream.Errorf, upstream.WithStack, upstream.Wrap, upstream.Wrapf,
		upstream.WithMessage, upstream.WithMessagef, upstream.Cause, upstream.Unwrap}
)

// notFound stands for the errors the HAMT and AMT libraries return, which
// the actors wrap and test with errors.Is.
type notFound struct{ key string }

func (e *notFound) Error() string { return "not found: " + e.key }

var errSentinel = stderrors.New("sentinel")

// cases builds the same error shapes from one implementation; each one is
// what an actor or library call site makes.
func cases(p api) map[string]error {
	base := &notFound{key: "k1"}
	return map[string]error{
		"new":             p.New("plain message"),
		"errorf":          p.Errorf("epoch %d key %q %v", 42, "abc", []int{1, 2}),
		"errorf-w":        p.Errorf("wrapped %w", errSentinel),
		"with-stack":      p.WithStack(base),
		"wrap":            p.Wrap(base, "map delete failed"),
		"wrapf":           p.Wrapf(base, "map delete failed in node %v key %v", struct{ A []byte }{[]byte{1}}, "\x00\x01"),
		"wrap-sentinel":   p.Wrap(errSentinel, "outer"),
		"with-message":    p.WithMessage(base, "context"),
		"with-messagef":   p.WithMessagef(base, "context %d", 7),
		"wrap-of-new":     p.Wrap(p.New("inner"), "outer"),
		"deep":            p.Wrapf(p.WithMessage(p.Wrap(fmt.Errorf("std %w", base), "a"), "b"), "c %s", "d"),
		"xerrors-style":   fmt.Errorf("failed to delete set key %v: %w", 7, p.Wrapf(base, "node %v", 1)),
		"empty-message":   p.Wrap(base, ""),
		"percent-literal": p.New("100%"),
	}
}

// TestTextMatchesUpstream: Error() and every non-stack verb print the same
// text as the original.
func TestTextMatchesUpstream(t *testing.T) {
	got, want := cases(localAPI), cases(upstreamAPI)
	for name, w := range want {
		g := got[name]
		if g.Error() != w.Error() {
			t.Errorf("%s: Error() = %q, upstream %q", name, g.Error(), w.Error())
		}
		for _, verb := range []string{"%s", "%v", "%q", "%10s", "%-v", "%x"} {
			if gs, ws := fmt.Sprintf(verb, g), fmt.Sprintf(verb, w); gs != ws {
				t.Errorf("%s: %s = %q, upstream %q", name, verb, gs, ws)
			}
		}
	}
}

// TestPlusVMatchesUpstreamWithoutFrames: %+v prints the upstream output with
// the stack-frame lines left out (each frame is a function line followed by
// a tab-indented file:line line).
func TestPlusVMatchesUpstreamWithoutFrames(t *testing.T) {
	got, want := cases(localAPI), cases(upstreamAPI)
	for name, w := range want {
		g := fmt.Sprintf("%+v", got[name])
		up := withoutFrames(fmt.Sprintf("%+v", w))
		if g != up {
			t.Errorf("%s: %%+v = %q, upstream without frames %q", name, g, up)
		}
	}
}

// withoutFrames drops upstream's "\nfunc\n\tfile:line" pairs.
func withoutFrames(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			i++
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}

// TestChainsMatchUpstream: Cause, Unwrap, errors.Is and errors.As walk the
// same layers with the same texts.
func TestChainsMatchUpstream(t *testing.T) {
	got, want := cases(localAPI), cases(upstreamAPI)
	for name, w := range want {
		g := got[name]
		if gc, wc := localAPI.Cause(g), upstreamAPI.Cause(w); fmt.Sprint(gc) != fmt.Sprint(wc) || fmt.Sprintf("%T", gc) != fmt.Sprintf("%T", wc) && !sameKind(gc, wc) {
			t.Errorf("%s: Cause = %v (%T), upstream %v (%T)", name, gc, gc, wc, wc)
		}
		gl, wl := layers(localAPI.Unwrap, g), layers(upstreamAPI.Unwrap, w)
		if strings.Join(gl, "|") != strings.Join(wl, "|") {
			t.Errorf("%s: Unwrap chain %q, upstream %q", name, gl, wl)
		}
		if gi, wi := local.Is(g, errSentinel), upstream.Is(w, errSentinel); gi != wi {
			t.Errorf("%s: Is(sentinel) = %v, upstream %v", name, gi, wi)
		}
		var gnf, wnf *notFound
		ga, wa := local.As(g, &gnf), upstream.As(w, &wnf)
		if ga != wa || (ga && gnf.key != wnf.key) {
			t.Errorf("%s: As(*notFound) = %v, upstream %v", name, ga, wa)
		}
	}
	if local.Wrap(nil, "x") != nil || local.Wrapf(nil, "x") != nil || local.WithStack(nil) != nil ||
		local.WithMessage(nil, "x") != nil || local.WithMessagef(nil, "x") != nil || local.Cause(nil) != nil {
		t.Error("a nil error must stay nil")
	}
}

// sameKind: both are the package's own message-only error (unexported, so
// named differently by each package) or the same external type.
func sameKind(a, b error) bool {
	ta, tb := fmt.Sprintf("%T", a), fmt.Sprintf("%T", b)
	return strings.TrimPrefix(ta, "*errors.") == strings.TrimPrefix(tb, "*errors.")
}

// layers lists the text of each error met by repeated unwrapping.
func layers(unwrap func(error) error, err error) []string {
	var out []string
	for ; err != nil; err = unwrap(err) {
		out = append(out, err.Error())
	}
	return out
}

// TestNoStackTrace: the replacement's errors offer StackTrace() as the
// original's do, and it is empty.
func TestNoStackTrace(t *testing.T) {
	type tracer interface{ StackTrace() local.StackTrace }
	for name, err := range cases(localAPI) {
		var tr tracer
		if stderrors.As(err, &tr) && len(tr.StackTrace()) != 0 {
			t.Errorf("%s: stack trace of %d frames", name, len(tr.StackTrace()))
		}
	}
	var utr interface{ StackTrace() upstream.StackTrace }
	if !stderrors.As(upstream.New("x"), &utr) {
		t.Fatal("upstream errors carry StackTrace()")
	}
	var ltr interface{ StackTrace() local.StackTrace }
	if !stderrors.As(local.New("x"), &ltr) {
		t.Error("local errors must carry StackTrace() too")
	}
}

// TestFrameFormatMatchesUpstream: a frame built from a real program counter
// formats the same way in both packages.
func TestFrameFormatMatchesUpstream(t *testing.T) {
	st := upstream.New("x").(interface{ StackTrace() upstream.StackTrace }).StackTrace()
	for _, uf := range st[:2] {
		lf := local.Frame(uf)
		for _, verb := range []string{"%s", "%+s", "%d", "%n", "%v", "%+v"} {
			if g, w := fmt.Sprintf(verb, lf), fmt.Sprintf(verb, uf); g != w {
				t.Errorf("frame %s = %q, upstream %q", verb, g, w)
			}
		}
		gt, _ := lf.MarshalText()
		wt, _ := uf.MarshalText()
		if string(gt) != string(wt) {
			t.Errorf("MarshalText = %q, upstream %q", gt, wt)
		}
	}
	lst := make(local.StackTrace, len(st[:2]))
	for i, f := range st[:2] {
		lst[i] = local.Frame(f)
	}
	for _, verb := range []string{"%s", "%v", "%+v"} {
		if g, w := fmt.Sprintf(verb, lst), fmt.Sprintf(verb, st[:2]); g != w {
			t.Errorf("stack trace %s = %q, upstream %q", verb, g, w)
		}
	}
	if g, w := fmt.Sprint(local.Frame(0)), fmt.Sprint(upstream.Frame(0)); g != w {
		t.Errorf("unknown frame = %q, upstream %q", g, w)
	}
}
