package driver

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tvx-project/tvx/schema"

	"github.com/tvx-project/tvx/internal/testcorpus"
)

// sharedCorpus is the public corpus beside the repository; tests skip
// without it.
func sharedCorpus(t testing.TB) string { return testcorpus.Shared(t) }

// negatedStillMatching lists the negated vectors (every variant) whose
// postconditions the VM still reproduces, and why no correct rule can make
// them differ without breaking real chain data or correct vectors.
var negatedStillMatching = map[string]string{
	"actor_creation/x--params--fails-unparsable-init-actor-exec-msg--genesis.json":                "params decode exit 1 before nv7 is what mainnet recorded (extracted/0004-coverage-boost/fil_1_storageminer/SubmitWindowedPoSt/SysErrSenderInvalid/*)",
	"actor_creation/x--params--fails-unparsable-init-actor-exec-msg--actorsv2.json":               "params decode exit 1 before nv7 is what mainnet recorded (extracted/0004-coverage-boost/fil_1_storageminer/SubmitWindowedPoSt/SysErrSenderInvalid/*)",
	"actor_creation/x--params--fails-unparsable-constructor-params-via-init-actor--actorsv2.json": "the init actor (v2) refuses the v0 payment channel code with ErrForbidden before any parameters are decoded",
	"nested/x--nested_sends--fail-mismatch-params--genesis.json":                                  "params decode exit code stays network-exact before nv7",
	"nested/x--nested_sends--fail-mismatch-params--actorsv2.json":                                 "params decode exit code stays network-exact before nv7",
	"nested/x--nested_sends--fail-missing-params--genesis.json":                                   "params decode exit code stays network-exact before nv7",
	"nested/x--nested_sends--fail-missing-params--actorsv2.json":                                  "params decode exit code stays network-exact before nv7",
	"vm_violations/x--actor_abort--system-exit-code-9--genesis.json":                              "the correct outcome, SysErrorIllegalActor (9), is the recorded one",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--actorsv2.json":             "the recorded Receiver is already the ID address (resolved from nv4)",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--liftoff.json":              "the recorded Receiver is already the ID address (resolved from nv4)",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--genesis.json":              "resolving the receiver before nv4 breaks paych/paych--update-ok--genesis and paych--collect-ok (v0.9 paych checks vouchers against Receiver)",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--breeze.json":               "resolving the receiver before nv4 breaks paych/paych--update-ok--genesis and paych--collect-ok (v0.9 paych checks vouchers against Receiver)",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--smoke.json":                "resolving the receiver before nv4 breaks paych/paych--update-ok--genesis and paych--collect-ok (v0.9 paych checks vouchers against Receiver)",
	"vm_violations/x--runtime_inspections--receiver-always-id-address--ignition.json":             "resolving the receiver before nv4 breaks paych/paych--update-ok--genesis and paych--collect-ok (v0.9 paych checks vouchers against Receiver)",
}

// TestMessageCorpus runs every variant of every message-class vector of the
// shared corpus and reports pass counts per suite. Two kinds of failure are
// expected and only logged: the negated vectors of negatedStillMatching, and
// the window PoSt vectors the chain decided by rejecting a proof that the
// default verifier accepts by policy. Any other failure or error fails the
// test, and so does a listed negated vector that stops matching (the list
// must only shrink).
func TestMessageCorpus(t *testing.T) {
	corpusRoot := sharedCorpus(t)
	if testing.Short() {
		t.Skip("corpus run skipped in -short mode")
	}
	paths, err := schema.Walk(corpusRoot)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		suite, name, rel string
		out              Outcome
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 2)
	)
	d := New()
	for _, p := range paths {
		v, err := schema.LoadFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if v.Class != schema.ClassMessage {
			continue
		}
		rel, _ := filepath.Rel(corpusRoot, p)
		suite := strings.SplitN(rel, string(filepath.Separator), 2)[0]
		for _, variant := range v.Pre.Variants {
			wg.Add(1)
			sem <- struct{}{}
			go func(v *schema.Vector, variant schema.Variant, rel, suite string) {
				defer wg.Done()
				defer func() { <-sem }()
				out := d.Run(context.Background(), v, variant)
				mu.Lock()
				results = append(results, result{suite: suite, name: rel + "/" + variant.ID, rel: filepath.ToSlash(rel), out: out})
				mu.Unlock()
			}(v, variant, rel, suite)
		}
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })

	type count struct{ pass, fail, skip, errs int }
	negatedPasses := 0
	counts := map[string]*count{}
	for _, r := range results {
		c := counts[r.suite]
		if c == nil {
			c = &count{}
			counts[r.suite] = c
		}
		switch r.out.Status {
		case Pass:
			c.pass++
			if strings.HasPrefix(r.out.Reason, "negated: ") {
				negatedPasses++
				t.Logf("PASS by negation %s: %s", r.name, r.out.Reason)
				if why, ok := negatedStillMatching[r.rel]; ok {
					t.Errorf("negated %s no longer matches (%s): remove it from negatedStillMatching", r.name, why)
				}
			}
		case Fail:
			c.fail++
			why, listed := negatedStillMatching[r.rel]
			switch {
			case r.out.Reason == "negated vector matched its postconditions" && listed:
				t.Logf("FAIL (negated, still matches: %s) %s", why, r.name)
			case strings.Contains(r.name, "/SubmitWindowedPoSt/16/") && r.out.AssumedProofs > 0:
				t.Logf("FAIL (proof accepted by policy) %s: %s", r.name, r.out.Reason)
			default:
				t.Errorf("FAIL %s: %s\n%s", r.name, r.out.Reason, r.out.Detail)
			}
		case Skip:
			c.skip++
		case Error:
			c.errs++
			t.Errorf("ERROR %s: %s", r.name, r.out.Reason)
		}
	}
	suites := make([]string, 0, len(counts))
	for s := range counts {
		suites = append(suites, s)
	}
	sort.Strings(suites)
	total := count{}
	for _, s := range suites {
		c := counts[s]
		t.Logf("suite %-16s pass %4d  fail %4d  skip %3d  error %3d", s, c.pass, c.fail, c.skip, c.errs)
		total.pass += c.pass
		total.fail += c.fail
		total.skip += c.skip
		total.errs += c.errs
	}
	t.Logf("total            pass %4d  fail %4d  skip %3d  error %3d (passes by negation: %d)", total.pass, total.fail, total.skip, total.errs, negatedPasses)
}
