package fvm

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/proof"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// decodeWindowPoStInfo reads the window PoSt verify_post is asked to
// check: [randomness, [proof...], [sector...], prover]. A dispute can
// challenge more sectors than the generic CBOR decoders allow in one list
// (8192), so the lists are bounded by the input's size instead (every
// entry takes at least one byte).
func decodeWindowPoStInfo(raw []byte) (proof.WindowPoStVerifyInfo, error) {
	var info proof.WindowPoStVerifyInfo
	r := bytes.NewReader(raw)
	cr := cbg.NewCborReader(r)
	list := func(what string) (int, error) {
		maj, n, err := cr.ReadHeader()
		switch {
		case err != nil:
			return 0, fmt.Errorf("%s: %w", what, err)
		case maj != cbg.MajArray:
			return 0, fmt.Errorf("%s: CBOR major type %d, want an array", what, maj)
		case n > uint64(r.Len()):
			return 0, fmt.Errorf("%s: %d entries in %d bytes", what, n, r.Len())
		}
		return int(n), nil
	}
	if n, err := list("window post info"); err != nil {
		return info, err
	} else if n != 4 {
		return info, fmt.Errorf("window post info: %d fields, want 4", n)
	}
	rnd, err := cbg.ReadByteArray(cr, 1<<10)
	if err != nil {
		return info, fmt.Errorf("randomness: %w", err)
	}
	info.Randomness = abi.PoStRandomness(rnd)
	n, err := list("proofs")
	if err != nil {
		return info, err
	}
	info.Proofs = make([]proof.PoStProof, n)
	for i := range info.Proofs {
		if err := info.Proofs[i].UnmarshalCBOR(cr); err != nil {
			return info, fmt.Errorf("proof %d: %w", i, err)
		}
	}
	if n, err = list("challenged sectors"); err != nil {
		return info, err
	}
	info.ChallengedSectors = make([]proof.SectorInfo, n)
	for i := range info.ChallengedSectors {
		if err := info.ChallengedSectors[i].UnmarshalCBOR(cr); err != nil {
			return info, fmt.Errorf("challenged sector %d: %w", i, err)
		}
	}
	maj, prover, err := cr.ReadHeader()
	if err != nil || maj != cbg.MajUnsignedInt {
		return info, errors.Join(errors.New("prover: want an unsigned integer"), err)
	}
	info.Prover = abi.ActorID(prover)
	if r.Len() != 0 {
		return info, fmt.Errorf("window post info: %d trailing bytes", r.Len())
	}
	return info, nil
}
