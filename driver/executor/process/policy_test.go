package process

import (
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
)

// A run's network, actor policy and protocol table cross the protocol
// intact; a policy the actors cannot run under is refused naming
// params.policy; mainnet's sends none of them.
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
	if w := paramsWire(executor.Params{NetworkVersion: 15, Protocol: protocol.Mainnet()}); w.Policy != nil || w.Network != "" || w.Schedule != nil {
		t.Errorf("mainnet's run sends %+v", w)
	}
	// A network's protocol table crosses as its schedule.
	calib := protocol.Calibnet()
	got, err = decodeParams(paramsWire(executor.Params{NetworkVersion: 9, Network: "calibrationnet", Protocol: calib}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Protocol == nil || got.Protocol.Network() != "calibrationnet" || !reflect.DeepEqual(got.Protocol.Upgrades(), calib.Upgrades()) {
		t.Errorf("calibnet's table arrives as %+v", got.Protocol)
	}
	w = paramsWire(executor.Params{NetworkVersion: 9, Network: "calibrationnet", Protocol: calib})
	w.Schedule.Heights["moon"] = 3
	if _, err := decodeParams(w); err == nil || !strings.Contains(err.Error(), "params.schedule") {
		t.Errorf("an unknown upgrade: %v", err)
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
