package builtin

import (
	"testing"

	"github.com/tvx-project/tvx/protocol"
)

// Every actors version the network ran has its state types, making a
// fresh value per call; versions it never ran have none.
func TestStateTypesOf(t *testing.T) {
	for _, v := range []protocol.ActorsVersion{0, 2, 3, 4, 5, 6, 7, 8, 9, 10} {
		st, ok := StateTypesOf(v)
		if !ok {
			t.Fatalf("actors v%d: no state types", v)
		}
		for name, f := range map[string]StateType{"system": st.System, "init": st.Init, "miner": st.Miner, "market": st.Market, "power": st.Power, "verifreg": st.Verifreg} {
			if f == nil {
				t.Fatalf("actors v%d: no %s state", v, name)
			}
		}
		// (Zero-size states such as the system actor's may share an address.)
		if a, b := st.Miner(), st.Miner(); a == b {
			t.Fatalf("actors v%d: miner state values are shared", v)
		}
		if (st.Datacap != nil) != (v >= 9) || (st.EVM != nil) != (v >= 10) {
			t.Fatalf("actors v%d: datacap %v, evm %v", v, st.Datacap != nil, st.EVM != nil)
		}
	}
	for _, v := range []protocol.ActorsVersion{1, 11} {
		if _, ok := StateTypesOf(v); ok {
			t.Fatalf("actors v%d has state types", v)
		}
	}
}
