package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// tvx extract asks the node which network it is on and records it in
// _meta.gen: a network in the table by its name, a devnet by the name its
// node reports (with StateGetNetworkParams describing it); --network wins
// and must be a network tvx knows.
func TestExtractRecordsNetwork(t *testing.T) {
	vec := filepath.Join(testcorpus.Shared(t), "reward", "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	dir := t.TempDir()
	car := filepath.Join(dir, "chain.car")
	if code, _, errs := runExtractCLI(t, "chain", "build", vec, "--out", car); code != 0 {
		t.Fatalf("chain build: exit %d\n%s", code, errs)
	}
	src, err := chain.OpenCAR(car, chain.WithCirculatingSupply(big.Zero()))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	head, _ := src.Head(context.Background())
	msgs, err := src.ParentMessages(context.Background(), head.Cids()[0])
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no executed messages in the built chain: %v", err)
	}
	devnet := chain.NetworkParams{
		NetworkName: "localnet-2k", BlockDelaySecs: 4, ConsensusMinerMinPower: big.NewInt(2048),
		SupportedProofTypes:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1, abi.RegisteredSealProof_StackedDrg8MiBV1},
		PreCommitChallengeDelay: 10,
	}
	for _, c := range []struct {
		name   string
		opts   []chaintest.ServerOption
		flags  []string
		record string // "" : none
		code   int
	}{
		{"devnet", []chaintest.ServerOption{chaintest.WithNetworkParams(devnet)}, nil, "network:localnet-2k", exitOK},
		{"known name", []chaintest.ServerOption{chaintest.WithNetworkParams(chain.NetworkParams{NetworkName: "mainnet"})}, nil, "network:mainnet", exitOK},
		{"mainnet's state name", []chaintest.ServerOption{chaintest.WithNetworkParams(chain.NetworkParams{NetworkName: "testnetnet"})}, nil, "network:mainnet", exitOK},
		{"calibnet node", []chaintest.ServerOption{chaintest.WithNetworkParams(chain.NetworkParams{NetworkName: "calibrationnet"})}, nil, "network:calibrationnet", exitOK},
		{"no name", nil, nil, "", exitOK},
		{"flag wins", []chaintest.ServerOption{chaintest.WithNetworkParams(devnet)}, []string{"--network", "mainnet"}, "network:mainnet", exitOK},
		{"unknown flag", nil, []string{"--network", "moonnet"}, "", exitBadArgs},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := chaintest.NewServer(src, "", c.opts...)
			defer srv.Close()
			t.Setenv("FULLNODE_API_INFO", srv.APIInfo().String())
			out := filepath.Join(t.TempDir(), "m.json")
			args := append([]string{"extract", "--cid", msgs[0].Cid.String(), "-o", out}, c.flags...)
			code, _, errs := runExtractCLI(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, errs)
			}
			if code != exitOK {
				if !strings.Contains(errs, "moonnet") || !strings.Contains(errs, "calibrationnet") {
					t.Errorf("error does not name the network and the known ones: %s", errs)
				}
				return
			}
			// Addresses print as the network's nodes print them.
			wantPrefix := "f"
			if c.record == "network:calibrationnet" {
				wantPrefix = "t"
			}
			if got := msgs[0].Message.From.String(); !strings.HasPrefix(got, wantPrefix) {
				t.Errorf("addresses print as %s, want the %s prefix", got, wantPrefix)
			}
			v, err := schema.LoadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range v.Meta.Gen {
				if strings.HasPrefix(g.Source, "network:") {
					got = append(got, g.Source)
				}
			}
			if want := c.record; (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
				t.Errorf("_meta.gen network records %v, want %q", got, want)
			}
		})
	}
}
