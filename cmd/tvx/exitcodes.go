package main

import (
	"errors"
	"fmt"

	"github.com/tvx-project/tvx/internal/fault"
	"github.com/urfave/cli/v2"
)

// Exit statuses, one per kind of fault. exitStatuses below is the table
// README.md's "Exit status" section shows (a test keeps the two equal);
// exitStatus is the one place an error becomes a status.
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadArgs  = 2
	exitBadInput = 3
	exitIO       = 4
	exitInternal = 5
)

// exitStatuses lists every status tvx exits with, the kind of fault that
// leads to it, and what it tells the user.
var exitStatuses = [...]struct {
	code    int
	kind    fault.Kind
	meaning string
}{
	{exitOK, -1, "success: everything ran and passed (or was skipped)"},
	{exitFailed, fault.Failed, "a verdict: a vector variant failed, an extraction or chain build does not reproduce its source, `corpus verify` found damage"},
	{exitBadArgs, fault.Usage, "usage: unknown flag or command, missing or contradictory arguments"},
	{exitBadInput, fault.BadInput, "bad input: a vector, CAR, message, chain file or CSV that is missing, malformed, oversize or inconsistent (in a multi-vector run: any ERROR line)"},
	{exitIO, fault.IO, "machine or store trouble: full disk, permission denied, store locked by another process or damaged beyond repair, node unreachable"},
	{exitInternal, fault.Unknown, "an error tvx did not classify: a bug, please report it"},
}

// codeFor is the exit status of a fault of kind k.
func codeFor(k fault.Kind) int {
	for _, s := range exitStatuses {
		if s.kind == k {
			return s.code
		}
	}
	return exitInternal
}

// exitStatus is the status run exits with after a command returned err:
// an exitError's explicit code, else the code of err's kind.
func exitStatus(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	k := fault.KindOf(err)
	var fa fromAction
	if k == fault.Unknown && !errors.As(err, &fa) {
		// urfave/cli's own errors: a missing required flag, an unknown
		// help topic.
		return exitBadArgs
	}
	return codeFor(k)
}

// fromAction marks an error a command's action returned, which tells it
// apart from urfave/cli's own.
type fromAction struct{ err error }

func (e fromAction) Error() string { return e.err.Error() }
func (e fromAction) Unwrap() error { return e.err }

// markActions wraps the action of every command in cmds, recursively, so
// that its errors are marked fromAction.
func markActions(cmds []*cli.Command) {
	for _, c := range cmds {
		if act := c.Action; act != nil {
			c.Action = func(ctx *cli.Context) error {
				if err := act(ctx); err != nil {
					return fromAction{err}
				}
				return nil
			}
		}
		markActions(c.Subcommands)
	}
}

// exitError carries an explicit exit status out of a command's action; a
// nil err prints nothing (the command has reported already).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failAs returns err as a fault of kind k, unless err already carries a
// kind (a full disk is IO even while writing a vector). Commands wrap the
// errors they return with it; run maps the kind to the exit status.
func failAs(k fault.Kind, err error) error {
	if err == nil || fault.KindOf(err) != fault.Unknown {
		return err
	}
	return fault.Mark(k, err)
}

// badInput is failAs(fault.BadInput, err).
func badInput(err error) error { return failAs(fault.BadInput, err) }

// ioTrouble is failAs(fault.IO, err).
func ioTrouble(err error) error { return failAs(fault.IO, err) }

// verdictFailed is failAs(fault.Failed, err).
func verdictFailed(err error) error { return failAs(fault.Failed, err) }

// usageErr is a usage fault with a formatted message.
func usageErr(format string, args ...any) error {
	return fault.Mark(fault.Usage, fmt.Errorf(format, args...))
}

// silentFailure is the verdict status for a command that has already
// printed why it failed.
func silentFailure(code int) error { return &exitError{code: code} }
