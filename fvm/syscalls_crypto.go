package fvm

import (
	"bytes"
	"crypto/sha256"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/proof"
	"golang.org/x/crypto/blake2b"
	//lint:ignore SA1019 the FVM offers RIPEMD-160 to actors, so it must compute it
	"golang.org/x/crypto/ripemd160"
	"golang.org/x/crypto/sha3"

	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// cryptoSyscalls are the crypto module's host functions of nv16/nv17.
func cryptoSyscalls() []HostFunction {
	i32, i64 := I32, I64
	return []HostFunction{
		bind("crypto", "verify_signature", 4, []ValueKind{i32, i32, i32, i32, i32, i32, i32}, (*kernel).sysVerifySignature),
		bind("crypto", "hash", 4, []ValueKind{i64, i32, i32, i32, i32}, (*kernel).sysHash),
		bind("crypto", "compute_unsealed_sector_cid", 4, []ValueKind{i64, i32, i32, i32, i32}, (*kernel).sysComputeUnsealedSectorCid),
		bind("crypto", "verify_post", 4, []ValueKind{i32, i32}, (*kernel).sysVerifyPost),
		bind("crypto", "verify_aggregate_seals", 4, []ValueKind{i32, i32}, (*kernel).sysVerifyAggregateSeals),
		bind("crypto", "verify_replica_update", 4, []ValueKind{i32, i32}, (*kernel).sysVerifyReplicaUpdate),
		bind("crypto", "batch_verify_seals", 0, []ValueKind{i32, i32, i32}, (*kernel).sysBatchVerifySeals),
		bind("crypto", "verify_consensus_fault", 20, []ValueKind{i32, i32, i32, i32, i32, i32}, (*kernel).sysVerifyConsensusFault),
	}
}

// verdict is a verification syscall's answer: 0 valid, -1 invalid.
func verdict(ok bool) []byte {
	if ok {
		return le32(0)
	}
	return le32(^uint32(0))
}

func (k *kernel) sysVerifySignature(mem Memory, args []uint64) ([]byte, error) {
	return k.verifySignature(mem, args, k.resolveKeyAddress)
}

// verifySignature is verify_signature in every ABI: it reads the signature
// type, signature, signer and plaintext, charges the verification, and
// checks the signature against the key address keyOf gives for the signer
// (the versions differ only in how a signer becomes a key).
func (k *kernel) verifySignature(mem Memory, args []uint64, keyOf func(address.Address) (address.Address, error)) ([]byte, error) {
	sigType := args[0]
	if sigType != uint64(crypto.SigTypeSecp256k1) && sigType != uint64(crypto.SigTypeBLS) {
		return nil, sysErr(ErrIllegalArgument, "unknown signature type %d", sigType)
	}
	sig, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	signer, err := readAddress(mem, args[3], args[4])
	if err != nil {
		return nil, err
	}
	plain, err := slice(mem, args[5], args[6])
	if err != nil {
		return nil, err
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnVerifySignature(byte(sigType), len(plain))); err != nil {
		return nil, err
	}
	key, err := keyOf(signer)
	if err != nil {
		return nil, err
	}
	err = syscalls.VerifySignature(crypto.Signature{Type: crypto.SigType(sigType), Data: bytes.Clone(sig)}, key, plain)
	return verdict(err == nil), nil
}

// resolveKeyAddress returns the key address behind addr: addr itself for
// BLS and secp256k1 addresses, else the address in the account actor's
// state (charged as a block open).
func (k *kernel) resolveKeyAddress(addr address.Address) (address.Address, error) {
	if addr.Protocol() == address.BLS || addr.Protocol() == address.SECP256K1 {
		return addr, nil
	}
	id, ok, err := k.cm.m.tree.LookupID(addr)
	if err != nil {
		return address.Undef, &fatalError{err: err}
	}
	var a *state.Actor
	if ok {
		a, ok, err = k.cm.m.tree.GetActor(id)
		if err != nil {
			return address.Undef, &fatalError{err: err}
		}
	}
	if !ok {
		return address.Undef, sysErr(ErrNotFound, "state tree doesn't contain actor")
	}
	if e, _ := k.cm.m.bundle.ByCode(a.Code); e.Name != "account" {
		return address.Undef, sysErr(ErrIllegalArgument, "target actor is not an account")
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockOpenBase()); err != nil {
		return address.Undef, err
	}
	blk, err := k.cm.m.bs.Get(k.cm.ctx, a.Head)
	if err != nil {
		return address.Undef, fatalf("account state %s: %v", a.Head, err)
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockOpenPerByte(len(blk.RawData()))); err != nil {
		return address.Undef, err
	}
	rd := cborseq.NewReader(bytes.NewReader(blk.RawData()))
	rd.Array("account state", 1)
	raw := rd.Bytes("account address")
	if err := rd.Err(); err != nil {
		return address.Undef, fatalf("decode account state: %v", err)
	}
	key, err := address.NewFromBytes(raw)
	if err != nil {
		return address.Undef, fatalf("account key address: %v", err)
	}
	return key, nil
}

// digest hashes data with one of the multihash functions the FVM offers.
func digest(code uint64, data []byte) ([]byte, error) {
	switch code {
	case 0x12:
		h := sha256.Sum256(data)
		return h[:], nil
	case 0xb220:
		h := blake2b.Sum256(data)
		return h[:], nil
	case 0xb240:
		h := blake2b.Sum512(data)
		return h[:], nil
	case 0x1b:
		h := sha3.NewLegacyKeccak256()
		h.Write(data)
		return h.Sum(nil), nil
	case 0x1053:
		h := ripemd160.New()
		h.Write(data)
		return h.Sum(nil), nil
	}
	return nil, sysErr(ErrIllegalArgument, "unsupported hash code %d", code)
}

func (k *kernel) sysHash(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[3], args[4]); err != nil {
		return nil, err
	}
	data, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnHashing(args[0], len(data))); err != nil {
		return nil, err
	}
	d, err := digest(args[0], data)
	if err != nil {
		return nil, err
	}
	n := min(len(d), int(args[4]))
	mem.Write(uint32(args[3]), d[:n])
	return le32(uint32(n)), nil
}

