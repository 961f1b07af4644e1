package chain

import (
	"context"
	"fmt"

	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// Helpers for writing chain data (for tools that build chains, such as a
// chain CAR produced by running a tipset vector, and for tests). Every
// collection uses the layout block headers use on every pre-FVM network
// version: the first actors version's AMT.

// PutObject stores a CBOR object under its chain CID and returns the CID.
func PutObject(ctx context.Context, bs ipldcbor.IpldBlockstore, v cbg.CBORMarshaler) (cid.Cid, error) {
	b, err := cborseq.Encode(v)
	if err != nil {
		return cid.Undef, err
	}
	c, err := cidOf(b)
	if err != nil {
		return cid.Undef, err
	}
	blk, err := blocks.NewBlockWithCid(b, c)
	if err != nil {
		return cid.Undef, err
	}
	if err := bs.Put(ctx, blk); err != nil {
		return cid.Undef, fmt.Errorf("put %s: %w", c, err)
	}
	return c, nil
}

// StoreBlockMessages stores a block's messages and the TxMeta over them
// and returns the TxMeta's CID: the header's Messages field. Messages are
// stored under the CIDs the chain knows them by (SignedMessage.Cid).
func StoreBlockMessages(ctx context.Context, bs ipldcbor.IpldBlockstore, bls []*Message, secp []*SignedMessage) (cid.Cid, error) {
	store := adt0.WrapStore(ctx, ipldcbor.NewCborStore(bs))
	blsArr, secpArr := adt0.MakeEmptyArray(store), adt0.MakeEmptyArray(store)
	for i, m := range bls {
		c, err := PutObject(ctx, bs, m)
		if err != nil {
			return cid.Undef, fmt.Errorf("bls message %d: %w", i, err)
		}
		cc := cbg.CborCid(c)
		if err := blsArr.Set(uint64(i), &cc); err != nil {
			return cid.Undef, fmt.Errorf("bls message %d: %w", i, err)
		}
	}
	for i, sm := range secp {
		c, err := PutObject(ctx, bs, sm)
		if err != nil {
			return cid.Undef, fmt.Errorf("secpk message %d: %w", i, err)
		}
		if want, err := sm.Cid(); err != nil || want != c {
			// A BLS-typed signature would make the chain know the
			// message by its unsigned CID, which a block's secp list
			// cannot hold.
			return cid.Undef, fmt.Errorf("secpk message %d: signature type %d does not belong in a block's secp list", i, sm.Signature.Type)
		}
		cc := cbg.CborCid(c)
		if err := secpArr.Set(uint64(i), &cc); err != nil {
			return cid.Undef, fmt.Errorf("secpk message %d: %w", i, err)
		}
	}
	blsRoot, err := blsArr.Root()
	if err != nil {
		return cid.Undef, fmt.Errorf("bls messages AMT: %w", err)
	}
	secpRoot, err := secpArr.Root()
	if err != nil {
		return cid.Undef, fmt.Errorf("secpk messages AMT: %w", err)
	}
	return PutObject(ctx, bs, &TxMeta{BlsMessages: blsRoot, SecpkMessages: secpRoot})
}

// StoreReceipts stores receipts in an AMT, index i for the i-th executed
// message, and returns its root: a header's ParentMessageReceipts.
func StoreReceipts(ctx context.Context, bs ipldcbor.IpldBlockstore, receipts []*MessageReceipt) (cid.Cid, error) {
	arr := adt0.MakeEmptyArray(adt0.WrapStore(ctx, ipldcbor.NewCborStore(bs)))
	for i, r := range receipts {
		if err := arr.Set(uint64(i), r); err != nil {
			return cid.Undef, fmt.Errorf("receipt %d: %w", i, err)
		}
	}
	root, err := arr.Root()
	if err != nil {
		return cid.Undef, fmt.Errorf("receipts AMT: %w", err)
	}
	return root, nil
}
