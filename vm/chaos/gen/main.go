// Command gen writes vm/chaos/cbor_gen.go: the tuple CBOR encoders of the chaos
// actor's state, parameter and return types. Run it with `go generate` in
// vm/chaos; the output is committed so builds never depend on running it.
package main

import (
	"fmt"
	"os"

	gen "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm/chaos"
)

func main() {
	// Order only affects the layout of the generated file, not the encodings.
	err := gen.WriteTupleEncodersToFile("./cbor_gen.go", "chaos",
		chaos.State{},
		chaos.CallerValidationArgs{},
		chaos.CreateActorArgs{},
		chaos.ResolveAddressResponse{},
		chaos.SendArgs{},
		chaos.SendReturn{},
		chaos.MutateStateArgs{},
		chaos.AbortWithArgs{},
		chaos.InspectRuntimeReturn{},
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos gen:", err)
		os.Exit(1)
	}
}
