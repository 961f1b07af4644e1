// Package fuzzwatch bounds the time a fuzz input may take, so that an input
// that makes a decoder or a walk hang is reported as a finding (with the
// input saved under testdata/fuzz) instead of stalling the fuzzer.
package fuzzwatch

import (
	"fmt"
	"time"
)

// Limit is how long one fuzz input may run.
const Limit = time.Second

// Start arms the watchdog for one input; call the returned stop when the
// input is done. An input still running after Limit panics the process —
// the one failure a fuzz worker reports even from a goroutine it does not
// own — naming what hung.
func Start(what string) (stop func()) {
	t := time.AfterFunc(Limit, func() {
		panic(fmt.Sprintf("%s: input still running after %v (a hang)", what, Limit))
	})
	return func() { t.Stop() }
}
