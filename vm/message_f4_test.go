package vm_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// TestDelegatedAddressMessagesRoundTrip rewrites the messages of a real
// nv18 vector to be from and to f4 (EAM) addresses, as an Ethereum
// account's transaction is, writes the vector out and reads it back: the
// message bytes survive byte for byte, decode to the same addresses, and
// the addresses print in the f410f form and parse back.
func TestDelegatedAddressMessagesRoundTrip(t *testing.T) {
	path := filepath.Join(testcorpus.FVMSet(t, "nv18-hygge"), "fil_10_storagemarket", "AddBalance")
	files, err := schema.Walk(path)
	if err != nil || len(files) == 0 {
		t.Fatalf("walk %s: %v (%d files)", path, err, len(files))
	}
	v, err := schema.LoadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	from, err := address.NewDelegatedAddress(10, bytes.Repeat([]byte{0x5a}, 20))
	if err != nil {
		t.Fatal(err)
	}
	to, err := address.NewDelegatedAddress(10, bytes.Repeat([]byte{0xa5}, 20))
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]byte, len(v.ApplyMessages))
	for i := range v.ApplyMessages {
		m, err := vm.DecodeMessage(v.ApplyMessages[i].Bytes)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		m.From, m.To = from, to
		if want[i], err = m.Serialize(); err != nil {
			t.Fatal(err)
		}
		v.ApplyMessages[i].Bytes = want[i]
	}
	out, err := schema.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := schema.Decode("rewritten", out)
	if err != nil {
		t.Fatal(err)
	}
	for i, am := range back.ApplyMessages {
		if !bytes.Equal(am.Bytes, want[i]) {
			t.Fatalf("message %d bytes changed through the vector's JSON", i)
		}
		m, err := vm.DecodeMessage(am.Bytes)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if m.From != from || m.To != to {
			t.Errorf("message %d: from %s to %s, want %s, %s", i, m.From, m.To, from, to)
		}
		again, err := m.Serialize()
		if err != nil || !bytes.Equal(again, want[i]) {
			t.Errorf("message %d: re-encoding differs (%v)", i, err)
		}
		// An f4 sender's message is priced bare, as the reference driver
		// prices every non-secp256k1 sender of a vector.
		if n, err := m.ChainLength(); err != nil || n != len(want[i]) {
			t.Errorf("message %d: chain length %d (%v), want %d", i, n, err, len(want[i]))
		}
	}
	for _, a := range []address.Address{from, to} {
		s := a.String()
		if !strings.HasPrefix(s[1:], "410f") {
			t.Errorf("%s does not print as an f410f/t410f address", s)
		}
		p, err := address.NewFromString(s)
		if err != nil || p != a {
			t.Errorf("parse %s: %v, %v", s, p, err)
		}
		j, _ := json.Marshal(a)
		var fromJSON address.Address
		if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != a {
			t.Errorf("JSON %s: %v, %v", j, fromJSON, err)
		}
	}
}
