package syscalls

import (
	"fmt"
	"sync/atomic"

	"github.com/filecoin-project/go-address"
	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/ipfs/go-cid"
)

// ProofVerifier verifies the SNARK proofs actors submit. The proof types are
// go-state-types/proof, which every specs-actors version (v0.9 through v7)
// aliases. A nil error means the proof is valid. BatchVerifySeals reports
// per-seal results (false for an invalid seal) and fails only as a whole.
type ProofVerifier interface {
	VerifySeal(info proof.SealVerifyInfo) error
	BatchVerifySeals(infos map[address.Address][]proof.SealVerifyInfo) (map[address.Address][]bool, error)
	VerifyAggregateSeals(agg proof.AggregateSealVerifyProofAndInfos) error
	VerifyWindowPoSt(info proof.WindowPoStVerifyInfo) error
	VerifyWinningPoSt(info proof.WinningPoStVerifyInfo) error
	VerifyReplicaUpdate(info proof.ReplicaUpdateInfo) error
}

// knownAggregationProofs are the aggregation schemes the pre-FVM network
// accepts (SnarkPack v1 only, from network version 13).
var knownAggregationProofs = map[abi.RegisteredAggregationProof]bool{
	abi.RegisteredAggregationProof_SnarkPackV1: true,
}

// DefaultVerifier is the ProofVerifier tvx uses when no SNARK verifier is
// configured. Test vectors carry proofs but not the multi-gigabyte verifying
// keys, so it cannot check a proof's mathematics. Instead it rejects what
// the real verifier would reject before any pairing (unknown proof types,
// proof lengths that cannot belong to the type, malformed commitment CIDs,
// empty inputs) and accepts everything else BY POLICY.
//
// Every acceptance by policy increments a counter (AssumedValid), so a run's
// report can say whether its result depended on this policy: a vector whose
// chain rejected a well-formed but invalid proof will diverge here. The zero
// value is ready to use; use it through a pointer and do not copy it. One
// verifier per run keeps counts separate; it is safe for concurrent use.
type DefaultVerifier struct {
	assumed atomic.Int64
}

var _ ProofVerifier = (*DefaultVerifier)(nil)

// NewDefaultVerifier returns a verifier with a zero count.
func NewDefaultVerifier() *DefaultVerifier { return new(DefaultVerifier) }

// AssumedValid returns how many proofs this verifier has accepted by policy.
// A batch counts each accepted seal; an aggregate counts once.
func (v *DefaultVerifier) AssumedValid() int64 { return v.assumed.Load() }

func (v *DefaultVerifier) accept() error {
	v.assumed.Add(1)
	return nil
}

// VerifySeal checks a PoRep is well formed and accepts it by policy.
func (v *DefaultVerifier) VerifySeal(info proof.SealVerifyInfo) error {
	if err := checkSeal(info); err != nil {
		return fmt.Errorf("seal proof of sector %d of miner f0%d: %w", info.SectorID.Number, info.SectorID.Miner, err)
	}
	return v.accept()
}

// BatchVerifySeals runs VerifySeal on every seal; a malformed seal yields
// false in its slot (with the rest of the batch unaffected), never an error.
func (v *DefaultVerifier) BatchVerifySeals(infos map[address.Address][]proof.SealVerifyInfo) (map[address.Address][]bool, error) {
	out := make(map[address.Address][]bool, len(infos))
	for miner, seals := range infos {
		res := make([]bool, len(seals))
		for i := range seals {
			res[i] = v.VerifySeal(seals[i]) == nil
		}
		out[miner] = res
	}
	return out, nil
}

// VerifyAggregateSeals checks an aggregated PoRep is well formed and accepts
// it by policy.
func (v *DefaultVerifier) VerifyAggregateSeals(agg proof.AggregateSealVerifyProofAndInfos) error {
	if _, ok := abi.SealProofInfos[agg.SealProof]; !ok {
		return fmt.Errorf("aggregate seal proof: unknown seal proof type %d", agg.SealProof)
	}
	if !knownAggregationProofs[agg.AggregateProof] {
		return fmt.Errorf("aggregate seal proof: unknown aggregation proof type %d", agg.AggregateProof)
	}
	if len(agg.Infos) == 0 {
		return fmt.Errorf("aggregate seal proof: no sectors")
	}
	if len(agg.Proof) == 0 {
		return fmt.Errorf("aggregate seal proof: empty proof")
	}
	for i, info := range agg.Infos {
		if err := checkCommitments(info.SealedCID, info.UnsealedCID); err != nil {
			return fmt.Errorf("aggregate seal proof: sector %d (entry %d): %w", info.Number, i, err)
		}
	}
	return v.accept()
}

// VerifyWindowPoSt checks a Window PoSt is well formed and accepts it by
// policy.
func (v *DefaultVerifier) VerifyWindowPoSt(info proof.WindowPoStVerifyInfo) error {
	if err := checkPoSt(info.Proofs, info.ChallengedSectors, false); err != nil {
		return fmt.Errorf("window post of miner f0%d: %w", info.Prover, err)
	}
	return v.accept()
}

