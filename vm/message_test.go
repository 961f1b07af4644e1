package vm

import (
	"bytes"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
)

func TestMessageRoundTripAndRejects(t *testing.T) {
	to, _ := address.NewIDAddress(101)
	from, _ := address.NewIDAddress(100)
	m := &Message{To: to, From: from, Nonce: 3, Value: abi.NewTokenAmount(-5), GasLimit: 1 << 40,
		GasFeeCap: abi.NewTokenAmount(200), GasPremium: abi.NewTokenAmount(1), Method: 7, Params: []byte{1, 2}}
	b, err := m.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Serialize()
	if !bytes.Equal(b, again) || !got.Value.Equals(m.Value) || got.GasLimit != m.GasLimit {
		t.Fatalf("round trip changed the message: %+v", got)
	}
	// Non-secp senders are stored unsigned.
	if n, _ := got.ChainLength(); n != len(b) {
		t.Errorf("chain length %d for an unsigned %d-byte message", n, len(b))
	}

	bad := append([]byte(nil), b...)
	bad[1] = 1 // version 1
	if _, err := DecodeMessage(bad); err == nil {
		t.Error("version 1 accepted")
	}
	if _, err := DecodeMessage(append(b, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	for i := 0; i < len(b); i++ {
		if _, err := DecodeMessage(b[:i]); err == nil {
			t.Errorf("truncation to %d bytes accepted", i)
		}
	}
}
