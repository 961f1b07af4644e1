package fvm

import (
	"fmt"

	"github.com/filecoin-project/go-state-types/exitcode"
)

// ErrorNumber is a syscall error number as actors see it.
type ErrorNumber uint32

// Syscall error numbers.
const (
	ErrIllegalArgument   ErrorNumber = 1
	ErrIllegalOperation  ErrorNumber = 2
	ErrLimitExceeded     ErrorNumber = 3
	ErrAssertionFailed   ErrorNumber = 4
	ErrInsufficientFunds ErrorNumber = 5
	ErrNotFound          ErrorNumber = 6
	ErrInvalidHandle     ErrorNumber = 7
	ErrIllegalCid        ErrorNumber = 8
	ErrIllegalCodec      ErrorNumber = 9
	ErrSerialization     ErrorNumber = 10
	ErrForbidden         ErrorNumber = 11
	ErrBufferTooSmall    ErrorNumber = 12
	ErrReadOnly          ErrorNumber = 13
)

// Exit codes the FVM itself gives (beyond those of go-state-types).
const (
	exitIllegalInstruction exitcode.ExitCode = 4
	exitInvalidReceiver    exitcode.ExitCode = 5
	exitInsufficientFunds  exitcode.ExitCode = 6
	exitOutOfGas           exitcode.ExitCode = 7
	exitIllegalExitCode    exitcode.ExitCode = 9
	exitAssertionFailed    exitcode.ExitCode = 10
	exitMissingReturn      exitcode.ExitCode = 11
)

// syscallError is a recoverable syscall failure: the actor receives the
// number and may carry on.
type syscallError struct {
	num ErrorNumber
	msg string
}

func (e *syscallError) Error() string { return fmt.Sprintf("syscall error %d: %s", e.num, e.msg) }

// exitCode is the receipt exit code of a syscall error that escaped to the
// top of the send stack.
func (e *syscallError) exitCode() exitcode.ExitCode {
	switch e.num {
	case ErrInsufficientFunds:
		return exitInsufficientFunds
	case ErrNotFound:
		return exitInvalidReceiver
	}
	return exitAssertionFailed
}

func sysErr(n ErrorNumber, format string, args ...any) error {
	return &syscallError{num: n, msg: fmt.Sprintf(format, args...)}
}

// actorAbort is an invocation that ended with a non-zero exit code; from
// nv18 it may return a block all the same (ret, nil for none).
type actorAbort struct {
	code exitcode.ExitCode
	msg  string
	ret  *block
}

// actorExit is an actor's vm::exit (nv18): the invocation ends with code,
// returning the registered block (noDataBlockID for none).
type actorExit struct {
	code  exitcode.ExitCode
	block uint32
	msg   string
}

func (e *actorExit) Error() string { return fmt.Sprintf("actor exited with %d: %s", e.code, e.msg) }

func (e *actorAbort) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

// fatalError is a machine failure: the message cannot be applied.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return "fatal: " + e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatalf(format string, args ...any) error {
	return &fatalError{err: fmt.Errorf(format, args...)}
}

// Fatal marks err as a machine failure (the message cannot be applied), for
// engines reporting failures that are not the actor's doing.
func Fatal(err error) error { return &fatalError{err: err} }
