package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// The vectors committed under corpus/extracted-tvx regenerate byte for
// byte from the public corpus (see their README).
func TestCommittedExtractionsDoNotDrift(t *testing.T) {
	shared := testcorpus.Shared(t)
	dir := filepath.Join(testcorpus.RepoRoot(t), "corpus", "extracted-tvx")
	ctx := context.Background()
	source := func(name string, opts ...chain.Option) (*chainbuild.Chain, *chain.CARSource) {
		v, err := schema.LoadFile(filepath.Join(shared, name))
		if err != nil {
			t.Fatal(err)
		}
		b, car := buildCAR(t, v)
		return b, openCAR(t, car, opts...)
	}
	compare := func(file string, v *schema.Vector) {
		t.Helper()
		want, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := schema.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s drifted:\n%s", file, firstDiff(want, got))
		}
	}

	smoke, src := source("msg_application/gas_cost--msg-ok-secp-bls-gas-costs--smoke.json")
	ts, err := New(src, WithTempDir(t.TempDir())).Tipsets(ctx, TipsetRequest{Tipsets: smoke.Tipsets, Squash: true, ID: "tvx-smoke-gas-costs-tipset-51001"})
	if err != nil {
		t.Fatal(err)
	}
	compare("tipset/tvx-smoke-gas-costs-tipset-51001.json", ts[0].Vector)

	_, src = source("msg_application/gas_cost--msg-ok-secp-bls-gas-costs--smoke.json", chain.WithCirculatingSupply(big.Zero()))
	e := New(src, WithTempDir(t.TempDir()))
	cands, err := e.ScanUnique(ctx, smoke.Tipsets)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, r := range e.Many(ctx, cands, out, "0001", RetainAccessedCids) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		v, err := schema.LoadFile(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(out, r.Path)
		compare(filepath.Join("message", rel), v)
	}

	_, src = source("reward/penalties--not-penalized-insufficient-gas-for-return--genesis.json", chain.WithCirculatingSupply(big.Zero()))
	mc, _ := cid.Decode("bafy2bzacebvuihcg7e53g4gppuqxgq7qdfuqlkey5extnvbpgfyfdejfuakva")
	id := "tvx-genesis-miner-controladdresses-outofgas-masked"
	res, err := New(src, WithTempDir(t.TempDir())).Message(ctx, MessageRequest{Message: mc, Retain: RetainAccessedActors, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	compare("message/fil_1_storageminer/ControlAddresses/SysErrOutOfGas/"+id+".json", res.Vector)
}
