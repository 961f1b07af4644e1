package driver

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tvx-project/tvx/driver/trace"
)

// ChargeGas is the gas of every charge of one name in a receipt's trace
// (such as "OnChainMessage", "wasm_exec", "OnBlockRead").
type ChargeGas struct {
	Name string
	// Gas is the total (compute plus storage) of the charges of Name.
	Gas int64
	// Count is how many charges of Name the trace holds.
	Count int
}

// chargesByName sums a gas trace per charge name, largest total first
// (ties by name), so a maintainer sees where a wrong amount of gas went.
func chargesByName(t *trace.ExecutionTrace) []ChargeGas {
	if t == nil {
		return nil
	}
	idx := map[string]int{}
	var out []ChargeGas
	for _, c := range trace.Flatten(t) {
		i, ok := idx[c.Name]
		if !ok {
			i = len(out)
			idx[c.Name] = i
			out = append(out, ChargeGas{Name: c.Name})
		}
		out[i].Gas += c.TotalGas
		out[i].Count++
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Gas != out[b].Gas {
			return out[a].Gas > out[b].Gas
		}
		return out[a].Name < out[b].Name
	})
	return out
}

// gasByName is a trace's breakdown by charge name as one line.
func gasByName(t *trace.ExecutionTrace) string {
	cs := chargesByName(t)
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Name, c.Gas)
	}
	return strings.Join(parts, ", ")
}
