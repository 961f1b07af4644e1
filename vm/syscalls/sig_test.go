package syscalls

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/specs-actors/actors/builtin"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	market0 "github.com/filecoin-project/specs-actors/actors/builtin/market"
	paych0 "github.com/filecoin-project/specs-actors/actors/builtin/paych"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/tvx-project/tvx/internal/cborseq"
)

// signedPayload is a real signature with what it signs and who signed it.
type signedPayload struct {
	origin    string
	sig       crypto.Signature
	signer    address.Address
	plaintext []byte
}

// dealProposalSignatures returns the client signatures of the deal
// proposals in the corpus's PublishStorageDeals messages (mainnet data), with
// the proposal bytes the market actor verifies them over and the client's
// key address from the pre-state.
func dealProposalSignatures(t testing.TB) []signedPayload {
	t.Helper()
	var out []signedPayload
	for _, v := range loadVectors(t, "/PublishStorageDeals/") {
		store := v.store(t)
		actors := actorsMap(t, store, rootCID(t, v, v.Pre.StateTree.RootCID))
		for _, raw := range v.ApplyMessages {
			m := decodeMessage(t, raw.Bytes)
			if m.To != builtin.StorageMarketActorAddr || m.Method != uint64(builtin.MethodsMarket.PublishStorageDeals) {
				continue
			}
			var params market0.PublishStorageDealsParams
			if err := params.UnmarshalCBOR(bytes.NewReader(m.Params)); err != nil {
				t.Fatalf("%s: params: %v", v.name(), err)
			}
			for _, d := range params.Deals {
				var buf bytes.Buffer
				if err := d.Proposal.MarshalCBOR(&buf); err != nil {
					t.Fatal(err)
				}
				out = append(out, signedPayload{
					origin:    v.name(),
					sig:       d.ClientSignature,
					signer:    keyAddress(t, store, actors, d.Proposal.Client),
					plaintext: buf.Bytes(),
				})
			}
		}
	}
	return out
}

// voucherSignatures returns the signed vouchers of the corpus's payment
// channel vectors. The signer is the channel party that did not send the
// UpdateChannelState message, as the payment channel actor requires; the
// parties come from the vector's channel-creating Exec message.
func voucherSignatures(t testing.TB) []signedPayload {
	t.Helper()
	var out []signedPayload
	for _, v := range loadVectors(t, "paych--") {
		var parties *paych0.ConstructorParams
		for _, raw := range v.ApplyMessages {
			m := decodeMessage(t, raw.Bytes)
			switch {
			case m.To == builtin.InitActorAddr && m.Method == uint64(builtin.MethodsInit.Exec):
				var exec init0.ExecParams
				if err := exec.UnmarshalCBOR(bytes.NewReader(m.Params)); err != nil {
					t.Fatalf("%s: exec params: %v", v.name(), err)
				}
				parties = new(paych0.ConstructorParams)
				if err := parties.UnmarshalCBOR(bytes.NewReader(exec.ConstructorParams)); err != nil {
					t.Fatalf("%s: constructor params: %v", v.name(), err)
				}
			case m.Method == uint64(builtin.MethodsPaych.UpdateChannelState) && parties != nil:
				// The voucher is the first field of the params tuple in
				// every actors version.
				cr := cborseq.NewReader(bytes.NewReader(m.Params))
				cr.Array("update params", -1)
				var sv paych0.SignedVoucher
				cr.Value("voucher", &sv)
				if err := cr.Err(); err != nil {
					t.Fatalf("%s: update params: %v", v.name(), err)
				}
				plaintext, err := sv.SigningBytes()
				if err != nil {
					t.Fatal(err)
				}
				signer := parties.To
				if m.From == parties.To {
					signer = parties.From
				}
				out = append(out, signedPayload{origin: v.name(), sig: *sv.Signature, signer: signer, plaintext: plaintext})
			}
		}
	}
	return out
}

