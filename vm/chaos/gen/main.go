// Command gen writes vm/chaos/cbor_gen.go: the tuple CBOR encoders of the chaos
// actor's state, parameter and return types (chaos.ABITypes). Run it with
// `go generate` in vm/chaos; the output is committed so that builds never
// depend on running it, and a test fails if it drifts from the types.
//
// The chaos package must compile for this to run, so change a type and
// regenerate in steps that keep the old cbor_gen.go compiling (or delete the
// stale methods first).
package main

import (
	"fmt"
	"os"

	gen "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm/chaos"
)

func main() {
	out := "./cbor_gen.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := gen.WriteTupleEncodersToFile(out, "chaos", chaos.ABITypes()...); err != nil {
		fmt.Fprintln(os.Stderr, "chaos gen:", err)
		os.Exit(1)
	}
}
