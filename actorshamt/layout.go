// Package actorshamt is the actors HAMT of each state-tree version: which
// go-hamt-ipld encoding it uses, its bit width and key hash, as one table,
// and the map and node reading built on them. The VM's state tree
// (vm/state), extraction's masked states and statediff's reader of state
// roots all take the layout from here.
package actorshamt

import (
	"crypto/sha256"
	"fmt"

	"github.com/tvx-project/tvx/protocol"
)

// Layout is how one state-tree version lays out its actors HAMT.
type Layout struct {
	Version protocol.StateTreeVersion
	// Encoding is the major release of go-hamt-ipld whose node encoding
	// the version uses: 1 (go-hamt-ipld v0.1, pointers as one-entry maps),
	// 2 (v2) or 3 (v3, pointers as a kinded union). Each is that of the
	// specs-actors release that introduced the version.
	Encoding int
	// BitWidth is log2 of the number of slots per node.
	BitWidth int
}

// MaxVersion is the newest state-tree version with a layout here.
const MaxVersion protocol.StateTreeVersion = 5

// For returns the layout of state-tree version v. Version 0 is the bare
// HAMT of actors v0.9, version 1 that of actors v2, versions 2 to 4 that
// of actors v3 to v5, which differ only in the version number their root
// records; version 5 (the FVM's from network version 18) keeps that HAMT
// and adds a field to the actor rows it holds. Every version hashes keys
// with SHA-256 (Hash).
func For(v protocol.StateTreeVersion) (Layout, error) {
	switch v {
	case 0:
		return Layout{Version: v, Encoding: 1, BitWidth: 5}, nil
	case 1:
		return Layout{Version: v, Encoding: 2, BitWidth: 5}, nil
	case 2, 3, 4, 5:
		return Layout{Version: v, Encoding: 3, BitWidth: 5}, nil
	}
	return Layout{}, fmt.Errorf("state tree version %d is not supported (max %d)", v, MaxVersion)
}

// Hash is the key hash of every layout: SHA-256.
func Hash(key []byte) []byte {
	h := sha256.Sum256(key)
	return h[:]
}
