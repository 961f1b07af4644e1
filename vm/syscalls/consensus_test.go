package syscalls

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/filecoin-project/specs-actors/v2/actors/runtime"
	"github.com/ipfs/go-cid"
	blst "github.com/supranational/blst/bindings/go"
	"github.com/tvx-project/tvx/wire"
)

// signer signs block headers as a worker key would.
type signer interface {
	address() address.Address
	sign(msg []byte) crypto.Signature
}

type blsSigner struct {
	sk   *blst.SecretKey
	addr address.Address
}

// newBLSSigner derives a key from a fixed seed, so tests are reproducible.
func newBLSSigner(t testing.TB, seed byte) *blsSigner {
	t.Helper()
	ikm := make([]byte, 32)
	for i := range ikm {
		ikm[i] = seed + byte(i)
	}
	sk := blst.KeyGen(ikm)
	return &blsSigner{sk: sk, addr: blsAddress(t, sk)}
}

func (s *blsSigner) address() address.Address         { return s.addr }
func (s *blsSigner) sign(msg []byte) crypto.Signature { return blsSign(s.sk, msg) }

type secpSigner struct {
	key  *secp256k1.PrivateKey
	addr address.Address
}

func newSecpSigner(t testing.TB, seed byte) *secpSigner {
	t.Helper()
	var raw [32]byte
	for i := range raw {
		raw[i] = seed ^ byte(i*7+1)
	}
	key := secp256k1.PrivKeyFromBytes(raw[:])
	addr, err := address.NewSecp256k1Address(key.PubKey().SerializeUncompressed())
	if err != nil {
		t.Fatal(err)
	}
	return &secpSigner{key: key, addr: addr}
}

func (s *secpSigner) address() address.Address { return s.addr }

// sign produces Filecoin's r || s || recovery-id layout over blake2b-256.
func (s *secpSigner) sign(msg []byte) crypto.Signature {
	digest := HashBlake2b(msg)
	compact := ecdsa.SignCompact(s.key, digest[:], false)
	data := append(append([]byte(nil), compact[1:]...), compact[0]-27)
	return crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: data}
}

// faultEnv is a hand-built chain context: one miner whose worker key is
// fixed, and a record of the lookups made.
type faultEnv struct {
	epoch     abi.ChainEpoch
	nv        network.Version
	receiver  address.Address
	worker    address.Address
	workerErr error
	orange    abi.ChainEpoch // zero: the network has no Orange upgrade

	mu      sync.Mutex
	lookups []abi.ChainEpoch
}

func (e *faultEnv) CurrEpoch() abi.ChainEpoch       { return e.epoch }
func (e *faultEnv) NetworkVersion() network.Version { return e.nv }
func (e *faultEnv) Receiver() address.Address       { return e.receiver }
func (e *faultEnv) FaultBlackouts() []abi.ChainEpoch {
	if e.orange != 0 {
		return []abi.ChainEpoch{e.orange}
	}
	return nil
}
func (e *faultEnv) FaultFinalityLimit() bool { return e.nv >= network.Version7 }

func (e *faultEnv) WorkerKey(_ context.Context, miner address.Address, epoch abi.ChainEpoch) (address.Address, error) {
	e.mu.Lock()
	e.lookups = append(e.lookups, epoch)
	e.mu.Unlock()
	if miner != e.receiver {
		return address.Undef, fmt.Errorf("asked for the worker of %s, receiver is %s", miner, e.receiver)
	}
	if e.workerErr != nil {
		return address.Undef, e.workerErr
	}
	return e.worker, nil
}

var testMiner, _ = address.NewIDAddress(1000)

// header builds an unsigned header at height on parents; tag varies the
// messages root so otherwise equal headers differ.
func header(t testing.TB, height abi.ChainEpoch, parents []cid.Cid, tag string) *wire.BlockHeader {
	return &wire.BlockHeader{
		Miner:                 testMiner,
		Ticket:                &wire.Ticket{VRFProof: []byte("ticket " + tag)},
		ElectionProof:         &wire.ElectionProof{WinCount: 1, VRFProof: []byte("election")},
		BeaconEntries:         []wire.BeaconEntry{{Round: uint64(height) + 100, Data: []byte("beacon")}},
		WinPoStProof:          []proof.PoStProof{{PoStProof: abi.RegisteredPoStProof_StackedDrgWinning32GiBV1, ProofBytes: make([]byte, 192)}},
		Parents:               parents,
		ParentWeight:          big.NewInt(int64(height) * 1000),
		Height:                height,
		ParentStateRoot:       testCid(t, "state"),
		ParentMessageReceipts: testCid(t, "receipts"),
		Messages:              testCid(t, "messages "+tag),
		BLSAggregate:          &crypto.Signature{Type: crypto.SigTypeBLS, Data: make([]byte, 96)},
		Timestamp:             1600000000 + uint64(height)*30,
		ParentBaseFee:         big.NewInt(100),
	}
}