func TestVerifySignatureOnCorpusData(t *testing.T) {
	payloads := append(dealProposalSignatures(t), voucherSignatures(t)...)
	counts := map[crypto.SigType]int{}
	for _, p := range payloads {
		if err := VerifySignature(p.sig, p.signer, p.plaintext); err != nil {
			t.Errorf("%s: signature by %s: %v", p.origin, p.signer, err)
			continue
		}
		counts[p.sig.Type]++
		// Any change to the signed bytes must break the signature.
		tampered := append([]byte(nil), p.plaintext...)
		tampered[len(tampered)/2] ^= 0x01
		if err := VerifySignature(p.sig, p.signer, tampered); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: tampered plaintext: got %v, want ErrBadSignature", p.origin, err)
		}
	}
	if counts[crypto.SigTypeSecp256k1] == 0 || counts[crypto.SigTypeBLS] == 0 {
		t.Fatalf("verified %d secp256k1 and %d BLS corpus signatures; want both kinds", counts[crypto.SigTypeSecp256k1], counts[crypto.SigTypeBLS])
	}
	t.Logf("verified %d secp256k1 and %d BLS real signatures from the corpus", counts[crypto.SigTypeSecp256k1], counts[crypto.SigTypeBLS])

	// A signature checked against another real key of the same kind fails.
	var secp, bls []signedPayload
	for _, p := range payloads {
		if p.sig.Type == crypto.SigTypeSecp256k1 {
			secp = append(secp, p)
		} else {
			bls = append(bls, p)
		}
	}
	for _, group := range [][]signedPayload{secp, bls} {
		for _, other := range group {
			if other.signer != group[0].signer {
				if err := VerifySignature(group[0].sig, other.signer, group[0].plaintext); !errors.Is(err, ErrBadSignature) {
					t.Errorf("signature by %s checked against %s: got %v, want ErrBadSignature", group[0].signer, other.signer, err)
				}
				break
			}
		}
	}
}

// lotusSignedMessages are BLS-signed messages from Filecoin's published
// serialization vectors (filecoin-project/serialization-vectors,
// message_signing.json): the signer, the message CID bytes it signed, its
// secret key (little-endian, as Filecoin stores BLS keys) and the signature.
var lotusSignedMessages = []struct {
	from, cidHex, secretB64, sigHex string
}{
	{
		"t3sogjuub37grt2tuvvlxbiamthwxenf2dwgq6sn7gpj72c5omg7gojjplsdsovgq6g3aagwerkght3e7boqfq",
		"0171a0e40220cebe89d62b1ff3c34a26d112fd0d1c71debefce08214cce0cdaaf67d532fbfeb",
		"pyBOAP9camcZANKedHE+oaqPgtsOd/qBvOAO1YfvLVY=",
		"b181d48fa37b09bf3a03ca533f2681f36cdd79e9b21ddfad654e1576c9ba6f3d8695a78b0b9b6c737497d50ec5af9a5103981785cc78203faf0ea0d53bb6409d3a0a696799d96af6f12f9be2d1963b0a981f1f23924be4972c8d279c0ae1babe",
	},
	{
		"t3unbjghaftrz676njfgakmfwvirbu5kxpafb57ex2s4sd7p2e5un2mru5fn3l2hnahcqsxtvwxy5j2cdtlaaa",
		"0171a0e4022085f14c26af4fee87f75ce11fb3f98f5bab2010992eaa52211c04ce677302cf40",
		"up1tp2I6oAPrSyiAW1chA9Uo32DiPy+nDb5Sl7BXmT0=",
		"91f790edec90f91b378e0bf68a0876c391f8cfcfa56905edb60ebc43984fb1fd6f96e88e8d715610b4b51eb32a47bc5a0d1e90db28d72c3766c66f89b05afa30d4946dd0c1057b221fd693532c5cddc03d2e2e5067479dda4fe82873e1a5e0e1",
	},
}

func TestVerifySignatureLotusBLSVectors(t *testing.T) {
	for i, v := range lotusSignedMessages {
		from, err := address.NewFromString(v.from)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := hex.DecodeString(v.cidHex)
		sig, _ := hex.DecodeString(v.sigHex)
		if err := VerifySignature(crypto.Signature{Type: crypto.SigTypeBLS, Data: sig}, from, msg); err != nil {
			t.Errorf("vector %d: %v", i, err)
		}
		// The published secret key, read little-endian, derives the address
		// and re-signs to the same (deterministic) signature: this pins the
		// key conventions the consensus-fault tests rely on.
		secretLE, _ := base64.StdEncoding.DecodeString(v.secretB64)
		sk := new(blst.SecretKey).FromLEndian(secretLE)
		if sk == nil {
			t.Fatalf("vector %d: secret key does not parse", i)
		}
		if got := blsAddress(t, sk); got != from {
			t.Errorf("vector %d: key derives %s, vector says %s", i, got, from)
		}
		if again := blsSign(sk, msg); !bytes.Equal(again.Data, sig) {
			t.Errorf("vector %d: re-signing gives %x", i, again.Data)
		}
		other, _ := address.NewFromString(lotusSignedMessages[(i+1)%len(lotusSignedMessages)].from)
		if err := VerifySignature(crypto.Signature{Type: crypto.SigTypeBLS, Data: sig}, other, msg); !errors.Is(err, ErrBadSignature) {
			t.Errorf("vector %d against another key: got %v, want ErrBadSignature", i, err)
		}
	}
}

