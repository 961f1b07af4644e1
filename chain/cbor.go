package chain

import (
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
)

// cidOf returns the chain's CID for an object: CIDv1, dag-cbor,
// blake2b-256, the builder every Filecoin chain object uses.
func cidOf(b []byte) (cid.Cid, error) {
	c, err := abi.CidBuilder.Sum(b)
	if err != nil {
		return cid.Undef, fmt.Errorf("hash object: %w", err)
	}
	return c, nil
}
