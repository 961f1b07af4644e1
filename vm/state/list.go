package state

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/protocol"
)

// Listed is one actor of a state tree, for listings.
type Listed struct {
	ID      address.Address
	Code    cid.Cid
	Head    cid.Cid
	Nonce   uint64
	Balance abi.TokenAmount
}

// CodeName is the name a builtin actor code CID carries
// ("fil/1/storageminer"), or the CID itself.
func (a Listed) CodeName() string {
	if d, err := mh.Decode(a.Code.Hash()); err == nil && d.Code == mh.IDENTITY {
		return string(d.Digest)
	}
	return a.Code.String()
}

// List returns the actors of the state tree at root, ordered by ID, with
// the tree's state-tree version.
func List(ctx context.Context, store ipldcbor.IpldStore, root cid.Cid) (protocol.StateTreeVersion, []Listed, error) {
	tree, err := Load(ctx, store, root)
	if err != nil {
		return 0, nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	var out []Listed
	err = tree.ForEach(func(id address.Address, act *Actor) error {
		out = append(out, Listed{ID: id, Code: act.Code, Head: act.Head, Nonce: act.CallSeqNum, Balance: act.Balance})
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("state tree %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool {
		ia, _ := address.IDFromAddress(out[i].ID)
		ib, _ := address.IDFromAddress(out[j].ID)
		if ia != ib {
			return ia < ib
		}
		return bytes.Compare(out[i].ID.Bytes(), out[j].ID.Bytes()) < 0
	})
	return tree.Version(), out, nil
}
