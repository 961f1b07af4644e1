package builtin

import (
	"testing"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/protocol"
)

// TestBundleCodes: every actor of every carried bundle's manifest maps to
// its name and version, no bundle code collides with a Go actor's code,
// and the kinds each version adds are where the network introduced them
// (datacap with v9; evm, eam, placeholder and ethaccount with v10).
func TestBundleCodes(t *testing.T) {
	codes, err := BundleCodes()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[protocol.ActorsVersion]map[string]bool{}
	total := 0
	for _, v := range bundle.ActorsVersions() {
		acts, err := bundle.ReadActors(v)
		if err != nil {
			t.Fatal(err)
		}
		kinds[protocol.ActorsVersion(v)] = map[string]bool{}
		for _, a := range acts {
			got, ok := codes[a.Code]
			if !ok || got.Kind != a.Name || got.Version != protocol.ActorsVersion(v) {
				t.Errorf("v%d %s (%s): BundleCodes has %+v, %v", v, a.Name, a.Code, got, ok)
			}
			kinds[protocol.ActorsVersion(v)][a.Name] = true
			total++
		}
	}
	if len(codes) != total {
		t.Errorf("%d codes for %d manifest entries: a code is shared between versions", len(codes), total)
	}
	for c := range Codes() {
		if _, clash := codes[c]; clash {
			t.Errorf("Go actor code %s is also a bundle code", c)
		}
	}
	for _, k := range []string{KindSystem, KindInit, KindAccount, KindMiner, KindMarket, KindPower, KindVerifiedRegs} {
		for v, ks := range kinds {
			if !ks[k] {
				t.Errorf("v%d has no %s actor", v, k)
			}
		}
	}
	if kinds[8][KindDatacap] || !kinds[9][KindDatacap] || !kinds[10][KindDatacap] {
		t.Errorf("datacap in v8/v9/v10: %v %v %v", kinds[8][KindDatacap], kinds[9][KindDatacap], kinds[10][KindDatacap])
	}
	for _, k := range []string{KindEVM, KindEAM, KindPlaceholder, KindEthAccount} {
		if kinds[9][k] || !kinds[10][k] {
			t.Errorf("%s in v9/v10: %v %v", k, kinds[9][k], kinds[10][k])
		}
	}
}
