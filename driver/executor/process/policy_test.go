package process

import (
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/networks"
)

// A run's network and actor policy cross the protocol intact; a policy the
// actors cannot run under is refused naming params.policy; mainnet's (nil)
// sends no policy at all.
func TestParamsCarryNetworkAndPolicy(t *testing.T) {
	p := &networks.Policy{
		SupportedSealProofs:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1, abi.RegisteredSealProof_StackedDrg8MiBV1},
		ConsensusMinerMinPower:  2048,
		MinVerifiedDealSize:     256,
		PreCommitChallengeDelay: 10,
	}
	w := paramsWire(executor.Params{NetworkVersion: 15, Network: "test", Policy: p})
	got, err := decodeParams(w)
	if err != nil {
		t.Fatal(err)
	}
	if got.Network != "test" || got.Policy == nil || !reflect.DeepEqual(*got.Policy, *p) {
		t.Fatalf("decoded network %q policy %+v, sent %+v", got.Network, got.Policy, p)
	}
	if w := paramsWire(executor.Params{NetworkVersion: 15}); w.Policy != nil || w.Network != "" {
		t.Errorf("mainnet's run sends %+v", w)
	}
	for name, bad := range map[string]func(*wirePolicy){
		"unknown proof": func(w *wirePolicy) { w.SealProofs = []int64{99} },
		"no proof":      func(w *wirePolicy) { w.SealProofs = nil },
		"bad power":     func(w *wirePolicy) { w.ConsensusMinerMinPower = "2KiB" },
		"negative":      func(w *wirePolicy) { w.PreCommitChallengeDelay = -1 },
	} {
		w := paramsWire(executor.Params{NetworkVersion: 15, Network: "test", Policy: p})
		bad(w.Policy)
		if _, err := decodeParams(w); err == nil || !strings.Contains(err.Error(), "params.policy") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
