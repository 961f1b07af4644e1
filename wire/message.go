package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// Message is an unsigned Filecoin message: its CBOR form is the 10-field
// tuple in this field order and its CID that of those bytes. It is the one
// message type of tvx: the chain stores it, the VMs execute it. Decoding
// keeps whatever version the bytes carry; which versions are valid is the
// VM's concern.
type Message struct {
	Version    uint64
	To         address.Address
	From       address.Address
	Nonce      uint64
	Value      abi.TokenAmount
	GasLimit   int64
	GasFeeCap  abi.TokenAmount
	GasPremium abi.TokenAmount
	Method     abi.MethodNum
	Params     []byte
}

// secpSignatureLen is the length of a secp256k1 signature; the chain stores
// secp messages signed, so their on-chain size includes one.
const secpSignatureLen = 65

// Serialize returns the message's CBOR encoding.
func (m *Message) Serialize() ([]byte, error) { return cborseq.Encode(m) }

// ChainLength is the size the message occupies on chain, which prices its
// inclusion: messages from secp256k1 senders are stored signed (a
// [message, signature] pair), all others bare.
func (m *Message) ChainLength() (int, error) {
	b, err := m.Serialize()
	if err != nil {
		return 0, err
	}
	if m.From.Protocol() != address.SECP256K1 {
		return len(b), nil
	}
	var buf bytes.Buffer
	// [message, signature]; a signature is a byte string of type byte + data.
	if err := cbg.WriteMajorTypeHeader(&buf, cbg.MajArray, 2); err != nil {
		return 0, err
	}
	buf.Write(b)
	if err := cbg.WriteMajorTypeHeader(&buf, cbg.MajByteString, 1+secpSignatureLen); err != nil {
		return 0, err
	}
	return buf.Len() + 1 + secpSignatureLen, nil
}

// MarshalCBOR writes the 10-tuple encoding.
func (m *Message) MarshalCBOR(w io.Writer) error {
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajArray, 10); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, m.Version); err != nil {
		return err
	}
	if err := m.To.MarshalCBOR(w); err != nil {
		return err
	}
	if err := m.From.MarshalCBOR(w); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, m.Nonce); err != nil {
		return err
	}
	if err := m.Value.MarshalCBOR(w); err != nil {
		return err
	}
	if err := writeInt64(w, m.GasLimit); err != nil {
		return err
	}
	if err := m.GasFeeCap.MarshalCBOR(w); err != nil {
		return err
	}
	if err := m.GasPremium.MarshalCBOR(w); err != nil {
		return err
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, uint64(m.Method)); err != nil {
		return err
	}
	if len(m.Params) > cbg.ByteArrayMaxLen {
		return fmt.Errorf("params: %d bytes is too long", len(m.Params))
	}
	if err := cbg.WriteMajorTypeHeader(w, cbg.MajByteString, uint64(len(m.Params))); err != nil {
		return err
	}
	_, err := w.Write(m.Params)
	return err
}

func writeInt64(w io.Writer, v int64) error {
	if v >= 0 {
		return cbg.WriteMajorTypeHeader(w, cbg.MajUnsignedInt, uint64(v))
	}
	return cbg.WriteMajorTypeHeader(w, cbg.MajNegativeInt, uint64(-v-1))
}

