package vm

import (
	"fmt"

	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/wire"
)

// Message is the unsigned message the VM executes: the chain's own
// (package wire), so a message read from a chain runs as it is.
type Message = wire.Message

// MessageVersion is the only message version the chain accepts.
const MessageVersion = 0

// DecodeMessage decodes the CBOR encoding of an unsigned message (a
// 10-tuple) and rejects any version but MessageVersion.
func DecodeMessage(b []byte) (*Message, error) {
	var m Message
	if err := cborseq.DecodeExact("message", b, &m); err != nil {
		return nil, err
	}
	if m.Version != MessageVersion {
		return nil, fmt.Errorf("decode message: version %d, want %d", m.Version, MessageVersion)
	}
	return &m, nil
}
