package builtin

import "github.com/filecoin-project/go-address"

// ZeroBLSKey is the address of the BLS public key of the zero secret (the
// compressed G1 point at infinity): anyone can send funds to it, and from
// network version 10 no account may be created for it (mainnet removed
// the one it had at Trust).
func ZeroBLSKey() address.Address {
	var pk [48]byte
	pk[0] = 0xc0
	a, err := address.NewBLSAddress(pk[:])
	if err != nil {
		panic(err) // unreachable: a 48-byte key is a valid BLS payload
	}
	return a
}
