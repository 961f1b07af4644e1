package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/chain/chaintest/devnetchain"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/actorpolicy"
)

// The acceptance of a devnet: a chain of a network that is not mainnet (2
// KiB sectors, its own upgrade schedule, a mock beacon, network name
// "test"), served by a Lotus-API node, yields PreCommitSector,
// ProveCommitSector and SubmitWindowedPoSt vectors through tvx extract as
// a user runs it against `lotus daemon` (FULLNODE_API_INFO, a read token):
// each passes the extraction's sanity check against the chain, records its
// network with that network's schedule and actor policy, and passes tvx
// exec, which replays it under them (the devnet's genesis price list, as
// its Calico is before genesis; its 2 KiB policy), in process and through
// the executor process protocol. A miner message also extracts with
// --state-retain accessed-actors.
func TestDevnetSectorMessagesExtractAndPass(t *testing.T) {
	c, err := devnetchain.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Server("read.token")
	defer srv.Close()
	t.Setenv("FULLNODE_API_INFO", "read.token:"+srv.Multiaddr())
	dir := t.TempDir()
	type run struct {
		method string
		retain string
	}
	runs := []run{
		{"PreCommitSector", "accessed-cids"}, {"ProveCommitSector", "accessed-cids"}, {"SubmitWindowedPoSt", "accessed-cids"},
		{"PreCommitSector", "accessed-actors"}, {"SubmitWindowedPoSt", "accessed-actors"},
	}
	for _, r := range runs {
		out := filepath.Join(dir, r.method+"-"+r.retain+".json")
		code, _, errs := runExtractCLI(t, "extract", "--cid", c.Messages[r.method].String(), "--state-retain", r.retain, "-o", out)
		if code != exitOK {
			t.Fatalf("%s (%s): extract exit %d\n%s", r.method, r.retain, code, errs)
		}
		v, err := schema.LoadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Network(); got != devnetchain.NetworkName {
			t.Errorf("%s: network %q recorded, want %q", r.method, got, devnetchain.NetworkName)
		}
		if len(v.Post.Receipts) != 1 || v.Post.Receipts[0].ExitCode != 0 {
			t.Errorf("%s: receipts %+v, the chain recorded exit 0", r.method, v.Post.Receipts)
		}
		var policy, sched []string
		for _, g := range v.Meta.Gen {
			if strings.HasPrefix(g.Source, networks.PolicyRecordPrefix) {
				policy = append(policy, g.Source)
			}
			if strings.HasPrefix(g.Source, networks.ScheduleRecordPrefix) {
				sched = append(sched, g.Source)
			}
		}
		if want := devnetchain.Profile().Policy.Record(); len(policy) != 1 || policy[0] != want {
			t.Errorf("%s: policy records %v, want [%s]", r.method, policy, want)
		}
		if len(sched) != 1 || !strings.Contains(sched[0], "genesis=15,") || !strings.Contains(sched[0], "calico=-9") {
			t.Errorf("%s: schedule records %v", r.method, sched)
		}
		if r.method == "ProveCommitSector" && len(v.Randomness) == 0 {
			t.Errorf("%s: no randomness recorded (it draws ticket and beacon randomness)", r.method)
		}
	}
	var out, errw syncBuffer
	app := newApp(strings.NewReader(""), &out, &errw)
	if err := app.Run([]string{"tvx", "exec", dir}); err != nil {
		t.Fatalf("tvx exec: %v\n%s%s", err, out.String(), errw.String())
	}
	if got := strings.Count(out.String(), "PASS"); got < len(runs) {
		t.Fatalf("tvx exec: %d PASS lines for %d vectors\n%s", got, len(runs), out.String())
	}

	// Through the executor process protocol the policy travels with each
	// request: the vectors pass on another process's VM too.
	if code, out, errs := runTvx(t, "", "exec", "--executor", serveCommand(t), dir); code != exitOK || strings.Count(out, "PASS") < len(runs) {
		t.Fatalf("tvx exec --executor 'tvx executor serve': exit %d\n%s%s", code, out, errs)
	}

	// Without its policy record the PreCommitSector vector replays under
	// mainnet's policy, which refuses 2 KiB sectors.
	raw, err := os.ReadFile(filepath.Join(dir, "PreCommitSector-accessed-cids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["_meta"].(map[string]any)
	var kept []any
	for _, g := range meta["gen"].([]any) {
		if !strings.HasPrefix(g.(map[string]any)["source"].(string), networks.PolicyRecordPrefix) {
			kept = append(kept, g)
		}
	}
	meta["gen"] = kept
	if raw, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	stripped := filepath.Join(t.TempDir(), "stripped.json")
	if err := os.WriteFile(stripped, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out = syncBuffer{}
	app = newApp(strings.NewReader(""), &out, &errw)
	if err := app.Run([]string{"tvx", "exec", stripped}); err == nil || !strings.Contains(out.String(), "unsupported seal proof type 5") {
		t.Fatalf("a 2 KiB pre-commit under mainnet's policy: %v\n%s", err, out.String())
	}
}

// tvx chain build holds the policy of the network a vector records: the
// devnet's PreCommitSector tipset, extracted from its node, builds into a
// chain that reproduces the vector (under mainnet's policy the 2 KiB
// pre-commit would fail and the chain would differ).
func TestDevnetTipsetChainBuild(t *testing.T) {
	c, err := devnetchain.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Server("")
	defer srv.Close()
	t.Setenv("FULLNODE_API_INFO", srv.Multiaddr())
	src := c.Source()
	look, err := src.SearchMessage(context.Background(), c.Head.Key(), c.Messages["PreCommitSector"], -1, false)
	if err != nil || look == nil {
		t.Fatalf("PreCommitSector not found: %v", err)
	}
	dir := t.TempDir()
	tv := filepath.Join(dir, "tipset.json")
	h := fmt.Sprint(look.Height - 1)
	if code, _, errs := runExtractCLI(t, "extract", "--class", "tipset", "--height", h, "--out", tv); code != exitOK {
		t.Fatalf("extract tipset %s: exit %d\n%s", h, code, errs)
	}
	car := filepath.Join(dir, "chain.car")
	// Leave the actors' variables at mainnet's policy, as another run
	// would, so the build must set the devnet's itself.
	actorpolicy.Hold(nil)()
	if code, _, errs := runExtractCLI(t, "chain", "build", tv, "--out", car); code != exitOK {
		t.Fatalf("chain build: exit %d\n%s", code, errs)
	}
}
