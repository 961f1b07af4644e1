package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/wire"
)

// BlockHeader is a Filecoin block header: the 16-field CBOR tuple of
// package wire, which vm/syscalls also reads (it verifies consensus faults
// over the same bytes).
// Its default JSON form is the one Lotus's API uses: field names as in Go,
// addresses as strings, big integers as decimal strings, bytes as base64,
// CIDs as {"/": "..."}.
type BlockHeader = wire.BlockHeader

// Ticket, ElectionProof and BeaconEntry are the header's randomness inputs.
type (
	Ticket        = wire.Ticket
	ElectionProof = wire.ElectionProof
	BeaconEntry   = wire.BeaconEntry
)

// DecodeBlockHeader decodes one header from its block bytes.
func DecodeBlockHeader(b []byte) (*BlockHeader, error) { return wire.DecodeBlockHeader(b) }

// TipSetKey names a tipset by its blocks' CIDs in the tipset's canonical
// order. It is comparable, so it can key a map. The zero value is the empty
// key, which Lotus's API (and every Source) reads as "the head".
type TipSetKey struct {
	// raw is the concatenation of the CIDs' binary forms; a string keeps
	// the key comparable and immutable.
	raw string
}

// EmptyTipSetKey is the zero key.
var EmptyTipSetKey = TipSetKey{}

// NewTipSetKey returns the key of the given block CIDs, in the order given.
func NewTipSetKey(cids ...cid.Cid) TipSetKey {
	var b strings.Builder
	for _, c := range cids {
		b.Write(c.Bytes())
	}
	return TipSetKey{raw: b.String()}
}

// Cids returns the block CIDs of the key.
func (k TipSetKey) Cids() []cid.Cid {
	var out []cid.Cid
	rest := []byte(k.raw)
	for len(rest) > 0 {
		n, c, err := cid.CidFromBytes(rest)
		if err != nil {
			// Keys are only built from valid CIDs, so this cannot happen;
			// stop rather than loop on a corrupt key.
			break
		}
		out = append(out, c)
		rest = rest[n:]
	}
	return out
}

// IsEmpty reports whether k is the empty key.
func (k TipSetKey) IsEmpty() bool { return k.raw == "" }