func (k *kernel) sysComputeUnsealedSectorCid(mem Memory, args []uint64) ([]byte, error) {
	typ := abi.RegisteredSealProof(int64(args[0]))
	if _, err := typ.SectorSize(); err != nil {
		return nil, sysErr(ErrIllegalArgument, "invalid proof type %d", int64(args[0]))
	}
	raw, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	pieces, err := decodePieces(raw)
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "pieces: %v", err)
	}
	if _, err := slice(mem, args[3], args[4]); err != nil {
		return nil, err
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnComputeUnsealedSectorCid()); err != nil {
		return nil, err
	}
	c, err := syscalls.ComputeUnsealedSectorCID(typ, pieces)
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "compute unsealed sector CID: %v", err)
	}
	return writeCid(mem, c, args[3], args[4])
}

func decodePieces(raw []byte) ([]abi.PieceInfo, error) {
	rd := cborseq.NewReader(bytes.NewReader(raw))
	n := rd.Array("pieces", -1)
	out := make([]abi.PieceInfo, n)
	for i := range out {
		rd.Value("piece", &out[i])
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (k *kernel) sysVerifyPost(mem Memory, args []uint64) ([]byte, error) {
	raw, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	info, err := decodeWindowPoStInfo(raw)
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "%v", err)
	}
	typ := int64(-1)
	if len(info.Proofs) > 0 {
		typ = int64(info.Proofs[0].PoStProof)
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnVerifyPost(typ, len(info.ChallengedSectors))); err != nil {
		return nil, err
	}
	return verdict(k.cm.m.cfg.Verifier.VerifyWindowPoSt(info) == nil), nil
}

func (k *kernel) sysVerifyAggregateSeals(mem Memory, args []uint64) ([]byte, error) {
	raw, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	agg, err := decodeAggregate(raw)
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "aggregate seal info: %v", err)
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnVerifyAggregateSeals(int64(agg.SealProof), len(agg.Infos))); err != nil {
		return nil, err
	}
	// From nv16 miners aggregate with SnarkPack v2, which the pre-FVM
	// network never accepted; the policy verifier's well-formedness checks
	// do not depend on the SnarkPack version, so they run as for v1.
	checked := agg
	if checked.AggregateProof == abi.RegisteredAggregationProof_SnarkPackV2 {
		checked.AggregateProof = abi.RegisteredAggregationProof_SnarkPackV1
	}
	return verdict(k.cm.m.cfg.Verifier.VerifyAggregateSeals(checked) == nil), nil
}

