package syscalls

import (
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/crypto"
	blst "github.com/supranational/blst/bindings/go"
	"golang.org/x/crypto/blake2b"
)

// Sizes of the key material Filecoin puts on chain.
const (
	// SecpSignatureLen is r (32) || s (32) || recovery id (1).
	SecpSignatureLen = 65
	// BLSSignatureLen is a compressed G2 point (min-pk BLS12-381).
	BLSSignatureLen = 96
	// BLSPublicKeyLen is a compressed G1 point, the payload of an f3 address.
	BLSPublicKeyLen = 48
)

// blsDST is the hash-to-curve domain separation tag of Filecoin's BLS
// signatures (the IETF "NUL" basic scheme, no proof of possession).
var blsDST = []byte("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_")

// ErrBadSignature is wrapped by every error VerifySignature returns for a
// signature that is well formed but does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// HashBlake2b returns the 32-byte blake2b digest Filecoin uses everywhere a
// syscall asks for a hash.
func HashBlake2b(data []byte) [32]byte {
	return blake2b.Sum256(data)
}

// VerifySignature reports, as a nil error, whether sig is a valid signature
// of plaintext by the key that signer names.
//
// signer must be a key address (f1 for secp256k1, f3 for BLS) whose protocol
// matches sig.Type; resolving ID addresses through the state tree is the
// runtime's job. secp256k1 signatures are 65-byte recoverable signatures over
// blake2b-256(plaintext); the recovered uncompressed key must hash to the
// address payload. BLS signatures are min-pk BLS12-381 over plaintext itself.
// Malformed input (unknown type, wrong length, address protocol mismatch,
// bytes that are not curve points) is an error, never a panic.
func VerifySignature(sig crypto.Signature, signer address.Address, plaintext []byte) error {
	switch sig.Type {
	case crypto.SigTypeSecp256k1:
		if signer.Protocol() != address.SECP256K1 {
			return fmt.Errorf("secp256k1 signature cannot be checked against %s (protocol %d): need an f1 key address", signer, signer.Protocol())
		}
		return verifySecp(sig.Data, signer, plaintext)
	case crypto.SigTypeBLS:
		if signer.Protocol() != address.BLS {
			return fmt.Errorf("bls signature cannot be checked against %s (protocol %d): need an f3 key address", signer, signer.Protocol())
		}
		return verifyBLS(sig.Data, signer.Payload(), plaintext)
	default:
		return fmt.Errorf("unsupported signature type %d", sig.Type)
	}
}

func verifySecp(data []byte, signer address.Address, plaintext []byte) error {
	if len(data) != SecpSignatureLen {
		return fmt.Errorf("secp256k1 signature is %d bytes, want %d", len(data), SecpSignatureLen)
	}
	recID := data[64]
	if recID > 3 {
		return fmt.Errorf("secp256k1 signature recovery id %d out of range 0..3", recID)
	}
	// decred expects the "compact" layout: a header byte (27 + recovery id,
	// uncompressed key) in front of r || s.
	var compact [SecpSignatureLen]byte
	compact[0] = 27 + recID
	copy(compact[1:], data[:64])
	digest := blake2b.Sum256(plaintext)
	pub, _, err := ecdsa.RecoverCompact(compact[:], digest[:])
	if err != nil {
		return fmt.Errorf("secp256k1 key recovery: %w", err)
	}
	recovered, err := address.NewSecp256k1Address(pub.SerializeUncompressed())
	if err != nil {
		return fmt.Errorf("secp256k1 address from recovered key: %w", err)
	}
	if recovered != signer {
		return fmt.Errorf("%w: secp256k1 signature is by %s, not %s", ErrBadSignature, recovered, signer)
	}
	return nil
}

func verifyBLS(data, pubKey, plaintext []byte) error {
	if len(data) != BLSSignatureLen {
		return fmt.Errorf("bls signature is %d bytes, want %d", len(data), BLSSignatureLen)
	}
	if len(pubKey) != BLSPublicKeyLen {
		return fmt.Errorf("bls public key is %d bytes, want %d", len(pubKey), BLSPublicKeyLen)
	}
	pk := new(blst.P1Affine).Uncompress(pubKey)
	if pk == nil {
		return fmt.Errorf("bls public key is not a compressed G1 point")
	}
	sig := new(blst.P2Affine).Uncompress(data)
	if sig == nil {
		return fmt.Errorf("bls signature is not a compressed G2 point")
	}
	// Group-check the signature and validate the key (rejects the identity
	// and points outside the prime-order subgroup), as filecoin-ffi does.
	if !sig.Verify(true, pk, true, plaintext, blsDST) {
		return fmt.Errorf("%w: bls", ErrBadSignature)
	}
	return nil
}
