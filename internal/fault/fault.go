// Package fault tells kinds of failure apart, so that a front end can map
// each kind to one exit status wherever in tvx the error arose. Code that
// knows what went wrong marks its error with Mark (or the short forms);
// KindOf reads the kind back through any amount of wrapping.
package fault

import (
	"errors"
	"syscall"
)

// Kind is what a failure says about its cause.
type Kind int

const (
	// Unknown is an error nobody classified: a tvx bug, or a path that
	// should mark its errors.
	Unknown Kind = iota
	// Usage is a malformed command line: unknown flag, missing argument,
	// contradictory options.
	Usage
	// BadInput is input tvx cannot use: a vector, CAR, message or chain
	// file that is missing, malformed, oversize or inconsistent.
	BadInput
	// IO is trouble with the machine rather than the input: a full disk,
	// a permission refused, a store locked by another process or damaged
	// beyond repair, a node that does not answer.
	IO
	// Failed is a verdict: the input was good and the check ran, and its
	// result disagrees with what was expected (a vector variant failed, an
	// extraction does not reproduce the chain).
	Failed
)

var names = [...]string{Unknown: "unknown", Usage: "usage", BadInput: "bad input", IO: "io", Failed: "failed"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(names) {
		return "unknown"
	}
	return names[k]
}

type marked struct {
	kind Kind
	err  error
}

func (m *marked) Error() string { return m.err.Error() }
func (m *marked) Unwrap() error { return m.err }

// Mark returns err carrying kind k; the message is err's. Mark(k, nil) is
// nil.
func Mark(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &marked{kind: k, err: err}
}

// BadInputf is Mark(BadInput, err).
func BadInputf(err error) error { return Mark(BadInput, err) }

// IOf is Mark(IO, err).
func IOf(err error) error { return Mark(IO, err) }

// ioErrnos are system errors that blame the machine, not the input, even
// when they surface while reading an input.
var ioErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EIO, syscall.EROFS,
	syscall.EACCES, syscall.EPERM, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.EWOULDBLOCK,
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH}

// KindOf is the kind err carries: IO when a system error in its chain
// blames the machine (a full disk while writing output is IO whoever
// marked it), else the outermost mark, else Unknown. KindOf(nil) is
// Unknown.
func KindOf(err error) Kind {
	if err == nil {
		return Unknown
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		for _, e := range ioErrnos {
			if errno == e {
				return IO
			}
		}
	}
	var m *marked
	if errors.As(err, &m) {
		return m.kind
	}
	return Unknown
}