// decodeAggregate reads [miner, seal proof, aggregate proof, proof, infos]
// with infos [number, randomness, interactive randomness, sealed, unsealed].
func decodeAggregate(raw []byte) (proof.AggregateSealVerifyProofAndInfos, error) {
	var agg proof.AggregateSealVerifyProofAndInfos
	rd := cborseq.NewReader(bytes.NewReader(raw))
	rd.Array("aggregate", 5)
	agg.Miner = abi.ActorID(rd.Uint("miner"))
	agg.SealProof = abi.RegisteredSealProof(rd.Int("seal proof"))
	agg.AggregateProof = abi.RegisteredAggregationProof(rd.Int("aggregate proof"))
	agg.Proof = rd.Bytes("proof")
	n := rd.Array("infos", -1)
	agg.Infos = make([]proof.AggregateSealVerifyInfo, n)
	for i := range agg.Infos {
		in := &agg.Infos[i]
		rd.Array("info", 5)
		in.Number = abi.SectorNumber(rd.Uint("number"))
		in.Randomness = rd.Bytes("randomness")
		in.InteractiveRandomness = rd.Bytes("interactive randomness")
		in.SealedCID = rd.Cid("sealed CID")
		in.UnsealedCID = rd.Cid("unsealed CID")
	}
	return agg, rd.Err()
}

func (k *kernel) sysVerifyReplicaUpdate(mem Memory, args []uint64) ([]byte, error) {
	raw, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	var info proof.ReplicaUpdateInfo
	rd := cborseq.NewReader(bytes.NewReader(raw))
	rd.Array("replica update", 5)
	info.UpdateProofType = abi.RegisteredUpdateProof(rd.Int("update proof type"))
	info.OldSealedSectorCID = rd.Cid("old sealed CID")
	info.NewSealedSectorCID = rd.Cid("new sealed CID")
	info.NewUnsealedSectorCID = rd.Cid("new unsealed CID")
	// The FVM encodes this proof as a list of byte values, not a byte
	// string.
	n := rd.Array("proof", -1)
	info.Proof = make([]byte, n)
	for i := range info.Proof {
		b := rd.Uint("proof byte")
		if b > 255 {
			return nil, sysErr(ErrIllegalArgument, "proof byte %d is %d", i, b)
		}
		info.Proof[i] = byte(b)
	}
	if err := rd.Err(); err != nil {
		return nil, sysErr(ErrIllegalArgument, "%v", err)
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnVerifyReplicaUpdate()); err != nil {
		return nil, err
	}
	return verdict(k.cm.m.cfg.Verifier.VerifyReplicaUpdate(info) == nil), nil
}

// sysBatchVerifySeals verifies a list of seals (the power actor's cron);
// the FVM charges no gas for it beyond the syscall.
func (k *kernel) sysBatchVerifySeals(mem Memory, args []uint64) ([]byte, error) {
	raw, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	rd := cborseq.NewReader(bytes.NewReader(raw))
	n := rd.Array("seals", -1)
	infos := make([]proof.SealVerifyInfo, n)
	for i := range infos {
		rd.Value("seal", &infos[i])
	}
	if err := rd.Err(); err != nil {
		return nil, sysErr(ErrIllegalArgument, "%v", err)
	}
	if _, err := slice(mem, args[2], uint64(n)); err != nil {
		return nil, err
	}
	out := make([]byte, n)
	for i, in := range infos {
		if k.cm.m.cfg.Verifier.VerifySeal(in) == nil {
			out[i] = 1
		}
	}
	mem.Write(uint32(args[2]), out)
	return nil, nil
}

// sysVerifyConsensusFault checks fault evidence through the consensus-fault
// extern (consensusfault.go).
func (k *kernel) sysVerifyConsensusFault(mem Memory, args []uint64) ([]byte, error) {
	var ev [3][]byte
	for i := range ev {
		b, err := slice(mem, args[2*i], args[2*i+1])
		if err != nil {
			return nil, err
		}
		ev[i] = b
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnVerifyConsensusFault()); err != nil {
		return nil, err
	}
	return k.consensusFault(ev[0], ev[1], ev[2])
}
