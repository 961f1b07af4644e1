package syscalls

import (
	"bytes"
	"sync"
	"testing"

	"github.com/filecoin-project/go-address"
	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/filecoin-project/specs-actors/actors/builtin"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	"github.com/ipfs/go-cid"
)

func TestDefaultVerifierAcceptsCorpusSeals(t *testing.T) {
	seals, _ := queuedSeals(t)
	if len(seals) == 0 {
		t.Fatal("no corpus seals")
	}
	v := NewDefaultVerifier()
	for _, s := range seals {
		if err := v.VerifySeal(s.info); err != nil {
			t.Errorf("%s: sector %d: %v", s.vector, s.info.SectorID.Number, err)
		}
	}
	if got := v.AssumedValid(); got != int64(len(seals)) {
		t.Fatalf("AssumedValid %d after %d seals", got, len(seals))
	}

	// The same seals with one defect each are refused and not counted.
	good := seals[0].info
	mutations := map[string]func(*proof.SealVerifyInfo){
		"unknown seal type": func(i *proof.SealVerifyInfo) { i.SealProof = 42 },
		"short proof":       func(i *proof.SealVerifyInfo) { i.Proof = i.Proof[:len(i.Proof)-1] },
		"empty proof":       func(i *proof.SealVerifyInfo) { i.Proof = nil },
		"2KiB-sized proof":  func(i *proof.SealVerifyInfo) { i.Proof = i.Proof[:192] },
		"CommD as CommR":    func(i *proof.SealVerifyInfo) { i.SealedCID = i.UnsealedCID },
		"CommR as CommD":    func(i *proof.SealVerifyInfo) { i.UnsealedCID = i.SealedCID },
		"undefined CommD":   func(i *proof.SealVerifyInfo) { i.UnsealedCID = cid.Undef },
	}
	for name, mutate := range mutations {
		info := good
		mutate(&info)
		if err := v.VerifySeal(info); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := v.AssumedValid(); got != int64(len(seals)) {
		t.Fatalf("rejections were counted: AssumedValid %d", got)
	}

	// A batch reports per seal and counts only the accepted ones.
	bad := good
	bad.Proof = nil
	m, _ := address.NewIDAddress(uint64(good.SectorID.Miner))
	res, err := v.BatchVerifySeals(map[address.Address][]proof.SealVerifyInfo{m: {good, bad, good}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[m]; len(r) != 3 || !r[0] || r[1] || !r[2] {
		t.Fatalf("batch results %v", res)
	}
	if got := v.AssumedValid(); got != int64(len(seals))+2 {
		t.Fatalf("AssumedValid %d after batch", got)
	}
}

// TestDefaultVerifierAcceptsCorpusWindowPoSts feeds the proofs miners
// submitted in the corpus's successful SubmitWindowedPoSt messages. The challenged
// sectors are not in the message, so one synthetic sector of the matching
// seal type stands in for them.
func TestDefaultVerifierAcceptsCorpusWindowPoSts(t *testing.T) {
	commR, err := commcid.ReplicaCommitmentV1ToCID(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealFor := map[abi.RegisteredPoStProof]abi.RegisteredSealProof{}
	for sp, info := range abi.SealProofInfos {
		if cur, ok := sealFor[info.WindowPoStProof]; !ok || sp < cur {
			sealFor[info.WindowPoStProof] = sp
		}
	}
	v := NewDefaultVerifier()
	n := 0
	for _, vec := range loadVectors(t, "/SubmitWindowedPoSt/Ok/") {
		for _, raw := range vec.ApplyMessages {
			m := decodeMessage(t, raw.Bytes)
			if m.Method != uint64(builtin.MethodsMiner.SubmitWindowedPoSt) {
				continue
			}
			var params miner0.SubmitWindowedPoStParams
			if err := params.UnmarshalCBOR(bytes.NewReader(m.Params)); err != nil {
				t.Fatalf("%s: params: %v", vec.name(), err)
			}
			info := proof.WindowPoStVerifyInfo{Proofs: params.Proofs, Prover: 1000}
			for _, p := range params.Proofs {
				info.ChallengedSectors = append(info.ChallengedSectors, proof.SectorInfo{SealProof: sealFor[p.PoStProof], SectorNumber: 1, SealedCID: commR})
			}
			if err := v.VerifyWindowPoSt(info); err != nil {
				t.Errorf("%s: %v", vec.name(), err)
			}
			n++
			// The same proof as a winning PoSt, or cut short, is refused.
			if err := v.VerifyWinningPoSt(proof.WinningPoStVerifyInfo{Proofs: info.Proofs, ChallengedSectors: info.ChallengedSectors}); err == nil {
				t.Errorf("%s: window proof accepted as winning", vec.name())
			}
			short := append([]proof.PoStProof(nil), info.Proofs...)
			short[0].ProofBytes = short[0].ProofBytes[:len(short[0].ProofBytes)-1]
			if err := v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{Proofs: short, ChallengedSectors: info.ChallengedSectors}); err == nil {
				t.Errorf("%s: truncated proof accepted", vec.name())
			}
		}
	}
	if n == 0 {
		t.Fatal("no SubmitWindowedPoSt messages")
	}
	if got := v.AssumedValid(); got != int64(n) {
		t.Fatalf("AssumedValid %d after %d window posts", got, n)
	}
	t.Logf("accepted %d corpus window PoSts by policy", n)
}

func TestDefaultVerifierShapes(t *testing.T) {
	commR, _ := commcid.ReplicaCommitmentV1ToCID(bytes.Repeat([]byte{2}, 32))
	commD, _ := commcid.DataCommitmentV1ToCID(bytes.Repeat([]byte{3}, 32))
	sector := proof.SectorInfo{SealProof: abi.RegisteredSealProof_StackedDrg32GiBV1_1, SectorNumber: 7, SealedCID: commR}
	winning := proof.PoStProof{PoStProof: abi.RegisteredPoStProof_StackedDrgWinning32GiBV1, ProofBytes: make([]byte, 192)}
	window := proof.PoStProof{PoStProof: abi.RegisteredPoStProof_StackedDrgWindow32GiBV1, ProofBytes: make([]byte, 3*192)}
	v := NewDefaultVerifier()

	accept := map[string]error{
		"winning post": v.VerifyWinningPoSt(proof.WinningPoStVerifyInfo{Proofs: []proof.PoStProof{winning}, ChallengedSectors: []proof.SectorInfo{sector}}),
		"window post":  v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{Proofs: []proof.PoStProof{window}, ChallengedSectors: []proof.SectorInfo{sector}}),
		"aggregate": v.VerifyAggregateSeals(proof.AggregateSealVerifyProofAndInfos{
			SealProof: abi.RegisteredSealProof_StackedDrg32GiBV1_1, AggregateProof: abi.RegisteredAggregationProof_SnarkPackV1, Proof: []byte{1},
			Infos: []proof.AggregateSealVerifyInfo{{Number: 1, SealedCID: commR, UnsealedCID: commD}},
		}),
		"replica update": v.VerifyReplicaUpdate(proof.ReplicaUpdateInfo{
			UpdateProofType: abi.RegisteredUpdateProof_StackedDrg32GiBV1, OldSealedSectorCID: commR, NewSealedSectorCID: commR, NewUnsealedSectorCID: commD, Proof: []byte{1},
		}),
	}
	for name, err := range accept {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := v.AssumedValid(); got != int64(len(accept)) {
		t.Fatalf("AssumedValid %d, want %d", got, len(accept))
	}

	sector64 := sector
	sector64.SealProof = abi.RegisteredSealProof_StackedDrg64GiBV1
	reject := map[string]error{
		"winning: two partitions":   v.VerifyWinningPoSt(proof.WinningPoStVerifyInfo{Proofs: []proof.PoStProof{{PoStProof: winning.PoStProof, ProofBytes: make([]byte, 384)}}, ChallengedSectors: []proof.SectorInfo{sector}}),
		"winning: no sectors":       v.VerifyWinningPoSt(proof.WinningPoStVerifyInfo{Proofs: []proof.PoStProof{winning}}),
		"window: no proofs":         v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{ChallengedSectors: []proof.SectorInfo{sector}}),
		"window: unknown type":      v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{Proofs: []proof.PoStProof{{PoStProof: 77, ProofBytes: make([]byte, 192)}}, ChallengedSectors: []proof.SectorInfo{sector}}),
		"window: sector size mixup": v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{Proofs: []proof.PoStProof{window}, ChallengedSectors: []proof.SectorInfo{sector64}}),
		"window: bad commR":         v.VerifyWindowPoSt(proof.WindowPoStVerifyInfo{Proofs: []proof.PoStProof{window}, ChallengedSectors: []proof.SectorInfo{{SealProof: sector.SealProof, SealedCID: commD}}}),
		"aggregate: snarkpack v2": v.VerifyAggregateSeals(proof.AggregateSealVerifyProofAndInfos{
			SealProof: abi.RegisteredSealProof_StackedDrg32GiBV1_1, AggregateProof: abi.RegisteredAggregationProof_SnarkPackV2, Proof: []byte{1},
			Infos: []proof.AggregateSealVerifyInfo{{SealedCID: commR, UnsealedCID: commD}},
		}),
		"aggregate: no sectors": v.VerifyAggregateSeals(proof.AggregateSealVerifyProofAndInfos{
			SealProof: abi.RegisteredSealProof_StackedDrg32GiBV1_1, AggregateProof: abi.RegisteredAggregationProof_SnarkPackV1, Proof: []byte{1},
		}),
		"replica update: unknown type": v.VerifyReplicaUpdate(proof.ReplicaUpdateInfo{
			UpdateProofType: 9, OldSealedSectorCID: commR, NewSealedSectorCID: commR, NewUnsealedSectorCID: commD, Proof: []byte{1},
		}),
		"replica update: empty proof": v.VerifyReplicaUpdate(proof.ReplicaUpdateInfo{
			UpdateProofType: abi.RegisteredUpdateProof_StackedDrg32GiBV1, OldSealedSectorCID: commR, NewSealedSectorCID: commR, NewUnsealedSectorCID: commD,
		}),
	}
	for name, err := range reject {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := v.AssumedValid(); got != int64(len(accept)) {
		t.Fatalf("rejections counted: AssumedValid %d", got)
	}
}

// TestDefaultVerifierCountsConcurrently checks that the count is exact under
// concurrent use and private to each verifier; run with -race.
func TestDefaultVerifierCountsConcurrently(t *testing.T) {
	commR, _ := commcid.ReplicaCommitmentV1ToCID(bytes.Repeat([]byte{4}, 32))
	commD, _ := commcid.DataCommitmentV1ToCID(bytes.Repeat([]byte{5}, 32))
	seal := proof.SealVerifyInfo{SealProof: abi.RegisteredSealProof_StackedDrg2KiBV1, Proof: make([]byte, 192), SealedCID: commR, UnsealedCID: commD}
	a, b := NewDefaultVerifier(), NewDefaultVerifier()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				if err := a.VerifySeal(seal); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if a.AssumedValid() != 2000 || b.AssumedValid() != 0 {
		t.Fatalf("counts %d and %d, want 2000 and 0", a.AssumedValid(), b.AssumedValid())
	}
}
