package chain_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/vm"
)

var _ vm.Rand = (*chain.Rand)(nil)

// expectedDraw spells out the randomness derivation byte by byte.
func expectedDraw(base []byte, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) []byte {
	var in bytes.Buffer
	_ = binary.Write(&in, binary.BigEndian, int64(dst))
	d := blake2b.Sum256(base)
	in.Write(d[:])
	_ = binary.Write(&in, binary.BigEndian, int64(epoch))
	in.Write(entropy)
	out := blake2b.Sum256(in.Bytes())
	return out[:]
}

func TestDrawRandomness(t *testing.T) {
	got := chain.DrawRandomness([]byte("base"), crypto.DomainSeparationTag_SealRandomness, -3, []byte("entropy"))
	if want := expectedDraw([]byte("base"), crypto.DomainSeparationTag_SealRandomness, -3, []byte("entropy")); !bytes.Equal(got, want) {
		t.Errorf("draw %x, want %x", got, want)
	}
	if bytes.Equal(got, chain.DrawRandomness([]byte("base"), crypto.DomainSeparationTag_SealRandomness, -2, []byte("entropy"))) {
		t.Error("epoch does not enter the draw")
	}
}

func TestMainnetBeaconRound(t *testing.T) {
	// 30 s epochs and 30 s drand rounds: one round per epoch, the last
	// round published before the epoch starts.
	if got := chain.MainnetBeaconRound(1231620); got != 1327464 {
		t.Errorf("round at the chocolate upgrade %d", got)
	}
	for e := abi.ChainEpoch(1231620); e < 1231630; e++ {
		if chain.MainnetBeaconRound(e+1) != chain.MainnetBeaconRound(e)+1 {
			t.Fatalf("rounds not one per epoch at %d", e)
		}
	}
}

func TestRandomnessFromChain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	entropy := []byte("some entropy")
	const dst = crypto.DomainSeparationTag_ElectionProofProduction
	ticket := func(ts *chain.TipSet) []byte { return ts.Blocks()[0].Ticket.VRFProof }
	beacon77 := []byte("beacon 77")
	at77 := func(abi.ChainEpoch) uint64 { return 77 }

	for _, c := range []struct {
		name   string
		nv     network.Version
		epoch  abi.ChainEpoch
		chain  []byte // nil: an error is expected
		beacon []byte
	}{
		{"null round looks back before nv13", network.Version12, 2, ticket(f.ts1), nil},
		{"null round looks forward from nv13", network.Version13, 2, ticket(f.ts3), nil},
		{"exact height", network.Version12, 3, ticket(f.ts3), nil},
		{"latest entry walks back", network.Version12, 5, ticket(f.ts5), beacon77},
		{"entry at the epoch", network.Version13, 4, ticket(f.ts4), beacon77},
		{"negative epoch draws on genesis", network.Version12, -5, ticket(f.gen), nil},
		{"round entry from nv14", network.Version14, 5, ticket(f.ts5), beacon77},
		{"future", network.Version12, 6, nil, nil},
	} {
		src := f.source(t, chain.WithNetworkVersion(c.nv), chain.WithBeaconRound(at77))
		r := chain.NewRand(src, f.ts5.Key())
		got, err := r.ChainRandomness(ctx, dst, c.epoch, entropy)
		switch {
		case c.chain == nil && err == nil:
			t.Errorf("%s: chain randomness from the future: %x", c.name, got)
		case c.chain != nil && (err != nil || !bytes.Equal(got, expectedDraw(c.chain, dst, c.epoch, entropy))):
			t.Errorf("%s: chain randomness %x (%v)", c.name, got, err)
		}
		got, err = r.BeaconRandomness(ctx, dst, c.epoch, entropy)
		switch {
		case c.beacon == nil && err == nil:
			t.Errorf("%s: beacon randomness without an entry: %x", c.name, got)
		case c.beacon != nil && (err != nil || !bytes.Equal(got, expectedDraw(c.beacon, dst, c.epoch, entropy))):
			t.Errorf("%s: beacon randomness %x (%v)", c.name, got, err)
		}
	}
	// From nv14 only the epoch's own round will do.
	src := f.source(t, chain.WithNetworkVersion(network.Version14), chain.WithBeaconRound(func(abi.ChainEpoch) uint64 { return 78 }))
	if _, err := src.BeaconRandomness(ctx, f.ts5.Key(), dst, 5, entropy); err == nil {
		t.Error("beacon randomness from another round's entry")
	}
}

