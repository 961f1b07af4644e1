package main

import (
	"os"
	"runtime/debug"

	"github.com/tvx-project/tvx/internal/membudget"
)

// How tvx exec keeps its peak memory under 512 MiB at any --parallel. The
// workers share execMemoryBudget for what they load (vector files, their
// decompressed CARs and indexes; see conformance.Runner.Memory), so hostile
// inputs wait for one another instead of adding up; one input may go over
// it by what it alone holds, at most ~300 MiB under schema's limits. The
// Go runtime is then told to keep the heap under execMemoryLimit, since by
// default it lets the heap grow to twice what was live at the last
// collection. A GOMEMLIMIT in the environment wins.
const (
	execMemoryBudget = 160 << 20
	execMemoryLimit  = 384 << 20
)

// execMemory returns the budget for a tvx exec run and sets the runtime's
// memory limit.
func execMemory() *membudget.Budget {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(execMemoryLimit)
	}
	return membudget.New(execMemoryBudget)
}
