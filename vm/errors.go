package vm

import (
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/exitcode"
)

// actorError is the outcome of a failed send. A fatal error means the VM
// itself (not the message) is broken: the state is no longer trustworthy,
// so applying the message fails as a whole instead of producing a receipt.
type actorError struct {
	code  exitcode.ExitCode
	fatal bool
	msg   string
	cause error
	// raiseInParent marks an abort raised while setting up a callee's frame
	// (call depth, a send inside a state transaction): it fails the sending
	// actor itself, as if that actor had aborted, rather than being an exit
	// code the sender can inspect.
	raiseInParent bool
}

func (e *actorError) Error() string {
	kind := fmt.Sprintf("exit %d", e.code)
	if e.fatal {
		kind = "fatal"
	}
	if e.cause != nil {
		return fmt.Sprintf("%s (%s): %v", e.msg, kind, e.cause)
	}
	return fmt.Sprintf("%s (%s)", e.msg, kind)
}

func (e *actorError) Unwrap() error { return e.cause }

// abortf makes a non-fatal error with an exit code. An exit code of zero
// cannot describe a failure, so it is turned into a fatal error, as the
// protocol's reference implementation does.
func abortf(code exitcode.ExitCode, format string, args ...interface{}) *actorError {
	if code == 0 {
		return &actorError{fatal: true, msg: "abort with exit code 0", cause: fmt.Errorf(format, args...)}
	}
	return &actorError{code: code, msg: fmt.Sprintf(format, args...)}
}

// fatalf makes a fatal error.
func fatalf(format string, args ...interface{}) *actorError {
	return &actorError{fatal: true, msg: fmt.Sprintf(format, args...)}
}

// escalate turns err into a fatal error.
func escalate(err error, msg string) *actorError {
	return &actorError{fatal: true, msg: msg, cause: err}
}

// wrapAE adds context to err keeping its code and fatality.
func wrapAE(err *actorError, msg string) *actorError {
	if err == nil {
		return nil
	}
	return &actorError{code: err.code, fatal: err.fatal, msg: msg, cause: err, raiseInParent: err.raiseInParent}
}

// exitCode is the receipt exit code of err (0 for nil).
func (e *actorError) exitCode() exitcode.ExitCode {
	if e == nil {
		return 0
	}
	return e.code
}

// ErrFatal marks an error returned by ApplyMessage because execution hit a
// fatal VM condition rather than a message failure.
var ErrFatal = errors.New("fatal VM error")
