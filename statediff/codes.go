package statediff

import (
	"fmt"
	"github.com/tvx-project/tvx/builtin"

	"github.com/ipfs/go-cid"
)

// actorKind names a builtin actor type the way its code CID does
// ("fil/<version>/<kind>").
type actorKind string

const (
	kindSystem   actorKind = "system"
	kindInit     actorKind = "init"
	kindReward   actorKind = "reward"
	kindCron     actorKind = "cron"
	kindPower    actorKind = "storagepower"
	kindMarket   actorKind = "storagemarket"
	kindMiner    actorKind = "storageminer"
	kindMultisig actorKind = "multisig"
	kindPaych    actorKind = "paymentchannel"
	kindVerifreg actorKind = "verifiedregistry"
	kindAccount  actorKind = "account"
	kindDatacap  actorKind = "datacap"
	kindEVM      actorKind = "evm"
)

// codeInfo is what a code CID tells about an actor. version is the
// specs-actors major version; 0 stands for v0.9.
type codeInfo struct {
	kind    actorKind
	version int
}

func (ci codeInfo) String() string {
	if ci.version == 0 {
		return fmt.Sprintf("%s v0.9", ci.kind)
	}
	return fmt.Sprintf("%s v%d", ci.kind, ci.version)
}

// codeTable maps every builtin code CID to its kind and actors version, as
// package builtin lists them: the Go actors' identity-hashed codes and the
// Wasm codes of the builtin-actors bundles (from their manifests).
func codeTable() (map[cid.Cid]codeInfo, error) {
	codes := builtin.Codes()
	bundled, err := builtin.BundleCodes()
	if err != nil {
		return nil, err
	}
	t := make(map[cid.Cid]codeInfo, len(codes)+len(bundled))
	for c, v := range codes {
		t[c] = codeInfo{kind: actorKind(builtin.KindOf(c)), version: int(v)}
	}
	for c, b := range bundled {
		t[c] = codeInfo{kind: actorKind(b.Kind), version: int(b.Version)}
	}
	return t, nil
}
