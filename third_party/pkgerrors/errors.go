// Package errors is tvx's stand-in for github.com/pkg/errors v0.9.1, the
// error package specs-actors v0.9–v5 use. It has the same API and gives
// every error exactly the same Error() text, %s, %v and %q output, and the
// same Cause and Unwrap chains, so errors.Is and errors.As answer as before.
//
// What differs: no stack trace is recorded. The original captures one on
// New, Errorf, WithStack, Wrap and Wrapf, and the actors create such errors
// on hot paths and drop them unread (the market actor's cron deletes one
// HAMT key per epoch it catches up on, and every absent key is a wrapped
// not-found error). That capture was most of a tipset vector's CPU time.
// Here StackTrace() returns an empty trace and %+v prints what the original
// prints minus the stack frames: the innermost message, then each message
// wrapped around it on its own line.
//
// The go.mod of tvx replaces github.com/pkg/errors with this directory; a
// test in internal/pkgerrorscompat runs it side by side with the original.
package errors

import (
	stderrors "errors"
	"fmt"
	"io"
)

// New returns an error whose text is message.
func New(message string) error { return &fundamental{msg: message} }

// Errorf returns an error whose text is fmt.Sprintf(format, args...).
func Errorf(format string, args ...interface{}) error {
	return &fundamental{msg: fmt.Sprintf(format, args...)}
}

// WithStack returns err unchanged in text, behind one more Unwrap/Cause
// layer (where the original records a stack); nil stays nil.
func WithStack(err error) error {
	if err == nil {
		return nil
	}
	return &withStack{err}
}

// Wrap returns an error reading "message: " followed by err's text; nil
// stays nil.
func Wrap(err error, message string) error {
	if err == nil {
		return nil
	}
	return &withStack{&withMessage{cause: err, msg: message}}
}

// Wrapf is Wrap with the message formatted by fmt.Sprintf, at the call (the
// arguments may change afterwards).
func Wrapf(err error, format string, args ...interface{}) error {
	if err == nil {
		return nil
	}
	return &withStack{&withMessage{cause: err, msg: fmt.Sprintf(format, args...)}}
}

// WithMessage is Wrap without the extra layer; nil stays nil.
func WithMessage(err error, message string) error {
	if err == nil {
		return nil
	}
	return &withMessage{cause: err, msg: message}
}

// WithMessagef is WithMessage with the message formatted by fmt.Sprintf.
func WithMessagef(err error, format string, args ...interface{}) error {
	if err == nil {
		return nil
	}
	return &withMessage{cause: err, msg: fmt.Sprintf(format, args...)}
}

// Cause follows Cause() methods down to the first error without one.
func Cause(err error) error {
	for err != nil {
		c, ok := err.(interface{ Cause() error })
		if !ok {
			break
		}
		err = c.Cause()
	}
	return err
}

// Is is the standard library's errors.Is.
func Is(err, target error) bool { return stderrors.Is(err, target) }

// As is the standard library's errors.As.
func As(err error, target interface{}) bool { return stderrors.As(err, target) }

// Unwrap is the standard library's errors.Unwrap.
func Unwrap(err error) error { return stderrors.Unwrap(err) }

// fundamental is an error made from a message alone.
type fundamental struct{ msg string }

func (f *fundamental) Error() string { return f.msg }

// StackTrace is empty: no trace is recorded.
func (f *fundamental) StackTrace() StackTrace { return nil }

func (f *fundamental) Format(s fmt.State, verb rune) { formatText(s, verb, f.msg) }

// withStack is the layer where the original keeps a stack trace.
type withStack struct{ error }

func (w *withStack) Cause() error  { return w.error }
func (w *withStack) Unwrap() error { return w.error }

// StackTrace is empty: no trace is recorded.
func (w *withStack) StackTrace() StackTrace { return nil }

func (w *withStack) Format(s fmt.State, verb rune) {
	if verb == 'v' && s.Flag('+') {
		fmt.Fprintf(s, "%+v", w.error)
		return
	}
	formatText(s, verb, w.Error())
}

// withMessage prefixes a message to its cause's text.
type withMessage struct {
	cause error
	msg   string
}

func (w *withMessage) Error() string { return w.msg + ": " + w.cause.Error() }
func (w *withMessage) Cause() error  { return w.cause }
func (w *withMessage) Unwrap() error { return w.cause }

func (w *withMessage) Format(s fmt.State, verb rune) {
	if verb == 'v' && s.Flag('+') {
		fmt.Fprintf(s, "%+v\n", w.cause)
		io.WriteString(s, w.msg)
		return
	}
	// The original prints this layer's %q unquoted; kept so.
	if verb == 'q' {
		verb = 's'
	}
	formatText(s, verb, w.Error())
}

// formatText writes an error's text for %s and %v (flags and widths are
// ignored, as in the original) and quoted for %q; other verbs print nothing.
func formatText(s fmt.State, verb rune, text string) {
	switch verb {
	case 'v', 's':
		io.WriteString(s, text)
	case 'q':
		fmt.Fprintf(s, "%q", text)
	}
}