// signed signs h with s and returns its encoding.
func signed(t testing.TB, h *wire.BlockHeader, s signer) []byte {
	t.Helper()
	msg, err := h.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	sig := s.sign(msg)
	h.BlockSig = &sig
	b, err := h.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cidOf(t testing.TB, h *wire.BlockHeader) cid.Cid {
	t.Helper()
	c, err := h.Cid()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyConsensusFaultKinds(t *testing.T) {
	for _, s := range []signer{newBLSSigner(t, 1), newSecpSigner(t, 1)} {
		env := &faultEnv{epoch: 120, nv: network.Version10, receiver: testMiner, worker: s.address()}
		gp := []cid.Cid{testCid(t, "grandparent")}

		// Double-fork mining: two blocks at one height.
		a := signed(t, header(t, 100, gp, "a"), s)
		b := signed(t, header(t, 100, gp, "b"), s)
		expectFault(t, env, a, b, nil, runtime.ConsensusFaultDoubleForkMining, 100)

		// Time-offset mining: same parents, different heights.
		b = signed(t, header(t, 103, gp, "b"), s)
		expectFault(t, env, a, b, nil, runtime.ConsensusFaultTimeOffsetMining, 103)

		// Parent grinding: c is a's sibling; b builds on c and omits a.
		aHdr := header(t, 100, gp, "a")
		a = signed(t, aHdr, s)
		cHdr := header(t, 100, gp, "c")
		c := signed(t, cHdr, newBLSSigner(t, 9)) // extra's signature is not checked
		bHdr := header(t, 101, []cid.Cid{cidOf(t, cHdr)}, "b")
		b = signed(t, bHdr, s)
		expectFault(t, env, a, b, c, runtime.ConsensusFaultParentGrinding, 101)

		// Not grinding when b also includes a.
		bHdr = header(t, 101, []cid.Cid{cidOf(t, cHdr), cidOf(t, aHdr)}, "b")
		b = signed(t, bHdr, s)
		if _, err := VerifyConsensusFault(context.Background(), a, b, c, env); !errors.Is(err, ErrNoConsensusFault) {
			t.Errorf("%T: b includes a: got %v, want ErrNoConsensusFault", s, err)
		}

		// Each block's worker key was looked up at that block's height.
		env.mu.Lock()
		for _, h := range env.lookups {
			if h != 100 && h != 101 && h != 103 {
				t.Errorf("worker key looked up at epoch %d", h)
			}
		}
		env.mu.Unlock()
	}
}

func expectFault(t *testing.T, env ConsensusFaultEnv, a, b, extra []byte, kind runtime.ConsensusFaultType, epoch abi.ChainEpoch) {
	t.Helper()
	f, err := VerifyConsensusFault(context.Background(), a, b, extra, env)
	if err != nil {
		t.Fatalf("fault type %d: %v", kind, err)
	}
	want := runtime.ConsensusFault{Target: testMiner, Epoch: epoch, Type: kind}
	if *f != want {
		t.Fatalf("fault %+v, want %+v", *f, want)
	}
}

func TestVerifyConsensusFaultRejections(t *testing.T) {
	worker := newBLSSigner(t, 1)
	impostor := newBLSSigner(t, 2)
	ctx := context.Background()
	gp := []cid.Cid{testCid(t, "grandparent")}
	newEnv := func() *faultEnv {
		return &faultEnv{epoch: 2000, nv: network.Version10, receiver: testMiner, worker: worker.address()}
	}
	a := signed(t, header(t, 1500, gp, "a"), worker)
	b := signed(t, header(t, 1500, gp, "b"), worker)
	if _, err := VerifyConsensusFault(ctx, a, b, nil, newEnv()); err != nil {
		t.Fatalf("baseline fault not proven: %v", err)
	}

	otherMiner := header(t, 1500, gp, "b")
	otherMiner.Miner, _ = address.NewIDAddress(1001)
	unsignedB := header(t, 1500, gp, "b")
	unsignedBytes, _ := unsignedB.Bytes()
	forged := header(t, 1500, gp, "b")
	forgedBytes := signed(t, forged, impostor)
	tampered := header(t, 1500, gp, "b")
	signed(t, tampered, worker)
	tampered.Timestamp++ // signature no longer covers the header
	tamperedBytes, _ := tampered.Bytes()

	cases := []struct {
		name    string
		h1, h2  []byte
		extra   []byte
		env     func(*faultEnv)
		wantErr error
	}{
		{name: "same block", h1: a, h2: a, wantErr: ErrNoConsensusFault},
		{name: "different miners", h1: a, h2: signed(t, otherMiner, worker), wantErr: ErrNoConsensusFault},
		{name: "second block lower", h1: signed(t, header(t, 1501, gp, "x"), worker), h2: a},
		{name: "no fault", h1: a, h2: signed(t, header(t, 1502, []cid.Cid{testCid(t, "other")}, "b"), worker), wantErr: ErrNoConsensusFault},
		{name: "undecodable first", h1: a[:len(a)-1], h2: b},
		{name: "undecodable second", h1: a, h2: []byte{0x80}},
		{name: "undecodable extra", h1: a, h2: b, extra: []byte{0x01}},
		{name: "missing signature", h1: a, h2: unsignedBytes},
		{name: "signed by another key", h1: a, h2: forgedBytes, wantErr: ErrBadSignature},
		{name: "header changed after signing", h1: a, h2: tamperedBytes, wantErr: ErrBadSignature},
		{name: "worker lookup fails", h1: a, h2: b, env: func(e *faultEnv) { e.workerErr = errors.New("no such miner") }},
		{name: "worker is an ID address", h1: a, h2: b, env: func(e *faultEnv) { e.worker = testMiner }},
		{name: "older than finality from v7", h1: a, h2: b, env: func(e *faultEnv) { e.epoch = 1500 + 901; e.nv = network.Version7 }},
		{name: "near Orange (below)", h1: a, h2: b, env: func(e *faultEnv) { e.orange = 1500 + 899 }},
		{name: "near Orange (above)", h1: a, h2: b, env: func(e *faultEnv) { e.orange = 1500 - 899 }},
	}
	for _, c := range cases {
		env := newEnv()
		if c.env != nil {
			c.env(env)
		}
		f, err := VerifyConsensusFault(ctx, c.h1, c.h2, c.extra, env)
		if err == nil {
			t.Errorf("%s: proven: %+v", c.name, f)
			continue
		}
		if f != nil {
			t.Errorf("%s: error with a fault", c.name)
		}
		if c.wantErr != nil && !errors.Is(err, c.wantErr) {
			t.Errorf("%s: %v, want %v", c.name, err, c.wantErr)
		}
	}

	// The boundaries of the age and Orange rules are exclusive.
	accepted := []struct {
		name string
		env  func(*faultEnv)
	}{
		{"exactly finality old from v7", func(e *faultEnv) { e.epoch = 1500 + 900; e.nv = network.Version7 }},
		{"older than finality before v7", func(e *faultEnv) { e.epoch = 1500 + 5000; e.nv = network.Version6 }},
		{"finality below Orange", func(e *faultEnv) { e.orange = 1500 + 900 }},
		{"finality above Orange", func(e *faultEnv) { e.orange = 1500 - 900 }},
	}
	for _, c := range accepted {
		env := newEnv()
		c.env(env)
		if _, err := VerifyConsensusFault(ctx, a, b, nil, env); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// Like the chain's decoder, bytes after a header are ignored.
	if _, err := VerifyConsensusFault(ctx, append(append([]byte(nil), a...), 0xff, 0x00), b, nil, newEnv()); err != nil {
		t.Errorf("trailing bytes after a header: %v", err)
	}
}

// TestVerifyConsensusFaultConcurrent proves faults from many goroutines with
// one shared environment; run with -race.
func TestVerifyConsensusFaultConcurrent(t *testing.T) {
	s := newBLSSigner(t, 3)
	env := &faultEnv{epoch: 50, nv: network.Version12, receiver: testMiner, worker: s.address()}
	gp := []cid.Cid{testCid(t, "gp")}
	var pairs [][2][]byte
	for i := 0; i < 4; i++ {
		pairs = append(pairs, [2][]byte{
			signed(t, header(t, abi.ChainEpoch(10+i), gp, fmt.Sprint("a", i)), s),
			signed(t, header(t, abi.ChainEpoch(10+i), gp, fmt.Sprint("b", i)), s),
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			p := pairs[g%len(pairs)]
			f, err := VerifyConsensusFault(context.Background(), p[0], p[1], nil, env)
			if err != nil || f.Epoch != abi.ChainEpoch(10+g%len(pairs)) {
				errs <- fmt.Errorf("goroutine %d: %+v %v", g, f, err)
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testCid(t testing.TB, s string) cid.Cid {
	t.Helper()
	c, err := abi.CidBuilder.Sum([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
