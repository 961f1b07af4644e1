package vm

import (
	"bytes"
	"testing"

	"github.com/tvx-project/tvx/internal/fuzzwatch"
	"github.com/tvx-project/tvx/schema"
)

// FuzzDecodeMessage checks that message decoding never panics or hangs,
// and that a message it accepts re-encodes to bytes that decode to the
// same message. (Not to the same bytes: big integers with leading zero
// bytes decode, as the fuzzer found — testdata/fuzz/FuzzDecodeMessage.)
func FuzzDecodeMessage(f *testing.F) {
	for _, p := range []string{
		"../corpus/public/multisig/basic--ok-create--genesis.json",
		"../corpus/public/transfer/unknown_accounts--fail-unknown-sender-unknown-receiver--genesis.json",
	} {
		if v, err := schema.LoadFile(p); err == nil {
			for _, m := range v.ApplyMessages {
				f.Add([]byte(m.Bytes))
			}
		}
	}
	f.Add([]byte{0x8a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		defer fuzzwatch.Start("DecodeMessage")()
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		enc, err := m.Serialize()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("re-encoded message %x does not decode: %v", enc, err)
		}
		if enc2, _ := m2.Serialize(); !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable round trip: %x then %x", enc, enc2)
		}
	})
}
