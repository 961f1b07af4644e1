package syscalls

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
	cw := &cborWriter{w: w}
	cw.array(blockHeaderFields)
	cw.value(&h.Miner)
	if h.Ticket == nil {
		cw.null()
	} else {
		cw.array(1)
		cw.bytes(h.Ticket.VRFProof)
	}
	if h.ElectionProof == nil {
		cw.null()
	} else {
		cw.array(2)
		cw.int(h.ElectionProof.WinCount)
		cw.bytes(h.ElectionProof.VRFProof)
	}
	cw.array(len(h.BeaconEntries))
	for _, e := range h.BeaconEntries {
		cw.array(2)
		cw.uint(e.Round)
		cw.bytes(e.Data)
	}
	cw.array(len(h.WinPoStProof))
	for i := range h.WinPoStProof {
		cw.value(&h.WinPoStProof[i])
	}
	cw.array(len(h.Parents))
	for _, p := range h.Parents {
		cw.cid(p)
	}
	cw.value(&h.ParentWeight)
	cw.int(int64(h.Height))
	cw.cid(h.ParentStateRoot)
	cw.cid(h.ParentMessageReceipts)
	cw.cid(h.Messages)
	cw.value(h.BLSAggregate) // a nil *Signature encodes as null
	cw.uint(h.Timestamp)
	cw.value(h.BlockSig)
	cw.uint(h.ForkSignaling)
	cw.value(&h.ParentBaseFee)
	if cw.err != nil {
		return fmt.Errorf("encode block header: %w", cw.err)
	}
	return nil
}

// UnmarshalCBOR reads one header from r and leaves anything after it unread.
func (h *BlockHeader) UnmarshalCBOR(r io.Reader) error {
	*h = BlockHeader{}
	cr := newCborReader(r)
	cr.array("block header", blockHeaderFields)
	cr.value("miner", &h.Miner)
	if !cr.isNull() && cr.err == nil {
		cr.array("ticket", 1)
		h.Ticket = &Ticket{VRFProof: cr.bytes("ticket vrf proof")}
	}
	if !cr.isNull() && cr.err == nil {
		cr.array("election proof", 2)
		ep := &ElectionProof{WinCount: cr.int("election win count")}
		ep.VRFProof = cr.bytes("election vrf proof")
		h.ElectionProof = ep
	}
	if n := cr.array("beacon entries", -1); n > 0 {
		h.BeaconEntries = make([]BeaconEntry, n)
		for i := range h.BeaconEntries {
			cr.array("beacon entry", 2)
			h.BeaconEntries[i].Round = cr.uint("beacon round")
			h.BeaconEntries[i].Data = cr.bytes("beacon data")
		}
	}
	if n := cr.array("winning post proofs", -1); n > 0 {
		h.WinPoStProof = make([]proof.PoStProof, n)
		for i := range h.WinPoStProof {
			cr.value("winning post proof", &h.WinPoStProof[i])
		}
	}
	if n := cr.array("parents", -1); n > 0 {
		h.Parents = make([]cid.Cid, n)
		for i := range h.Parents {
			h.Parents[i] = cr.cid("parent")
		}
	}
	cr.value("parent weight", &h.ParentWeight)
	h.Height = abi.ChainEpoch(cr.int("height"))
	h.ParentStateRoot = cr.cid("parent state root")
	h.ParentMessageReceipts = cr.cid("parent message receipts")
	h.Messages = cr.cid("messages")
	if !cr.isNull() && cr.err == nil {
		h.BLSAggregate = new(crypto.Signature)
		cr.value("bls aggregate", h.BLSAggregate)
	}
	h.Timestamp = cr.uint("timestamp")
	if !cr.isNull() && cr.err == nil {
		h.BlockSig = new(crypto.Signature)
		cr.value("block signature", h.BlockSig)
	}
	h.ForkSignaling = cr.uint("fork signaling")
	cr.value("parent base fee", &h.ParentBaseFee)
	if cr.err != nil {
		return fmt.Errorf("decode block header: %w", cr.err)
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
func (h *BlockHeader) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := h.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

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
