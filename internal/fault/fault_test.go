package fault

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestKindOf(t *testing.T) {
	full := &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		err  error
		want Kind
	}{
		{nil, Unknown},
		{errors.New("plain"), Unknown},
		{Mark(BadInput, errors.New("bad")), BadInput},
		{fmt.Errorf("outer: %w", Mark(Failed, errors.New("x"))), Failed},
		{Mark(Usage, Mark(BadInput, errors.New("x"))), Usage},
		// A full disk blames the machine even inside an input's error.
		{Mark(BadInput, fmt.Errorf("vector: %w", full)), IO},
		{full, IO},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, Unknown},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if Mark(IO, nil) != nil {
		t.Error("Mark(k, nil) must be nil")
	}
	if e := Mark(IO, errors.New("msg")); e.Error() != "msg" {
		t.Errorf("Mark changed the message to %q", e)
	}
}