func blsAddress(t testing.TB, sk *blst.SecretKey) address.Address {
	t.Helper()
	a, err := address.NewBLSAddress(new(blst.P1Affine).From(sk).Compress())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func blsSign(sk *blst.SecretKey, msg []byte) crypto.Signature {
	return crypto.Signature{Type: crypto.SigTypeBLS, Data: new(blst.P2Affine).Sign(sk, msg, blsDST).Compress()}
}

func TestVerifySignatureRejectsMalformedInput(t *testing.T) {
	payloads := dealProposalSignatures(t)
	var secp, bls signedPayload
	for _, p := range payloads {
		switch p.sig.Type {
		case crypto.SigTypeSecp256k1:
			secp = p
		case crypto.SigTypeBLS:
			bls = p
		}
	}
	if secp.sig.Data == nil || bls.sig.Data == nil {
		t.Fatal("need one corpus signature of each kind")
	}
	id, _ := address.NewIDAddress(1000)
	actor, _ := address.NewActorAddress([]byte("paych"))
	withData := func(p signedPayload, data []byte) crypto.Signature {
		return crypto.Signature{Type: p.sig.Type, Data: data}
	}
	recID := append([]byte(nil), secp.sig.Data...)
	recID[64] = 4
	zeroR := append([]byte(nil), secp.sig.Data...)
	copy(zeroR[:32], make([]byte, 32))
	// 0xc0 followed by zeros is the compressed point at infinity.
	infinityG2 := make([]byte, BLSSignatureLen)
	infinityG2[0] = 0xc0
	infinityG1 := make([]byte, BLSPublicKeyLen)
	infinityG1[0] = 0xc0
	infinityKey, _ := address.NewBLSAddress(infinityG1)
	notOnCurve := bytes.Repeat([]byte{0x8f}, BLSSignatureLen)

	cases := []struct {
		name   string
		sig    crypto.Signature
		signer address.Address
	}{
		{"unknown type", crypto.Signature{Type: 7, Data: secp.sig.Data}, secp.signer},
		{"secp: ID address", secp.sig, id},
		{"secp: undefined address", secp.sig, address.Undef},
		{"bls: undefined address", bls.sig, address.Undef},
		{"secp: actor address", secp.sig, actor},
		{"secp: BLS address", secp.sig, bls.signer},
		{"secp: empty", withData(secp, nil), secp.signer},
		{"secp: 64 bytes", withData(secp, secp.sig.Data[:64]), secp.signer},
		{"secp: 66 bytes", withData(secp, append(append([]byte(nil), secp.sig.Data...), 0)), secp.signer},
		{"secp: recovery id 4", withData(secp, recID), secp.signer},
		{"secp: r = 0", withData(secp, zeroR), secp.signer},
		{"bls: secp address", bls.sig, secp.signer},
		{"bls: ID address", bls.sig, id},
		{"bls: 95 bytes", withData(bls, bls.sig.Data[:95]), bls.signer},
		{"bls: 48-byte (G1-sized) signature", withData(bls, bls.sig.Data[:48]), bls.signer},
		{"bls: not a curve point", withData(bls, notOnCurve), bls.signer},
		{"bls: signature at infinity", withData(bls, infinityG2), bls.signer},
		{"bls: key at infinity", withData(bls, infinityG2), infinityKey},
	}
	for _, c := range cases {
		if err := VerifySignature(c.sig, c.signer, secp.plaintext); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// TestVerifySignatureConcurrent verifies the corpus signatures from many
// goroutines at once; run with -race.
func TestVerifySignatureConcurrent(t *testing.T) {
	payloads := append(dealProposalSignatures(t), voucherSignatures(t)...)
	var wg sync.WaitGroup
	failures := make(chan string, 8*len(payloads))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range payloads {
				p := payloads[(i+g)%len(payloads)]
				if err := VerifySignature(p.sig, p.signer, p.plaintext); err != nil {
					failures <- p.origin + ": " + err.Error()
				}
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

// TestVerifySignatureAcceptsHighS checks the malleated form (n - s, flipped
// parity) of a real signature still verifies: the chain recovers keys with
// libsecp256k1's recovery, which does not enforce low-s.
func TestVerifySignatureAcceptsHighS(t *testing.T) {
	checked := 0
	for _, p := range dealProposalSignatures(t) {
		if p.sig.Type != crypto.SigTypeSecp256k1 {
			continue
		}
		var s secp256k1.ModNScalar
		s.SetByteSlice(p.sig.Data[32:64])
		s.Negate()
		flipped := append([]byte(nil), p.sig.Data...)
		sb := s.Bytes()
		copy(flipped[32:64], sb[:])
		flipped[64] ^= 1
		if err := VerifySignature(crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: flipped}, p.signer, p.plaintext); err != nil {
			t.Errorf("%s: malleated signature: %v", p.origin, err)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no secp256k1 corpus signatures")
	}
}
