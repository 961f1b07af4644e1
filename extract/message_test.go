package extract

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/big"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/state"
)

// corpusVector returns the corpus tipset vector whose file name is name.
func corpusVector(t testing.TB, name string) *schema.Vector {
	t.Helper()
	for _, v := range corpusTipsetVectors(t) {
		if filepath.Base(v.Path) == name {
			return v
		}
	}
	t.Fatalf("corpus vector %s not found", name)
	return nil
}

// executed returns the messages a built chain's last vector tipset ran.
func executed(t testing.TB, src chain.Source, b *chainbuild.Chain) []chain.ParentMessage {
	t.Helper()
	msgs, err := src.ParentMessages(context.Background(), b.Head.Cids()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatal("the built chain's last tipset executed no message")
	}
	return msgs
}

// touchStore records what a replay reads and writes over a vector's CAR.
type touchStore struct {
	base    corpus.Blockstore
	mu      sync.Mutex
	touched map[cid.Cid]bool
	written map[cid.Cid]blocks.Block
}

func (s *touchStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	s.mu.Lock()
	s.touched[c] = true
	b, ok := s.written[c]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	return s.base.Get(ctx, c)
}

func (s *touchStore) Put(_ context.Context, b blocks.Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.touched[b.Cid()] = true
	s.written[b.Cid()] = b
	return nil
}

