package fvm_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"
	blst "github.com/supranational/blst/bindings/go"

	miner9 "github.com/filecoin-project/go-state-types/builtin/v9/miner"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/fvm"
	"github.com/tvx-project/tvx/fvm/fvmtest"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/wire"
)

const methodReportConsensusFault = 15

var blsDST = []byte("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_")

// blsKey derives a BLS key from seed and returns it with its address.
func blsKey(t *testing.T, seed byte) (*blst.SecretKey, address.Address) {
	t.Helper()
	ikm := make([]byte, 32)
	for i := range ikm {
		ikm[i] = seed + byte(i)
	}
	sk := blst.KeyGen(ikm)
	a, err := address.NewBLSAddress(new(blst.P1Affine).From(sk).Compress())
	if err != nil {
		t.Fatal(err)
	}
	return sk, a
}

func testCid(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// faultHeader is a header by miner at height, signed with sk; tag makes
// otherwise equal headers differ.
func faultHeader(t *testing.T, miner address.Address, height abi.ChainEpoch, tag string, sk *blst.SecretKey) []byte {
	t.Helper()
	h := &wire.BlockHeader{
		Miner:                 miner,
		Ticket:                &wire.Ticket{VRFProof: []byte("ticket " + tag)},
		ElectionProof:         &wire.ElectionProof{WinCount: 1, VRFProof: []byte("election")},
		BeaconEntries:         []wire.BeaconEntry{{Round: 100, Data: []byte("beacon")}},
		WinPoStProof:          []proof.PoStProof{{PoStProof: abi.RegisteredPoStProof_StackedDrgWinning32GiBV1, ProofBytes: make([]byte, 192)}},
		Parents:               []cid.Cid{testCid(t, "parent "+tag)},
		ParentWeight:          big.NewInt(1000),
		Height:                height,
		ParentStateRoot:       testCid(t, "state"),
		ParentMessageReceipts: testCid(t, "receipts"),
		Messages:              testCid(t, "messages "+tag),
		BLSAggregate:          &crypto.Signature{Type: crypto.SigTypeBLS, Data: make([]byte, 96)},
		Timestamp:             1600000000,
		ParentBaseFee:         big.NewInt(100),
	}
	msg, err := h.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	h.BlockSig = &crypto.Signature{Type: crypto.SigTypeBLS, Data: new(blst.P2Affine).Sign(sk, msg, blsDST).Compress()}
	b, err := h.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConsensusFaultOnBuiltState creates a miner whose worker holds a real
// BLS key and reports faults against it at nv16, nv17 and nv18: two blocks at one height
// signed by the worker are a double-fork fault the miner actor accepts
// (its info then records the exclusion period); the same evidence signed
// by another key, or blocks at different heights on different parents,
// prove nothing and the actor refuses the report.
func TestConsensusFaultOnBuiltState(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the miner actor")
	}
	for _, nv := range []uint{16, 17, 18} {
		t.Run(map[uint]string{16: "nv16", 17: "nv17", 18: "nv18"}[nv], func(t *testing.T) { consensusFaults(t, nv) })
	}
}

func consensusFaults(t *testing.T, nv uint) {
	ctx := context.Background()
	sk, owner := blsKey(t, 1)
	other, _ := blsKey(t, 2)
	w, err := fvmtest.New(ctx, fvmtest.Options{NetworkVersion: nv, Keys: []address.Address{owner}})
	if err != nil {
		t.Fatal(err)
	}
	params, err := fvmtest.CreateMinerParams(idAddr(fvmtest.FirstAccountID))
	if err != nil {
		t.Fatal(err)
	}
	miner := idAddr(fvmtest.FirstAccountID + 1)
	create := &vm.Message{From: owner, To: idAddr(fvmtest.PowerID), Method: fvmtest.MethodPowerCreateMiner, Params: params,
		Value: big.Zero(), GasLimit: 200_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(50)}
	res, err := fvm.ApplyTipset(ctx, w.Blocks, vm.Tipset{ParentState: w.Root, ParentEpoch: 0, Epoch: 1,
		Blocks: []vm.TipsetBlock{{Miner: miner, WinCount: 1, BLSMessages: []vm.BlockMessage{blockMsg(t, create)}}}}, w.Config(0))
	if err != nil {
		t.Fatal(err)
	}
	if ex := res.Explicit(); ex[0].Result.ExitCode != 0 {
		t.Fatalf("create miner: exit %d: %s", ex[0].Result.ExitCode, ex[0].Result.Error)
	}

	report := func(h1, h2 []byte) *vm.ApplyResult {
		t.Helper()
		p := miner9.ReportConsensusFaultParams{BlockHeader1: h1, BlockHeader2: h2}
		var buf bytes.Buffer
		if err := p.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		m, err := fvm.New(ctx, w.Blocks, res.StateRoot, w.Config(10))
		if err != nil {
			t.Fatal(err)
		}
		msg := &vm.Message{From: owner, To: miner, Nonce: 1, Method: methodReportConsensusFault, Params: buf.Bytes(),
			Value: big.Zero(), GasLimit: 1_000_000_000, GasFeeCap: big.NewInt(1000), GasPremium: big.NewInt(50)}
		r, post, err := vm.ApplyOne(ctx, m, msg, "FVM")
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode == 0 {
			if elapsed := faultElapsed(t, w, post); elapsed <= 10 {
				t.Errorf("accepted fault: miner's consensus fault elapsed %d", elapsed)
			}
		}
		return r
	}

	if r := report(faultHeader(t, miner, 5, "a", sk), faultHeader(t, miner, 5, "b", sk)); r.ExitCode != 0 {
		t.Errorf("double-fork fault: exit %d: %s", r.ExitCode, r.Error)
	}
	if r := report(faultHeader(t, miner, 5, "a", other), faultHeader(t, miner, 5, "b", other)); r.ExitCode != exitcode.ErrIllegalArgument {
		t.Errorf("evidence signed by another key: exit %d: %s", r.ExitCode, r.Error)
	}
	if r := report(faultHeader(t, miner, 5, "a", sk), faultHeader(t, miner, 6, "b", sk)); r.ExitCode != exitcode.ErrIllegalArgument {
		t.Errorf("no fault: exit %d: %s", r.ExitCode, r.Error)
	}
}

// faultElapsed reads the miner's (ID 101) consensus-fault exclusion end
// from its info: the info block is its state's first field, and the epoch
// the info's tenth in bundles v8 to v10.
func faultElapsed(t *testing.T, w *fvmtest.World, root cid.Cid) abi.ChainEpoch {
	t.Helper()
	ctx := context.Background()
	store := ipldcbor.NewCborStore(w.Blocks)
	var fields cbg.Deferred
	if err := store.Get(ctx, actorAt(t, w, root, fvmtest.FirstAccountID+1).Head, &fields); err != nil {
		t.Fatal(err)
	}
	st := tupleFields(t, fields.Raw)
	info, err := cbg.ReadCid(bytes.NewReader(st[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	var infoRaw cbg.Deferred
	if err := store.Get(ctx, info, &infoRaw); err != nil {
		t.Fatal(err)
	}
	f := tupleFields(t, infoRaw.Raw)
	r := cbg.GetPeeker(bytes.NewReader(f[9].Raw))
	maj, v, err := cbg.CborReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	if maj == cbg.MajNegativeInt {
		return abi.ChainEpoch(-int64(v) - 1)
	}
	return abi.ChainEpoch(v)
}

func tupleFields(t *testing.T, raw []byte) []cbg.Deferred {
	t.Helper()
	r := cbg.GetPeeker(bytes.NewReader(raw))
	maj, n, err := cbg.CborReadHeader(r)
	if err != nil || maj != cbg.MajArray {
		t.Fatalf("not a tuple: %v", err)
	}
	out := make([]cbg.Deferred, n)
	for i := range out {
		if err := out[i].UnmarshalCBOR(r); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
