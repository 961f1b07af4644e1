// Package actorpolicy runs the Go actors under a network's actor policy.
//
// specs-actors keeps the policy that differs between networks (the seal
// and Window PoSt proof types a miner may use, the consensus minimum miner
// power, the pre-commit challenge delay) in package-level variables, read
// by actor code while it runs. Lotus sets them once per process, because
// a node is on one network. tvx may replay vectors of different networks
// at once, so it cannot: instead every run holds the gate (Hold) for its
// network's policy. Runs of one policy share the gate and run
// concurrently; a run of another policy waits until they have finished,
// then the gate rewrites the variables and lets it (and every other run
// of that policy) in. The writes and the actors' reads are ordered by the
// gate's lock, so this is safe under the race detector, and the variables
// are always exactly one network's policy while any run reads them.
//
// The gate is the one piece of process-wide state in tvx's VM, and it
// exists only to guard the state specs-actors already has; the policy
// itself is passed in by the caller, from the networks table.
package actorpolicy

import (
	"reflect"
	"sync"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	power0 "github.com/filecoin-project/specs-actors/actors/builtin/power"
	builtin2 "github.com/filecoin-project/specs-actors/v2/actors/builtin"
	miner2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/miner"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	miner3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/miner"
	builtin4 "github.com/filecoin-project/specs-actors/v4/actors/builtin"
	miner4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/miner"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	miner5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/miner"
	builtin6 "github.com/filecoin-project/specs-actors/v6/actors/builtin"
	miner6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/miner"
	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	miner7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/miner"

	"github.com/tvx-project/tvx/networks"
)

// gate guards specs-actors' policy variables: see the package comment.
var gate = struct {
	mu       sync.Mutex
	changed  *sync.Cond
	holders  int
	current  *networks.Policy // nil: specs-actors' own defaults, untouched
	pristine *defaults
}{}

func init() { gate.changed = sync.NewCond(&gate.mu) }

// Hold waits until the actors' policy variables hold p and keeps them so
// until release is called. Every replay on the Go actors holds it for its
// whole run. A nil p means mainnet's policy, specs-actors' defaults.
func Hold(p *networks.Policy) (release func()) {
	gate.mu.Lock()
	for !same(gate.current, p) && gate.holders > 0 {
		gate.changed.Wait()
	}
	if !same(gate.current, p) {
		if gate.pristine == nil {
			gate.pristine = snapshot()
		}
		gate.pristine.restore()
		if p != nil {
			apply(*p)
			cp := *p
			gate.current = &cp
		} else {
			gate.current = nil
		}
	}
	gate.holders++
	gate.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			gate.mu.Lock()
			gate.holders--
			if gate.holders == 0 {
				gate.changed.Broadcast()
			}
			gate.mu.Unlock()
		})
	}
}

func same(a, b *networks.Policy) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return reflect.DeepEqual(*a, *b)
}

type sealSet = map[abi.RegisteredSealProof]struct{}
type postSet = map[abi.RegisteredPoStProof]struct{}

// defaults is a copy of every variable apply writes, as specs-actors
// initialised them.
type defaults struct {
	seal     map[*sealSet]sealSet
	post     map[*postSet]postSet
	delays   map[*abi.ChainEpoch]abi.ChainEpoch
	minPower map[*abi.StoragePower]abi.StoragePower
}

func sealSets() []*sealSet {
	return []*sealSet{&miner0.SupportedProofTypes,
		&miner2.PreCommitSealProofTypesV0, &miner2.PreCommitSealProofTypesV7, &miner2.PreCommitSealProofTypesV8,
		&miner3.PreCommitSealProofTypesV0, &miner3.PreCommitSealProofTypesV7, &miner3.PreCommitSealProofTypesV8,
		&miner4.PreCommitSealProofTypesV0, &miner4.PreCommitSealProofTypesV7, &miner4.PreCommitSealProofTypesV8,
		&miner5.PreCommitSealProofTypesV8, &miner6.PreCommitSealProofTypesV8, &miner7.PreCommitSealProofTypesV8}
}