// VerifyWinningPoSt checks a Winning PoSt is well formed and accepts it by
// policy.
func (v *DefaultVerifier) VerifyWinningPoSt(info proof.WinningPoStVerifyInfo) error {
	if err := checkPoSt(info.Proofs, info.ChallengedSectors, true); err != nil {
		return fmt.Errorf("winning post of miner f0%d: %w", info.Prover, err)
	}
	return v.accept()
}

// VerifyReplicaUpdate checks a replica-update (snap deal) proof is well
// formed and accepts it by policy.
func (v *DefaultVerifier) VerifyReplicaUpdate(info proof.ReplicaUpdateInfo) error {
	if !sealProofsInclude(func(spi *abi.SealProofInfo) bool { return spi.UpdateProof == info.UpdateProofType }) {
		return fmt.Errorf("replica update: unknown update proof type %d", info.UpdateProofType)
	}
	if len(info.Proof) == 0 {
		return fmt.Errorf("replica update: empty proof")
	}
	if _, err := commcid.CIDToReplicaCommitmentV1(info.OldSealedSectorCID); err != nil {
		return fmt.Errorf("replica update: old sealed cid: %w", err)
	}
	if err := checkCommitments(info.NewSealedSectorCID, info.NewUnsealedSectorCID); err != nil {
		return fmt.Errorf("replica update: new sector: %w", err)
	}
	return v.accept()
}

func checkSeal(info proof.SealVerifyInfo) error {
	spi, ok := abi.SealProofInfos[info.SealProof]
	if !ok {
		return fmt.Errorf("unknown seal proof type %d", info.SealProof)
	}
	if uint64(len(info.Proof)) != spi.ProofSize {
		return fmt.Errorf("proof is %d bytes, seal proof type %d has %d", len(info.Proof), info.SealProof, spi.ProofSize)
	}
	return checkCommitments(info.SealedCID, info.UnsealedCID)
}

func checkCommitments(sealed, unsealed cid.Cid) error {
	if _, err := commcid.CIDToReplicaCommitmentV1(sealed); err != nil {
		return fmt.Errorf("sealed cid (CommR): %w", err)
	}
	if _, err := commcid.CIDToDataCommitmentV1(unsealed); err != nil {
		return fmt.Errorf("unsealed cid (CommD): %w", err)
	}
	return nil
}

// checkPoSt checks the shape of a PoSt: at least one proof (one per PoSt
// type among the sectors), each of a known type of the right kind whose
// bytes are a whole, non-zero number of per-partition proofs, and challenged
// sectors whose seal type maps to one of the proofs' types.
func checkPoSt(proofs []proof.PoStProof, sectors []proof.SectorInfo, winning bool) error {
	if len(proofs) == 0 {
		return fmt.Errorf("no proofs")
	}
	if len(sectors) == 0 {
		return fmt.Errorf("no challenged sectors")
	}
	kind := "window"
	if winning {
		kind = "winning"
	}
	types := make(map[abi.RegisteredPoStProof]bool, len(proofs))
	for i, p := range proofs {
		types[p.PoStProof] = true
		ppi, ok := abi.PoStProofInfos[p.PoStProof]
		if !ok {
			return fmt.Errorf("proof %d: unknown post proof type %d", i, p.PoStProof)
		}
		if isWinningPoSt(p.PoStProof) != winning {
			return fmt.Errorf("proof %d: post proof type %d is not a %s post type", i, p.PoStProof, kind)
		}
		if n := uint64(len(p.ProofBytes)); n == 0 || n%ppi.ProofSize != 0 {
			return fmt.Errorf("proof %d: %d bytes is not a whole number of %d-byte partition proofs", i, n, ppi.ProofSize)
		}
		if winning && uint64(len(p.ProofBytes)) != ppi.ProofSize {
			return fmt.Errorf("proof %d: winning post is %d bytes, want %d", i, len(p.ProofBytes), ppi.ProofSize)
		}
	}
	for i, s := range sectors {
		spi, ok := abi.SealProofInfos[s.SealProof]
		if !ok {
			return fmt.Errorf("challenged sector %d (entry %d): unknown seal proof type %d", s.SectorNumber, i, s.SealProof)
		}
		want := spi.WindowPoStProof
		if winning {
			want = spi.WinningPoStProof
		}
		if !types[want] {
			return fmt.Errorf("challenged sector %d (entry %d): seal proof type %d needs a post of type %d, none submitted", s.SectorNumber, i, s.SealProof, want)
		}
		if _, err := commcid.CIDToReplicaCommitmentV1(s.SealedCID); err != nil {
			return fmt.Errorf("challenged sector %d (entry %d): sealed cid: %w", s.SectorNumber, i, err)
		}
	}
	return nil
}

// isWinningPoSt and the update-proof check derive proof kinds from the
// go-state-types seal proof table rather than restating type ranges.
func isWinningPoSt(p abi.RegisteredPoStProof) bool {
	return sealProofsInclude(func(spi *abi.SealProofInfo) bool { return spi.WinningPoStProof == p })
}

func sealProofsInclude(match func(*abi.SealProofInfo) bool) bool {
	for _, spi := range abi.SealProofInfos {
		if match(spi) {
			return true
		}
	}
	return false
}