// String renders the key as Lotus does: {cid1,cid2}.
func (k TipSetKey) String() string {
	cids := k.Cids()
	parts := make([]string, len(cids))
	for i, c := range cids {
		parts[i] = c.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// MarshalJSON writes the key as Lotus does: an array of {"/": cid}; the
// empty key is [].
func (k TipSetKey) MarshalJSON() ([]byte, error) {
	cids := k.Cids()
	if cids == nil {
		cids = []cid.Cid{}
	}
	return json.Marshal(cids)
}

// UnmarshalJSON reads an array of CIDs; null is the empty key.
func (k *TipSetKey) UnmarshalJSON(b []byte) error {
	var cids []cid.Cid
	if err := json.Unmarshal(b, &cids); err != nil {
		return fmt.Errorf("tipset key: %w", err)
	}
	*k = NewTipSetKey(cids...)
	return nil
}

// TipSet is a non-empty set of blocks at one height with the same parents,
// in canonical order: ascending blake2b-256 digest of each block's ticket
// VRF proof, ties broken by CID bytes. A TipSet is immutable once built;
// callers must not modify the headers it returns.
type TipSet struct {
	blocks []*BlockHeader
	cids   []cid.Cid
	key    TipSetKey
}

// NewTipSet orders blocks canonically and checks they can form a tipset:
// at least one block, all at one height, all with the same parents. The
// slice passed in is not modified.
func NewTipSet(blocks []*BlockHeader) (*TipSet, error) {
	if len(blocks) == 0 {
		return nil, errors.New("tipset: no blocks")
	}
	type entry struct {
		h      *BlockHeader
		c      cid.Cid
		digest [32]byte
	}
	es := make([]entry, len(blocks))
	for i, h := range blocks {
		if h == nil {
			return nil, fmt.Errorf("tipset: block %d is nil", i)
		}
		c, err := h.Cid()
		if err != nil {
			return nil, fmt.Errorf("tipset: block %d: %w", i, err)
		}
		var proof []byte
		if h.Ticket != nil {
			proof = h.Ticket.VRFProof
		}
		es[i] = entry{h: h, c: c, digest: blake2b.Sum256(proof)}
	}
	first := es[0].h
	for i, e := range es[1:] {
		if e.h.Height != first.Height {
			return nil, fmt.Errorf("tipset: block %d at height %d, block 0 at %d", i+1, e.h.Height, first.Height)
		}
		if !cidsEqual(e.h.Parents, first.Parents) {
			return nil, fmt.Errorf("tipset: block %d has other parents than block 0", i+1)
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if d := bytes.Compare(es[i].digest[:], es[j].digest[:]); d != 0 {
			return d < 0
		}
		return bytes.Compare(es[i].c.Bytes(), es[j].c.Bytes()) < 0
	})
	ts := &TipSet{blocks: make([]*BlockHeader, len(es)), cids: make([]cid.Cid, len(es))}
	for i, e := range es {
		ts.blocks[i], ts.cids[i] = e.h, e.c
	}
	for i := 1; i < len(ts.cids); i++ {
		if ts.cids[i] == ts.cids[i-1] {
			return nil, fmt.Errorf("tipset: block %s appears twice", ts.cids[i])
		}
	}
	ts.key = NewTipSetKey(ts.cids...)
	return ts, nil
}

func cidsEqual(a, b []cid.Cid) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Key returns the tipset's key.
func (ts *TipSet) Key() TipSetKey { return ts.key }

// Cids returns the block CIDs in canonical order (a copy).
func (ts *TipSet) Cids() []cid.Cid { return append([]cid.Cid(nil), ts.cids...) }

// Blocks returns the headers in canonical order. The slice is a copy; the
// headers are shared and must not be modified.
func (ts *TipSet) Blocks() []*BlockHeader { return append([]*BlockHeader(nil), ts.blocks...) }

// Height returns the tipset's epoch.
func (ts *TipSet) Height() abi.ChainEpoch { return ts.blocks[0].Height }

// Parents returns the key of the parent tipset (empty for genesis).
func (ts *TipSet) Parents() TipSetKey { return NewTipSetKey(ts.blocks[0].Parents...) }

// ParentState returns the state root the parent tipset's execution
// produced, on which this tipset's messages run.
func (ts *TipSet) ParentState() cid.Cid { return ts.blocks[0].ParentStateRoot }

// ParentReceipts returns the root of the AMT of receipts of the parent
// tipset's messages.
func (ts *TipSet) ParentReceipts() cid.Cid { return ts.blocks[0].ParentMessageReceipts }

// ParentBaseFee returns the base fee this tipset's messages pay.
func (ts *TipSet) ParentBaseFee() abi.TokenAmount { return ts.blocks[0].ParentBaseFee }

// ParentWeight returns the chain weight up to the parent tipset.
func (ts *TipSet) ParentWeight() big.Int { return ts.blocks[0].ParentWeight }

// MinTicketBlock returns the block whose ticket draws chain randomness:
// the first in canonical order.
func (ts *TipSet) MinTicketBlock() *BlockHeader { return ts.blocks[0] }

// MinTimestamp returns the smallest block timestamp.
func (ts *TipSet) MinTimestamp() uint64 {
	min := ts.blocks[0].Timestamp
	for _, b := range ts.blocks[1:] {
		if b.Timestamp < min {
			min = b.Timestamp
		}
	}
	return min
}

// tipSetJSON is Lotus's JSON form of a tipset.
type tipSetJSON struct {
	Cids   []cid.Cid
	Blocks []*BlockHeader
	Height abi.ChainEpoch
}

// MarshalJSON writes {"Cids": [...], "Blocks": [...], "Height": n}.
func (ts *TipSet) MarshalJSON() ([]byte, error) {
	return json.Marshal(&tipSetJSON{Cids: ts.cids, Blocks: ts.blocks, Height: ts.Height()})
}

// UnmarshalJSON rebuilds the tipset from its blocks and checks the CIDs and
// height it was sent with against them.
func (ts *TipSet) UnmarshalJSON(b []byte) error {
	var j tipSetJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("tipset: %w", err)
	}
	got, err := NewTipSet(j.Blocks)
	if err != nil {
		return err
	}
	if j.Cids != nil && !cidsEqual(j.Cids, got.cids) {
		return fmt.Errorf("tipset: listed CIDs %v do not match its blocks %v", j.Cids, got.cids)
	}
	if j.Height != got.Height() {
		return fmt.Errorf("tipset: listed height %d, blocks at %d", j.Height, got.Height())
	}
	*ts = *got
	return nil
}

// Message is an unsigned Filecoin message: package wire's, which the VMs
// execute too, so a message read from a chain runs as it is. Its CBOR form
// is the 10-field tuple (Version, To, From, Nonce, Value, GasLimit,
// GasFeeCap, GasPremium, Method, Params), its CID that of those bytes, and
// its JSON form Lotus's (the fields plus "CID").
type Message = wire.Message

// DecodeMessage decodes a block holding one unsigned message. Like the
// chain's own decoder it keeps whatever version the bytes carry; validity is
// the VM's concern (vm.DecodeMessage refuses other versions).
func DecodeMessage(b []byte) (*Message, error) {
	var m Message
	if err := cborseq.DecodeExact("message", b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// SignedMessage is a message with its sender's signature, as blocks store
// secp256k1 messages: the CBOR tuple [message, signature].
type SignedMessage struct {
	Message   Message
	Signature crypto.Signature
}

// MarshalCBOR writes [message, signature].
func (sm *SignedMessage) MarshalCBOR(w io.Writer) error {
	e := cborseq.NewWriter(w)
	e.Array(2)
	e.Value(&sm.Message)
	e.Value(&sm.Signature)
	if err := e.Err(); err != nil {
		return fmt.Errorf("encode signed message: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads [message, signature].
func (sm *SignedMessage) UnmarshalCBOR(r io.Reader) error {
	*sm = SignedMessage{}
	d := cborseq.NewReader(r)
	d.Array("signed message", 2)
	d.Value("message", &sm.Message)
	d.Value("signature", &sm.Signature)
	if err := d.Err(); err != nil {
		return fmt.Errorf("decode signed message: %w", err)
	}
	return nil
}

// Bytes returns the signed message's CBOR encoding.
func (sm *SignedMessage) Bytes() ([]byte, error) { return cborseq.Encode(sm) }

// Cid returns the CID the chain knows the message by: a BLS-signed
// message is known by its unsigned CID (its signature is aggregated into
// the block), any other by the CID of the signed encoding.
func (sm *SignedMessage) Cid() (cid.Cid, error) {
	if sm.Signature.Type == crypto.SigTypeBLS {
		return sm.Message.Cid()
	}
	b, err := sm.Bytes()
	if err != nil {
		return cid.Undef, err
	}
	return cidOf(b)
}

// DecodeSignedMessage decodes a block holding one signed message.
func DecodeSignedMessage(b []byte) (*SignedMessage, error) {
	var sm SignedMessage
	if err := cborseq.DecodeExact("signed message", b, &sm); err != nil {
		return nil, err
	}
	return &sm, nil
}

type rawSignedMessage SignedMessage

type signedMessageJSON struct {
	*rawSignedMessage
	CID cid.Cid
}

// MarshalJSON writes Lotus's form: {"Message": {...}, "Signature": {"Type":
// n, "Data": base64}, "CID": ...}.
func (sm *SignedMessage) MarshalJSON() ([]byte, error) {
	c, err := sm.Cid()
	if err != nil {
		return nil, err
	}
	return json.Marshal(&signedMessageJSON{rawSignedMessage: (*rawSignedMessage)(sm), CID: c})
}

// UnmarshalJSON reads Lotus's form; a "CID" sent along must match.
func (sm *SignedMessage) UnmarshalJSON(b []byte) error {
	*sm = SignedMessage{}
	j := signedMessageJSON{rawSignedMessage: (*rawSignedMessage)(sm)}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("signed message: %w", err)
	}
	if j.CID.Defined() {
		c, err := sm.Cid()
		if err != nil {
			return err
		}
		if c != j.CID {
			return fmt.Errorf("signed message: sent with CID %s, its fields hash to %s", j.CID, c)
		}
	}
	return nil
}

// MessageReceipt is the outcome of one message: the CBOR tuple [exit code,
// return, gas used], and from network version 18 (V1) a fourth field, the
// root of the message's events AMT, null when it emitted none.
type MessageReceipt struct {
	ExitCode exitcode.ExitCode
	Return   []byte
	GasUsed  int64
	// V1 marks the four-field receipt of network version 18 and later
	// (which Lotus's JSON does not say).
	V1 bool `json:"-"`
	// EventsRoot is the events AMT root of a V1 receipt (nil: none,
	// encoded as null).
	EventsRoot *cid.Cid `json:",omitempty"`
}

// MarshalCBOR writes the 3-field tuple, or the 4-field one of a V1
// receipt.
func (r *MessageReceipt) MarshalCBOR(w io.Writer) error {
	e := cborseq.NewWriter(w)
	if r.V1 {
		e.Array(4)
	} else {
		e.Array(3)
	}
	e.Int(int64(r.ExitCode))
	e.Bytes(r.Return)
	e.Int(r.GasUsed)
	if r.V1 {
		if r.EventsRoot != nil {
			e.Cid(*r.EventsRoot)
		} else {
			e.Null()
		}
	}
	if err := e.Err(); err != nil {
		return fmt.Errorf("encode receipt: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads the 3-field tuple or the 4-field V1 one.
func (r *MessageReceipt) UnmarshalCBOR(rd io.Reader) error {
	*r = MessageReceipt{}
	d := cborseq.NewReader(rd)
	n := d.Array("receipt", -1)
	if d.Err() == nil && n != 3 && n != 4 {
		return fmt.Errorf("decode receipt: array of %d items, want 3 or 4 (with an events root)", n)
	}
	code := d.Int("exit code")
	r.Return = d.Bytes("return")
	r.GasUsed = d.Int("gas used")
	if n == 4 {
		r.V1 = true
		if !d.IsNull() {
			c := d.Cid("events root")
			r.EventsRoot = &c
		}
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("decode receipt: %w", err)
	}
	r.ExitCode = exitcode.ExitCode(code)
	return nil
}

// TxMeta is what a block's Messages CID points to: the roots of two AMTs
// of message CIDs, BLS messages first, then secp256k1 (signed) messages.
type TxMeta struct {
	BlsMessages   cid.Cid
	SecpkMessages cid.Cid
}

// MarshalCBOR writes the 2-field tuple.
func (t *TxMeta) MarshalCBOR(w io.Writer) error {
	e := cborseq.NewWriter(w)
	e.Array(2)
	e.Cid(t.BlsMessages)
	e.Cid(t.SecpkMessages)
	if err := e.Err(); err != nil {
		return fmt.Errorf("encode txmeta: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads the 2-field tuple.
func (t *TxMeta) UnmarshalCBOR(r io.Reader) error {
	*t = TxMeta{}
	d := cborseq.NewReader(r)
	d.Array("txmeta", 2)
	t.BlsMessages = d.Cid("bls messages")
	t.SecpkMessages = d.Cid("secpk messages")
	if err := d.Err(); err != nil {
		return fmt.Errorf("decode txmeta: %w", err)
	}
	return nil
}

// BlockMessages is what one block includes, as Lotus's
// ChainGetBlockMessages returns it. Cids lists the BLS messages' CIDs
// followed by the signed messages' CIDs (see SignedMessage.Cid), in block
// order; a message may also appear in other blocks of the tipset.
type BlockMessages struct {
	BlsMessages   []*Message
	SecpkMessages []*SignedMessage
	Cids          []cid.Cid
}

// ParentMessage is one message the parent tipset executed, as Lotus's
// ChainGetParentMessages returns it: Cid is the CID the chain knows it by
// (the signed CID for a secp256k1 message) and Message the unsigned message.
type ParentMessage struct {
	Cid     cid.Cid
	Message *Message
}

// MessageLookup says where a message was executed, as Lotus's
// StateSearchMsg returns it. TipSet and Height name the tipset whose parent
// state includes the message's effects (the child of the tipset that
// included it). Message is the CID found, which differs from the one asked
// for only when a replacement (same call, other gas values) was executed and
// replacements were allowed.
type MessageLookup struct {
	Message cid.Cid
	Receipt MessageReceipt
	TipSet  TipSetKey
	Height  abi.ChainEpoch
}