func postSets() []*postSet {
	return []*postSet{&miner5.WindowPoStProofTypes, &miner6.WindowPoStProofTypes, &miner7.WindowPoStProofTypes}
}

func delays() []*abi.ChainEpoch {
	return []*abi.ChainEpoch{&miner0.PreCommitChallengeDelay, &miner2.PreCommitChallengeDelay, &miner3.PreCommitChallengeDelay,
		&miner4.PreCommitChallengeDelay, &miner5.PreCommitChallengeDelay, &miner6.PreCommitChallengeDelay, &miner7.PreCommitChallengeDelay}
}

func minPowers() []*abi.StoragePower {
	out := []*abi.StoragePower{&power0.ConsensusMinerMinPower}
	for _, p := range builtin2.SealProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	for _, p := range builtin3.PoStProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	for _, p := range builtin4.PoStProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	for _, p := range builtin5.PoStProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	for _, p := range builtin6.PoStProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	for _, p := range builtin7.PoStProofPolicies {
		out = append(out, &p.ConsensusMinerMinPower)
	}
	return out
}

func snapshot() *defaults {
	d := &defaults{seal: map[*sealSet]sealSet{}, post: map[*postSet]postSet{},
		delays: map[*abi.ChainEpoch]abi.ChainEpoch{}, minPower: map[*abi.StoragePower]abi.StoragePower{}}
	for _, s := range sealSets() {
		d.seal[s] = copySet(*s)
	}
	for _, s := range postSets() {
		d.post[s] = copySet(*s)
	}
	for _, e := range delays() {
		d.delays[e] = *e
	}
	for _, p := range minPowers() {
		d.minPower[p] = (*p).Copy()
	}
	return d
}

func (d *defaults) restore() {
	for s, v := range d.seal {
		*s = copySet(v)
	}
	for s, v := range d.post {
		*s = copySet(v)
	}
	for e, v := range d.delays {
		*e = v
	}
	for p, v := range d.minPower {
		*p = v.Copy()
	}
}

func copySet[K comparable](m map[K]struct{}) map[K]struct{} {
	out := make(map[K]struct{}, len(m))
	for k := range m {
		out[k] = struct{}{}
	}
	return out
}

// apply writes a network's policy as a node built for that network sets
// it (Lotus's chain/actors/policy, v1.15.3): the seal proof sets hold the
// network's V1 proofs (and from the V7 sets on their V1_1 forms, the V8
// sets only those), the Window PoSt sets gain the proofs' PoSt types, and
// one minimum power and challenge delay apply to every version.
func apply(p networks.Policy) {
	for _, s := range sealSets() {
		*s = sealSet{}
	}
	v0 := []*sealSet{&miner0.SupportedProofTypes, &miner2.PreCommitSealProofTypesV0, &miner3.PreCommitSealProofTypesV0, &miner4.PreCommitSealProofTypesV0}
	v7 := []*sealSet{&miner2.PreCommitSealProofTypesV7, &miner3.PreCommitSealProofTypesV7, &miner4.PreCommitSealProofTypesV7}
	v8 := []*sealSet{&miner2.PreCommitSealProofTypesV8, &miner3.PreCommitSealProofTypesV8, &miner4.PreCommitSealProofTypesV8,
		&miner5.PreCommitSealProofTypesV8, &miner6.PreCommitSealProofTypesV8, &miner7.PreCommitSealProofTypesV8}
	for _, sp := range p.SupportedSealProofs {
		v11 := sp + abi.RegisteredSealProof_StackedDrg2KiBV1_1
		for _, s := range v0 {
			(*s)[sp] = struct{}{}
		}
		for _, s := range v7 {
			(*s)[sp] = struct{}{}
			(*s)[v11] = struct{}{}
		}
		for _, s := range v8 {
			(*s)[v11] = struct{}{}
		}
		if wpp, err := sp.RegisteredWindowPoStProof(); err == nil {
			for _, s := range postSets() {
				(*s)[wpp] = struct{}{}
			}
		}
	}
	for _, e := range delays() {
		*e = p.PreCommitChallengeDelay
	}
	for _, mp := range minPowers() {
		*mp = big.NewInt(p.ConsensusMinerMinPower)
	}
}