// UnmarshalCBOR reads the 10-tuple encoding.
func (m *Message) UnmarshalCBOR(r io.Reader) error {
	br := cbg.GetPeeker(r)
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajArray || n != 10 {
		return fmt.Errorf("want a 10-tuple, got major type %d length %d", maj, n)
	}
	uint64Field := func(name string) (uint64, error) {
		maj, v, err := cbg.CborReadHeader(br)
		if err != nil {
			return 0, fmt.Errorf("field %s: %w", name, err)
		}
		if maj != cbg.MajUnsignedInt {
			return 0, fmt.Errorf("field %s: want an unsigned int, got major type %d", name, maj)
		}
		return v, nil
	}
	bigField := func(name string, out *big.Int) error {
		if err := out.UnmarshalCBOR(br); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		return nil
	}
	if m.Version, err = uint64Field("version"); err != nil {
		return err
	}
	if err := m.To.UnmarshalCBOR(br); err != nil {
		return fmt.Errorf("field to: %w", err)
	}
	if err := m.From.UnmarshalCBOR(br); err != nil {
		return fmt.Errorf("field from: %w", err)
	}
	if m.Nonce, err = uint64Field("nonce"); err != nil {
		return err
	}
	if err := bigField("value", &m.Value); err != nil {
		return err
	}
	maj, v, err := cbg.CborReadHeader(br)
	if err != nil {
		return fmt.Errorf("field gas limit: %w", err)
	}
	switch {
	case maj == cbg.MajUnsignedInt && v <= 1<<63-1:
		m.GasLimit = int64(v)
	case maj == cbg.MajNegativeInt && v <= 1<<63-1:
		m.GasLimit = -1 - int64(v)
	default:
		return fmt.Errorf("field gas limit: not an int64")
	}
	if err := bigField("gas fee cap", &m.GasFeeCap); err != nil {
		return err
	}
	if err := bigField("gas premium", &m.GasPremium); err != nil {
		return err
	}
	method, err := uint64Field("method")
	if err != nil {
		return err
	}
	m.Method = abi.MethodNum(method)
	maj, n, err = cbg.CborReadHeader(br)
	if err != nil {
		return fmt.Errorf("field params: %w", err)
	}
	if maj != cbg.MajByteString {
		return fmt.Errorf("field params: want a byte string, got major type %d", maj)
	}
	if n > cbg.ByteArrayMaxLen {
		return fmt.Errorf("field params: %d bytes is too long", n)
	}
	// Empty params decode as nil, as the chain's own decoder leaves them
	// (Lotus's JSON then shows null).
	m.Params = nil
	if n > 0 {
		m.Params = make([]byte, n)
		if _, err := io.ReadFull(br, m.Params); err != nil {
			return fmt.Errorf("field params: %w", err)
		}
	}
	return nil
}

// Cid returns the CID the chain knows an unsigned message by: the
// BLAKE2b-256 dag-cbor CID of its encoding.
func (m *Message) Cid() (cid.Cid, error) {
	b, err := m.Serialize()
	if err != nil {
		return cid.Undef, fmt.Errorf("encode message: %w", err)
	}
	c, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum(b)
	if err != nil {
		return cid.Undef, fmt.Errorf("message CID: %w", err)
	}
	return c, nil
}

// SameCall reports whether m and o make the same call (from, to, nonce,
// value, method, params), whatever their gas fields: such a message can
// replace another in the message pool and carry its identity.
func (m *Message) SameCall(o *Message) bool {
	a, b := *m, *o
	a.GasLimit, b.GasLimit = 0, 0
	a.GasFeeCap, b.GasFeeCap = big.Zero(), big.Zero()
	a.GasPremium, b.GasPremium = big.Zero(), big.Zero()
	ab, err1 := a.Serialize()
	bb, err2 := b.Serialize()
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

// rawMessage has Message's fields without its methods, so JSON encoding can
// add the CID without recursing.
type rawMessage Message

type messageJSON struct {
	*rawMessage
	CID cid.Cid
}

// MarshalJSON writes Lotus's API form: the fields plus "CID".
func (m *Message) MarshalJSON() ([]byte, error) {
	c, err := m.Cid()
	if err != nil {
		return nil, err
	}
	return json.Marshal(&messageJSON{rawMessage: (*rawMessage)(m), CID: c})
}

// UnmarshalJSON reads Lotus's API form. A "CID" sent along must be the
// message's own.
func (m *Message) UnmarshalJSON(b []byte) error {
	var j messageJSON
	j.rawMessage = (*rawMessage)(m)
	*m = Message{}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if j.CID.Defined() {
		c, err := m.Cid()
		if err != nil {
			return err
		}
		if c != j.CID {
			return fmt.Errorf("message: sent with CID %s, its fields hash to %s", j.CID, c)
		}
	}
	return nil
}
