package vm

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
)

// This file holds what the chain side (package chain, extraction, the
// JSON-RPC client) needs from a message beyond executing it, so that one
// Message type serves the VM and the chain alike.

// Cid returns the CID the chain knows an unsigned message by (MessageCID).
func (m *Message) Cid() (cid.Cid, error) { return MessageCID(m) }

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
