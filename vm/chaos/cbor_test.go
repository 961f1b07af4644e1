package chaos

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/cbor"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// chaosCIDTag is CodeCID as a CBOR link: tag 42, then a 16-byte string holding
// the 0x00 multibase prefix and the 15 CID bytes.
const chaosCIDTag = "d82a50" + "00" + "0155000b66696c2f312f6368616f73"

// abiCmp compares decoded values: addresses and CIDs by value, token amounts
// numerically, and nil and empty slices alike (CBOR cannot tell them apart).
var abiCmp = cmp.Options{
	cmp.Comparer(func(a, b address.Address) bool { return a == b }),
	cmp.Comparer(func(a, b cid.Cid) bool { return a.Equals(b) }),
	cmp.Comparer(func(a, b big.Int) bool { return big.Cmp(a, b) == 0 }),
	cmpopts.EquateEmpty(),
}

// TestEncodings pins each ABI type's encoding to bytes written out by hand from
// the CBOR rules (tuple of fields, addresses as byte strings, token amounts as
// sign-prefixed big-endian byte strings), and checks decoding gives the value back.
func TestEncodings(t *testing.T) {
	f0100, f0101, f01000 := idAddr(t, 100), idAddr(t, 101), idAddr(t, 1000)
	cases := []struct {
		name string
		v    cbor.Er
		hex  string
	}{
		{"state-empty", &State{}, "82" + "60" + "80"},
		{"state-value", &State{Value: "ab"}, "82" + "626162" + "80"},
		{"caller-validation", &CallerValidationArgs{Branch: CallerValidationBranchIsAddress,
			Addrs: []address.Address{f0100}, Types: []cid.Cid{CodeCID}},
			"83" + "02" + "81420064" + "81" + chaosCIDTag},
		{"caller-validation-negative", &CallerValidationArgs{Branch: -1}, "83" + "20" + "80" + "80"},
		{"create-actor", &CreateActorArgs{ActorCID: CodeCID, UndefAddress: true, Address: f01000},
			"84" + "f4" + chaosCIDTag + "f5" + "4300e807"},
		{"resolve-address", &ResolveAddressResponse{Address: f0101, Success: true}, "82" + "420065" + "f5"},
		{"send-args", &SendArgs{To: f0101, Value: big.NewInt(42), Method: 3, Params: []byte{0x81, 0x05}},
			"84" + "420065" + "42002a" + "03" + "428105"},
		{"send-args-zero", &SendArgs{To: f0101, Value: big.Zero()}, "84" + "420065" + "40" + "00" + "40"},
		{"send-return", &SendReturn{Return: []byte{0xf6}, Code: 16}, "82" + "41f6" + "10"},
		{"mutate-state", &MutateStateArgs{Value: "ab", Branch: MutateAfterTransaction}, "82" + "626162" + "02"},
		{"abort-with", &AbortWithArgs{Code: -1, Message: "x", Uncontrolled: true}, "83" + "20" + "6178" + "f5"},
		{"inspect-runtime", &InspectRuntimeReturn{Caller: f0100, Receiver: Address, ValueReceived: big.NewInt(-1),
			CurrEpoch: -5, CurrentBalance: big.Zero(), State: State{Value: "v"}},
			"86" + "420064" + "420062" + "420101" + "24" + "40" + "82617680"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.v.MarshalCBOR(&buf); err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if got := hex.EncodeToString(buf.Bytes()); got != tc.hex {
				t.Errorf("encoding\n got %s\nwant %s", got, tc.hex)
			}
			back := reflect.New(reflect.TypeOf(tc.v).Elem()).Interface().(cbor.Er)
			if err := back.UnmarshalCBOR(bytes.NewReader(buf.Bytes())); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if diff := cmp.Diff(tc.v, back, abiCmp); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodingFailures covers the values the ABI cannot carry: they must fail
// with an error (the runtime turns that into an exit code), not panic.
func TestEncodingFailures(t *testing.T) {
	var buf bytes.Buffer
	if err := (&State{Unmarshallable: []*UnmarshallableCBOR{{}}}).MarshalCBOR(&buf); err == nil {
		t.Error("marshalling a State with an UnmarshallableCBOR succeeded")
	}
	var st State
	// ["", [[]]]: one element, which UnmarshallableCBOR refuses to read.
	if err := st.UnmarshalCBOR(bytes.NewReader([]byte{0x82, 0x60, 0x81, 0x80})); err == nil {
		t.Error("unmarshalling a State with an Unmarshallable element succeeded")
	}
	buf.Reset()
	if err := (&CreateActorArgs{UndefActorCID: true}).MarshalCBOR(&buf); err == nil {
		t.Error("marshalling CreateActorArgs with an undefined CID succeeded; the flags exist because it cannot")
	}
	var ma MutateStateArgs
	// A three-field tuple where two are expected.
	if err := ma.UnmarshalCBOR(bytes.NewReader([]byte{0x83, 0x60, 0x00, 0x00})); err == nil {
		t.Error("unmarshalling MutateStateArgs from a 3-tuple succeeded")
	}
}

// TestGeneratedCodeCurrent regenerates the encoders from ABITypes and requires
// the committed cbor_gen.go to match, so a type edited without running
// `go generate` cannot ship with stale encoders.
func TestGeneratedCodeCurrent(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "cbor_gen.go")
	if err := cbg.WriteTupleEncodersToFile(fresh, "chaos", ABITypes()...); err != nil {
		t.Fatalf("generate: %v", err)
	}
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("cbor_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("cbor_gen.go is stale: run `go generate ./vm/chaos`")
	}
}
