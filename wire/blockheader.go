package wire

import (
	"bytes"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// BlockHeader is a pre-FVM Filecoin block header. Its CBOR form is a
// 16-element tuple in exactly this field order; the header's CID is the
// blake2b-256 dag-cbor CID of that encoding, and the miner's signature
// covers the same encoding with BlockSig set to null.
type BlockHeader struct {
	Miner                 address.Address
	Ticket                *Ticket // null for the genesis block
	ElectionProof         *ElectionProof
	BeaconEntries         []BeaconEntry
	WinPoStProof          []proof.PoStProof
	Parents               []cid.Cid
	ParentWeight          big.Int
	Height                abi.ChainEpoch
	ParentStateRoot       cid.Cid
	ParentMessageReceipts cid.Cid
	Messages              cid.Cid
	BLSAggregate          *crypto.Signature
	Timestamp             uint64
	BlockSig              *crypto.Signature
	ForkSignaling         uint64
	ParentBaseFee         abi.TokenAmount
}

// Ticket is the miner's VRF output for the block's epoch; encoded as a
// 1-tuple.
type Ticket struct {
	VRFProof []byte
}

// ElectionProof is the VRF proof that the miner won the election, with the
// number of wins; encoded as a 2-tuple (WinCount, VRFProof).
type ElectionProof struct {
	WinCount int64
	VRFProof []byte
}

// BeaconEntry is a drand round included in the block; encoded as a 2-tuple.
type BeaconEntry struct {
	Round uint64
	Data  []byte
}

const blockHeaderFields = 16

// MarshalCBOR writes the header's chain encoding.
func (h *BlockHeader) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Array(blockHeaderFields)
	cw.Value(&h.Miner)
	if h.Ticket == nil {
		cw.Null()
	} else {
		cw.Array(1)
		cw.Bytes(h.Ticket.VRFProof)
	}
	if h.ElectionProof == nil {
		cw.Null()
	} else {
		cw.Array(2)
		cw.Int(h.ElectionProof.WinCount)
		cw.Bytes(h.ElectionProof.VRFProof)
	}
	cw.Array(len(h.BeaconEntries))
	for _, e := range h.BeaconEntries {
		cw.Array(2)
		cw.Uint(e.Round)
		cw.Bytes(e.Data)
	}
	cw.Array(len(h.WinPoStProof))
	for i := range h.WinPoStProof {
		cw.Value(&h.WinPoStProof[i])
	}
	cw.Array(len(h.Parents))
	for _, p := range h.Parents {
		cw.Cid(p)
	}
	cw.Value(&h.ParentWeight)
	cw.Int(int64(h.Height))
	cw.Cid(h.ParentStateRoot)
	cw.Cid(h.ParentMessageReceipts)
	cw.Cid(h.Messages)
	cw.Value(h.BLSAggregate) // a nil *Signature encodes as null
	cw.Uint(h.Timestamp)
	cw.Value(h.BlockSig)
	cw.Uint(h.ForkSignaling)
	cw.Value(&h.ParentBaseFee)
	if err := cw.Err(); err != nil {
		return fmt.Errorf("encode block header: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one header from r and leaves anything after it unread.
func (h *BlockHeader) UnmarshalCBOR(r io.Reader) error {
	*h = BlockHeader{}
	cr := cborseq.NewReader(r)
	cr.Array("block header", blockHeaderFields)
	cr.Value("miner", &h.Miner)
	if !cr.IsNull() && cr.Err() == nil {
		cr.Array("ticket", 1)
		h.Ticket = &Ticket{VRFProof: cr.Bytes("ticket vrf proof")}
	}
	if !cr.IsNull() && cr.Err() == nil {
		cr.Array("election proof", 2)
		ep := &ElectionProof{WinCount: cr.Int("election win count")}
		ep.VRFProof = cr.Bytes("election vrf proof")
		h.ElectionProof = ep
	}
	if n := cr.Array("beacon entries", -1); n > 0 {
		h.BeaconEntries = make([]BeaconEntry, n)
		for i := range h.BeaconEntries {
			cr.Array("beacon entry", 2)
			h.BeaconEntries[i].Round = cr.Uint("beacon round")
			h.BeaconEntries[i].Data = cr.Bytes("beacon data")
		}
	}
	if n := cr.Array("winning post proofs", -1); n > 0 {
		h.WinPoStProof = make([]proof.PoStProof, n)
		for i := range h.WinPoStProof {
			cr.Value("winning post proof", &h.WinPoStProof[i])
		}
	}
	if n := cr.Array("parents", -1); n > 0 {
		h.Parents = make([]cid.Cid, n)
		for i := range h.Parents {
			h.Parents[i] = cr.Cid("parent")
		}
	}
	cr.Value("parent weight", &h.ParentWeight)
	h.Height = abi.ChainEpoch(cr.Int("height"))
	h.ParentStateRoot = cr.Cid("parent state root")
	h.ParentMessageReceipts = cr.Cid("parent message receipts")
	h.Messages = cr.Cid("messages")
	if !cr.IsNull() && cr.Err() == nil {
		h.BLSAggregate = new(crypto.Signature)
		cr.Value("bls aggregate", h.BLSAggregate)
	}
	h.Timestamp = cr.Uint("timestamp")
	if !cr.IsNull() && cr.Err() == nil {
		h.BlockSig = new(crypto.Signature)
		cr.Value("block signature", h.BlockSig)
	}
	h.ForkSignaling = cr.Uint("fork signaling")
	cr.Value("parent base fee", &h.ParentBaseFee)
	if err := cr.Err(); err != nil {
		return fmt.Errorf("decode block header: %w", err)
	}
	return nil
}

// DecodeBlockHeader decodes b, which must hold exactly one header.
func DecodeBlockHeader(b []byte) (*BlockHeader, error) {
	r := bytes.NewReader(b)
	var h BlockHeader
	if err := h.UnmarshalCBOR(r); err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode block header: %d trailing bytes", r.Len())
	}
	return &h, nil
}

// Bytes returns the header's chain encoding.
func (h *BlockHeader) Bytes() ([]byte, error) { return cborseq.Encode(h) }

// Cid returns the header's CID, computed from its canonical encoding (not
// from whatever bytes it was decoded from).
func (h *BlockHeader) Cid() (cid.Cid, error) {
	b, err := h.Bytes()
	if err != nil {
		return cid.Undef, err
	}
	c, err := abi.CidBuilder.Sum(b)
	if err != nil {
		return cid.Undef, fmt.Errorf("block header cid: %w", err)
	}
	return c, nil
}

// SigningBytes returns what the miner's worker key signs: the header's
// encoding with BlockSig null.
func (h *BlockHeader) SigningBytes() ([]byte, error) {
	unsigned := *h
	unsigned.BlockSig = nil
	return unsigned.Bytes()
}
