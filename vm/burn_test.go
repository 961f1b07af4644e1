package vm

import (
	"fmt"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
)

// A successful top-level SubmitWindowedPoSt to a miner burns no base fee
// after the Claus epoch, up to network version 12 (Lotus v1.15.3
// LegacyVM.ShouldBurn); from version 13 every message burns it.
func TestWindowPoStBurnExemption(t *testing.T) {
	w := newWorld(t)
	minerAddr, _ := address.NewIDAddress(1000)
	otherAddr, _ := address.NewIDAddress(1001)
	w.setActor(minerAddr, builtin4.StorageMinerActorCodeID, emptyObjectCID, big.Zero())
	w.setActor(otherAddr, builtin4.MultisigActorCodeID, emptyObjectCID, big.Zero())
	missing, _ := address.NewIDAddress(1002)
	root := w.root()

	post := builtin0.MethodsMiner.SubmitWindowedPoSt
	for _, c := range []struct {
		nv     network.Version
		epoch  abi.ChainEpoch
		to     address.Address
		method abi.MethodNum
		code   exitcode.ExitCode
		burn   bool
	}{
		{network.Version12, 343201, minerAddr, post, 0, false},
		{network.Version10, 600000, minerAddr, post, 0, false},
		{network.Version13, 900000, minerAddr, post, 0, true},
		{network.Version15, 1600000, minerAddr, post, 0, true},
		{network.Version9, 343200, minerAddr, post, 0, true}, // Claus's own epoch: not after it
		{network.Version9, 343201, minerAddr, post, 0, false},
		// nv12 never ran at 343200: the rules in force when it activated.
		{network.Version12, 343200, minerAddr, post, 0, false},
		{network.Version12, 700000, minerAddr, post, exitcode.ErrIllegalArgument, true},
		{network.Version12, 700000, minerAddr, post + 1, 0, true},
		{network.Version12, 700000, otherAddr, post, 0, true},
		{network.Version12, 700000, missing, post, 0, true},
	} {
		t.Run(fmt.Sprintf("nv%d@%d/%s/m%d/exit%d", c.nv, c.epoch, c.to, c.method, c.code), func(t *testing.T) {
			m := w.machine(root, Config{NetworkVersion: c.nv, Epoch: c.epoch, OnChain: true})
			burn, err := m.burnsBaseFee(&Message{To: c.to, Method: c.method}, c.code)
			if err != nil {
				t.Fatal(err)
			}
			if burn != c.burn {
				t.Errorf("burns base fee: %v, want %v", burn, c.burn)
			}
		})
	}
}
