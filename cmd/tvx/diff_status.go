package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/statediff"
)

// tvx diff exits as diff(1) does, so scripts can branch on it: 0 when the
// states are the same, 1 when they differ, 2 on trouble (bad arguments or
// input, unreadable blocks: a diff that could not be completed).
const (
	diffSame    = 0
	diffDiffer  = 1
	diffTrouble = 2
)

// errDiffer is returned by a diff that completed and found differences.
var errDiffer = &exitError{code: diffDiffer}

// diffExit maps the errors of diff's action onto diff(1)'s statuses:
// differences stay 1, every other error is trouble.
func diffExit(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := action(c)
		var ee *exitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ee) && (ee.code == diffDiffer || ee.code == diffTrouble):
			return err
		}
		return &exitError{code: diffTrouble, err: err}
	}
}

// writeStateDiff prints the diff of the state trees at a and b and returns
// nil when they are the same, errDiffer when they differ, and a trouble
// error when blocks could not be read (the diff printed is incomplete).
func writeStateDiff(ctx context.Context, w io.Writer, s statediff.Store, a, b cid.Cid, opts ...statediff.Option) error {
	res, err := statediff.Diff(ctx, s, a, b)
	if err != nil {
		return fmt.Errorf("statediff %s vs %s: %w", a, b, err)
	}
	if err := res.Format(w, opts...); err != nil {
		return err
	}
	switch {
	case len(res.Problems) > 0:
		return &exitError{code: diffTrouble, err: fmt.Errorf("diff incomplete: %d unreadable block(s)", len(res.Problems))}
	case a.Equals(b):
		return nil
	}
	return errDiffer
}
