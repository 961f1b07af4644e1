package builtin

import (
	"fmt"

	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/protocol"
)

// Kinds of builtin actors that only builtin-actors bundles (actors v8 and
// later) have, as their manifests name them.
const (
	KindDatacap     = "datacap"
	KindPlaceholder = "placeholder"
	KindEVM         = "evm"
	KindEAM         = "eam"
	KindEthAccount  = "ethaccount"
)

// BundleCode is what a builtin-actors bundle's code CID names: the actor's
// kind (its manifest name, one of the Kind constants) and actors version.
type BundleCode struct {
	Kind    string
	Version protocol.ActorsVersion
}

// BundleCodes maps the Wasm code CID of every actor of every carried
// builtin-actors bundle (v8 to v10, mainnet builds) to its kind and actors
// version, as the bundles' manifests list them. Each call reads the
// manifests afresh (about a millisecond per bundle); callers that resolve
// many codes keep the map.
func BundleCodes() (map[cid.Cid]BundleCode, error) {
	out := map[cid.Cid]BundleCode{}
	for _, v := range bundle.ActorsVersions() {
		acts, err := bundle.ReadActors(v)
		if err != nil {
			return nil, fmt.Errorf("builtin-actors v%d code CIDs: %w", v, err)
		}
		for _, a := range acts {
			out[a.Code] = BundleCode{Kind: a.Name, Version: protocol.ActorsVersion(v)}
		}
	}
	return out, nil
}
