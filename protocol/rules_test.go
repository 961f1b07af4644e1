package protocol

import (
	"fmt"
	"testing"

	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
)

func TestTable(t *testing.T) {
	for v := network.Version0; v <= network.Version15; v++ {
		r, err := For(v)
		if err != nil {
			t.Fatalf("nv%d: %v", v, err)
		}
		if r.Version != v {
			t.Fatalf("row %d holds version %d", v, r.Version)
		}
		if v > 0 {
			prev, _ := For(v - 1)
			if r.Version < prev.Version || r.ActorsVersion < prev.ActorsVersion || r.StateTreeVersion < prev.StateTreeVersion {
				t.Errorf("nv%d goes backwards from nv%d", v, v-1)
			}
		}
	}
	if _, err := For(network.Version(19)); err == nil {
		t.Error("unknown version accepted")
	}
	// Spot checks of the switches the corpus exercises.
	n3, _ := For(network.Version3)
	n4, _ := For(network.Version4)
	if n3.ActorsVersion != 0 || n4.ActorsVersion != 2 || n3.StateTreeVersion != 0 || n4.StateTreeVersion != 1 {
		t.Error("actors v2 upgrade misplaced")
	}
	if n3.ResolveReceiver || !n4.ResolveReceiver {
		t.Error("nv4 runtime switches misplaced")
	}
	n6, _ := For(network.Version6)
	n7, _ := For(network.Version7)
	if n6.ParamsDecodeExit != exitcode.SysErrSenderInvalid || n7.ParamsDecodeExit != exitcode.ErrSerialization {
		t.Error("parameter decoding exit codes must stay network-exact (mainnet recorded exit 1 before version 7)")
	}
	// The departures from Lotus hold at every version.
	for v := network.Version0; v <= network.Version15; v++ {
		r, _ := For(v)
		if r.ActorPanicExit != exitcode.SysErrorIllegalActor || !r.PoliceAbortCodes || !r.CheckStateMutation || !r.RejectSelfBeneficiary {
			t.Errorf("nv%d: departure rules not in force: %+v", v, r)
		}
	}
	if u, ok := Mainnet().Activation(network.Version7); !ok || u.Epoch != 265200 {
		t.Errorf("calico at %d", u.Epoch)
	}
}

// Every behaviour switch against the network version where Lotus v1.15.3
// flips it (chain/vm/vm.go, runtime.go, mkactor.go, invoker.go), and the
// actors and state-tree versions against actors.VersionForNetwork and
// state.VersionForNetwork, written out as literal tables.
func TestSwitchesMatchLotus(t *testing.T) {
	actors := []ActorsVersion{0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7}
	trees := []StateTreeVersion{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 4, 4}
	for v := network.Version0; v <= network.Version15; v++ {
		r, err := For(v)
		if err != nil {
			t.Fatal(err)
		}
		if r.ActorsVersion != actors[v] || r.StateTreeVersion != trees[v] {
			t.Errorf("nv%d: actors v%d tree v%d, want v%d and v%d", v, r.ActorsVersion, r.StateTreeVersion, actors[v], trees[v])
		}
		wantDecode := exitcode.ErrSerialization
		if v < network.Version7 {
			wantDecode = 1
		}
		for _, c := range []struct {
			name      string
			got, want bool
		}{
			{"ResolveReceiver", r.ResolveReceiver, v >= network.Version4},
			{"CallDepthLimit", r.CallDepthLimit, v >= network.Version6},
			{"ForbidSendInTransaction", r.ForbidSendInTransaction, v >= network.Version7},
			{"CheckCreateActorAddress", r.CheckCreateActorAddress, v >= network.Version7},
			{"CheckDeleteBeneficiary", r.CheckDeleteBeneficiary, v >= network.Version7},
			{"RejectZeroBLSAccount", r.RejectZeroBLSAccount, v >= network.Version10},
			// In force from Claus (within nv9) to nv12: at activation, nv10..12.
			{"WindowPoStBurnExemption", r.WindowPoStBurnExemption, v >= network.Version10 && v <= network.Version12},
			{"TransferChecksBalanceFirst", r.TransferChecksBalanceFirst, v >= network.Version15},
			{"CircSupplyPerVM", r.CircSupplyPerVM, v >= network.Version15},
			{"ParamsDecodeExit", r.ParamsDecodeExit == wantDecode, true},
		} {
			if c.got != c.want {
				t.Errorf("nv%d: %s is %v, want %v", v, c.name, c.got, c.want)
			}
		}
	}
}

// For returns the rules in force when v activated on mainnet.
func For(v network.Version) (Rules, error) {
	u, ok := Mainnet().Activation(v)
	if !ok {
		return Rules{}, fmt.Errorf("no nv%d", v)
	}
	return u.Rules, nil
}