// The client's randomness (StateGetRandomnessFrom*) equals the CAR's.
func TestClientRandomnessEqualsCAR(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, nv := range []network.Version{network.Version12, network.Version13, network.Version14} {
		car := f.source(t, chain.WithNetworkVersion(nv), chain.WithBeaconRound(func(abi.ChainEpoch) uint64 { return 77 }))
		client := dial(t, serve(t, car, "").APIInfo())
		for e := abi.ChainEpoch(-1); e <= 6; e++ {
			for _, key := range []chain.TipSetKey{f.ts5.Key(), f.ts3.Key()} {
				a, aerr := car.ChainRandomness(ctx, key, 7, e, []byte{1})
				b, berr := client.ChainRandomness(ctx, key, 7, e, []byte{1})
				if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) {
					t.Errorf("nv%d chain randomness at %d on %s: CAR %x (%v), client %x (%v)", nv, e, key, a, aerr, b, berr)
				}
				a, aerr = car.BeaconRandomness(ctx, key, 7, e, nil)
				b, berr = client.BeaconRandomness(ctx, key, 7, e, nil)
				if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) {
					t.Errorf("nv%d beacon randomness at %d on %s: CAR %x (%v), client %x (%v)", nv, e, key, a, aerr, b, berr)
				}
			}
		}
	}
}

// From network version 14 the drand round of an epoch comes from the chain's
// own beacon entries, not from mainnet's timing: on a devnet whose mock
// beacon gives epoch e round e, a node's digest, the CAR's draw and the
// node's draw all use that round, null rounds included.
func TestBeaconRoundFromChain(t *testing.T) {
	ctx := context.Background()
	b := chaintest.NewBuilder()
	root, err := ipldcbor.NewCborStore(b.Blocks).Put(ctx, []uint64{0}) // no state is read
	if err != nil {
		t.Fatal(err)
	}
	miner := mustAddr(t, "f01000")
	entry := func(r uint64) chain.BeaconEntry {
		return chain.BeaconEntry{Round: r, Data: []byte{'r', byte(r)}}
	}
	ts, err := b.Tipset(nil, chaintest.TipsetSpec{Height: 0, ParentState: root,
		Blocks: []chaintest.BlockSpec{{Miner: miner, Ticket: []byte("t0"), BeaconEntries: []chain.BeaconEntry{entry(0)}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Height 2 is a null round: height 3 carries its entry and its own.
	for _, spec := range []struct {
		h       abi.ChainEpoch
		entries []chain.BeaconEntry
	}{
		{1, []chain.BeaconEntry{entry(1)}},
		{3, []chain.BeaconEntry{entry(2), entry(3)}},
		{4, []chain.BeaconEntry{entry(4)}},
		{5, nil}, // the beacon had nothing new: round 4 still
	} {
		if ts, err = b.Tipset(ts, chaintest.TipsetSpec{Height: spec.h, ParentState: root,
			Blocks: []chaintest.BlockSpec{{Miner: miner, Ticket: []byte{'t', byte(spec.h)}, BeaconEntries: spec.entries}}}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := b.WriteCARv2(&buf, ts); err != nil {
		t.Fatal(err)
	}
	car, err := chain.NewCARSource(bytes.NewReader(buf.Bytes()), chain.WithNetworkVersion(network.Version14))
	if err != nil {
		t.Fatal(err)
	}
	client := dial(t, serve(t, car, "").APIInfo(), chain.WithNetworkVersion(network.Version14))
	const dst = crypto.DomainSeparationTag_SealRandomness
	for e, round := range map[abi.ChainEpoch]uint64{1: 1, 2: 2, 3: 3, 4: 4, 5: 4} {
		want := expectedDraw(entry(round).Data, dst, e, []byte("x"))
		got, err := car.BeaconRandomness(ctx, ts.Key(), dst, e, []byte("x"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("epoch %d: CAR draw %x (%v), want round %d's", e, got, err, round)
		}
		for name, src := range map[string]chain.Source{"CAR": car, "node": client} {
			d, err := chain.RandomnessDigest(ctx, src, ts.Key(), chain.RandomnessBeacon, e, nil)
			if err != nil || !chain.VerifyDigest(d, dst, e, []byte("x"), want) {
				t.Errorf("epoch %d: %s digest %x (%v), want round %d's", e, name, d, err, round)
			}
		}
	}
}
