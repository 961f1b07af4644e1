package driver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
)

// fakeVersion is a network version no network has: the row a test table
// adds to run a real vector under a version that exists only there.
const fakeVersion = network.Version(99)

// withFakeRow returns mainnet's table up to nv15 plus one upgrade to
// fakeVersion right after Oh Snap, carrying nv15's rules under the given
// price list.
func withFakeRow(t *testing.T, prices string) *protocol.Table {
	t.Helper()
	var rows []protocol.Upgrade
	for _, u := range protocol.Mainnet().Upgrades() {
		if u.Version <= network.Version15 {
			rows = append(rows, u)
		}
	}
	fake := rows[len(rows)-1]
	fake.Codename, fake.Epoch, fake.Prices, fake.Version = "testnet-fake", fake.Epoch+1, prices, fakeVersion
	tab, err := protocol.NewTable("testnet", append(rows, fake))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// A network version that only a test table knows runs a real mainnet
// vector: the driver takes the table it is given, not a global one. The
// row is what the run follows: with nv15's rules and price list the vector
// passes, with another price list its gas is off, and without the table the
// version is unknown.
func TestInjectedNetworkVersion(t *testing.T) {
	path := filepath.Join(filepath.Dir(testcorpus.Shared(t)), "fvm-test-vectors", "nv15-ohsnap",
		"fil_7_storageminer", "PreCommitSector", "Ok", "ext-0007-fil_7_storageminer-PreCommitSector-Ok-10.json")
	v, err := schema.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	variant := v.Pre.Variants[0]
	ctx := context.Background()
	if out := New().Run(ctx, v, variant); out.Status != Pass {
		t.Fatalf("vector does not pass as recorded: %s", out.Reason)
	}
	variant.NetworkVersion = uint(fakeVersion)
	variant.ID = "testnet-fake"

	if out := New(WithProtocol(withFakeRow(t, protocol.PricesCalico))).Run(ctx, v, variant); out.Status != Pass {
		t.Errorf("under the fake version with nv15's rules: %s %s", out.Status, out.Reason)
	}
	out := New(WithProtocol(withFakeRow(t, protocol.PricesGenesis))).Run(ctx, v, variant)
	if out.Status != Fail || !strings.Contains(out.Reason, "gas") {
		t.Errorf("under the fake version with genesis prices: %s %s, want a gas mismatch", out.Status, out.Reason)
	}
	if out := New().Run(ctx, v, variant); out.Status == Pass || !strings.Contains(out.Reason, "network version 99") {
		t.Errorf("mainnet table ran the fake version: %s %s", out.Status, out.Reason)
	}
}