// A message extracted from a built chain passes; with accessed-cids its CAR
// holds exactly what replaying it touches, which is less than the state.
func TestMessageAccessedCids(t *testing.T) {
	v := corpusVector(t, "gas_cost--msg-ok-secp-bls-gas-costs--smoke.json")
	if testing.Short() || raceEnabled {
		v = corpusVector(t, "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	}
	built, car := buildCAR(t, v)
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	ctx := context.Background()
	for i, pm := range executed(t, src, built) {
		res, err := New(src, WithTempDir(t.TempDir())).Message(ctx, MessageRequest{Message: pm.Cid, Precursors: PrecursorsAll})
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		mv := res.Vector
		mustPass(t, mv)
		if res.Precursors != i {
			t.Errorf("message %d: %d precursors applied with 'all', want %d", i, res.Precursors, i)
		}

		// Replay the vector's message over its own CAR, recording every
		// block touched; the CAR must hold exactly those.
		raw, err := mv.CARv1(0)
		if err != nil {
			t.Fatal(err)
		}
		base, err := corpus.OpenCAR(raw)
		if err != nil {
			t.Fatal(err)
		}
		ts := &touchStore{base: base, touched: map[cid.Cid]bool{}, written: map[cid.Cid]blocks.Block{}}
		msg, err := vm.DecodeMessage(mv.ApplyMessages[0].Bytes)
		if err != nil {
			t.Fatal(err)
		}
		vr := mv.Pre.Variants[0]
		m, err := vm.New(ctx, ts, mv.Pre.StateTree.RootCID, vm.Config{
			NetworkVersion: networkOf(vr), Epoch: abiEpoch(vr.Epoch),
			BaseFee: big.NewFromGo(mv.Pre.BaseFee), CircSupply: big.NewFromGo(mv.Pre.CircSupply),
		})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := msg.ChainLength()
		if _, err := m.ApplyMessage(ctx, msg, n); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		ch, err := base.AllKeysChan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		inCAR := 0
		for c := range ch {
			inCAR++
			if !touchedHash(ts.touched, c) {
				t.Errorf("message %d: the CAR holds %s, which the replay never touched", i, c)
			}
		}
		if inCAR == 0 {
			t.Fatalf("message %d: empty CAR", i)
		}
		full, err := dagBlocks(ctx, newStore(src), res.Inclusion.ParentState())
		if err != nil {
			t.Fatal(err)
		}
		if inCAR >= len(full) {
			t.Errorf("message %d: the CAR holds %d blocks, the whole pre-state only %d", i, inCAR, len(full))
		}
		t.Logf("message %d (%s): %d blocks in the CAR, %d in the full pre-state", i, pm.Cid, inCAR, len(full))
	}
}

// touchedHash matches a CAR key (the read-only CAR blockstore may hand
// keys back as raw CIDs) against touched CIDs by multihash.
func touchedHash(touched map[cid.Cid]bool, c cid.Cid) bool {
	if touched[c] {
		return true
	}
	for t := range touched {
		if bytes.Equal(t.Hash(), c.Hash()) {
			return true
		}
	}
	return false
}

// With accessed-actors, the vector's state is a tree of only the actors
// the message looked up, and the vector still passes.
func TestMessageAccessedActors(t *testing.T) {
	v := corpusVector(t, "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	built, car := buildCAR(t, v)
	src := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	ctx := context.Background()
	pm := executed(t, src, built)[0]
	res, err := New(src, WithTempDir(t.TempDir()), WithLogger(t)).Message(ctx, MessageRequest{Message: pm.Cid, Retain: RetainAccessedActors})
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res.Vector)
	if res.Vector.Pre.StateTree.RootCID == res.Inclusion.ParentState() {
		t.Fatal("accessed-actors kept the chain's own state root")
	}
	count := func(root cid.Cid) int {
		tree, err := state.Load(ctx, ipldcbor.NewCborStore(newStore(src)), root)
		if err != nil {
			// The masked root lives in the vector's CAR only.
			raw, _ := res.Vector.CARv1(0)
			bs, _ := corpus.OpenCAR(raw)
			if tree, err = state.Load(ctx, ipldcbor.NewCborStore(bs), root); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		if err := tree.ForEach(func(_ addressT, _ *state.Actor) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	masked, full := count(res.Vector.Pre.StateTree.RootCID), count(res.Inclusion.ParentState())
	if masked >= full || masked < 3 {
		t.Fatalf("masked state has %d actors, the full state %d", masked, full)
	}
	t.Logf("masked state keeps %d of %d actors", masked, full)
}

// The node source (the chaintest server over the same CAR) and the CAR
// source give byte-identical vectors, and extracting twice gives the same
// bytes.
func TestSourcesGiveIdenticalVectors(t *testing.T) {
	v := corpusVector(t, "duplicates--messages-deduplicated--genesis.json")
	built, car := buildCAR(t, v)
	carSrc := openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))
	srv := chaintest.NewServer(carSrc, "a.test.token")
	defer srv.Close()
	ctx := context.Background()
	node, err := chain.Dial(ctx, srv.APIInfo())
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()

	extractAll := func(src chain.Source) [][]byte {
		e := New(src, WithTempDir(t.TempDir()))
		var out [][]byte
		ts, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := schema.Marshal(ts[0].Vector)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		for _, pm := range executed(t, src, built) {
			for _, retain := range []string{RetainAccessedCids, RetainAccessedActors} {
				r, err := e.Message(ctx, MessageRequest{Message: pm.Cid, Retain: retain})
				if err != nil {
					t.Fatal(err)
				}
				b, err := schema.Marshal(r.Vector)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
		}
		return out
	}
	fromCAR, again, fromNode := extractAll(carSrc), extractAll(openCAR(t, car, chain.WithCirculatingSupply(big.Zero()))), extractAll(node)
	if srv.Calls() == 0 {
		t.Fatal("the node source made no RPC call")
	}
	for i := range fromCAR {
		if !bytes.Equal(fromCAR[i], again[i]) {
			t.Errorf("vector %d: two extractions from the CAR differ", i)
		}
		if !bytes.Equal(fromCAR[i], fromNode[i]) {
			t.Errorf("vector %d: CAR and node sources differ:\n%s", i, firstDiff(fromCAR[i], fromNode[i]))
		}
	}
	t.Logf("%d vectors identical across sources (%d RPC calls)", len(fromCAR), srv.Calls())
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "CAR:  " + al[i] + "\nnode: " + bl[i]
		}
	}
	return "lengths differ"
}
