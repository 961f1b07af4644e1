package builtin

import (
	"context"

	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/protocol"
)

// bundleInitLayout is the actors version whose init actor state layout
// (address map HAMT, next ID, network name) every builtin-actors bundle the
// FVM runs (v8 to v10) keeps, so readers of FVM-era states — chain walks
// resolving senders, extraction — resolve addresses with its decoder.
const bundleInitLayout protocol.ActorsVersion = 7

// isBundleCode reports whether code names Wasm actor code from a
// builtin-actors bundle: a raw-codec CID hashing the module, where the Go
// actors' codes are identity-hashed names ("fil/7/init").
func isBundleCode(code cid.Cid) bool {
	p := code.Prefix()
	return p.Codec == cid.Raw && p.MhType != mh.IDENTITY
}

// loadBundleInit decodes the init actor state of a bundle's init actor.
func loadBundleInit(ctx context.Context, store ipldcbor.IpldStore, head cid.Cid) (InitState, error) {
	return versions[bundleInitLayout].loadInit(ctx, store, head)
}
