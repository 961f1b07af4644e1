package syscalls

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	"github.com/ipfs/go-cid"
	cbornode "github.com/ipfs/go-ipld-cbor"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/internal/testcorpus"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// testVector is the part of a vector file these tests read.
type testVector struct {
	path  string
	Class string `json:"class"`
	CAR   []byte `json:"car"`
	Pre   struct {
		Variants []struct {
			Epoch int64 `json:"epoch"`
			NV    int   `json:"nv"`
		} `json:"variants"`
		StateTree struct {
			RootCID map[string]string `json:"root_cid"`
		} `json:"state_tree"`
	} `json:"preconditions"`
	ApplyMessages []struct {
		Bytes []byte `json:"bytes"`
	} `json:"apply_messages"`
	Post struct {
		StateTree struct {
			RootCID map[string]string `json:"root_cid"`
		} `json:"state_tree"`
		Receipts []struct {
			ExitCode int64 `json:"exit_code"`
		} `json:"receipts"`
	} `json:"postconditions"`
}

// corpusRoots returns the public corpus beside the repository (skipping the
// test when it is absent) and any extra roots listed in TVX_CORPUS.
func corpusRoots(t testing.TB) []string {
	t.Helper()
	roots := []string{testcorpus.Shared(t)}
	for _, r := range filepath.SplitList(os.Getenv("TVX_CORPUS")) {
		if st, err := os.Stat(r); err == nil && st.IsDir() && r != roots[0] {
			roots = append(roots, r)
		}
	}
	return roots
}

// loadVectors returns the vectors under the corpus roots whose slash path
// contains every one of parts; it skips the test when there are none.
func loadVectors(t testing.TB, parts ...string) []*testVector {
	t.Helper()
	var out []*testVector
	roots := corpusRoots(t)
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
				return err
			}
			slash := filepath.ToSlash(path)
			for _, p := range parts {
				if !strings.Contains(slash, p) {
					return nil
				}
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			v := &testVector{path: path}
			if err := json.Unmarshal(raw, v); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Skipf("no corpus vectors matching %q under %v", parts, roots)
	}
	return out
}

func (v *testVector) name() string { return filepath.Base(v.path) }

// store opens the vector's CAR as an actors-v0.9 ADT store.
func (v *testVector) store(t testing.TB) adt0.Store {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(v.CAR))
	if err != nil {
		t.Fatalf("%s: gunzip car: %v", v.name(), err)
	}
	car, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: gunzip car: %v", v.name(), err)
	}
	bs, err := carbs.NewReadOnly(bytes.NewReader(car), nil)
	if err != nil {
		t.Fatalf("%s: open car: %v", v.name(), err)
	}
	return adt0.WrapStore(context.Background(), cbornode.NewCborStore(bs))
}

func rootCID(t testing.TB, v *testVector, m map[string]string) cid.Cid {
	t.Helper()
	c, err := cid.Decode(m["/"])
	if err != nil {
		t.Fatalf("%s: root cid: %v", v.name(), err)
	}
	return c
}

// chainActor is an entry of the state tree: (code, head, nonce, balance).
type chainActor struct {
	Code, Head cid.Cid
	Nonce      uint64
	Balance    big.Int
}

func (a *chainActor) UnmarshalCBOR(r io.Reader) error {
	cr := cborseq.NewReader(r)
	cr.Array("actor", 4)
	a.Code = cr.Cid("code")
	a.Head = cr.Cid("head")
	a.Nonce = cr.Uint("nonce")
	cr.Value("balance", &a.Balance)
	return cr.Err()
}

// actorsMap opens the actors HAMT of a state root, accepting both the bare
// HAMT root of state-tree v0 and the (version, actors, info) wrapper of
// later versions.
func actorsMap(t testing.TB, store adt0.Store, root cid.Cid) *adt0.Map {
	t.Helper()
	var raw cbg.Deferred
	if err := store.Get(store.Context(), root, &raw); err != nil {
		t.Fatalf("load state root: %v", err)
	}
	cr := cborseq.NewReader(bytes.NewReader(raw.Raw))
	if cr.Array("state root", 3); cr.Err() == nil {
		cr.Uint("version")
		if actors := cr.Cid("actors"); cr.Err() == nil {
			root = actors
		}
	}
	m, err := adt0.AsMap(store, root)
	if err != nil {
		t.Fatalf("open actors hamt: %v", err)
	}
	return m
}

func getActor(t testing.TB, actors *adt0.Map, addr address.Address) chainActor {
	t.Helper()
	var a chainActor
	found, err := actors.Get(abi.AddrKey(addr), &a)
	if err != nil || !found {
		t.Fatalf("actor %s: found=%v err=%v", addr, found, err)
	}
	return a
}

// keyAddress resolves an ID address through its account actor's state.
func keyAddress(t testing.TB, store adt0.Store, actors *adt0.Map, addr address.Address) address.Address {
	t.Helper()
	if addr.Protocol() != address.ID {
		return addr
	}
	a := getActor(t, actors, addr)
	var st account0.State
	if err := store.Get(store.Context(), a.Head, &st); err != nil {
		t.Fatalf("account state of %s: %v", addr, err)
	}
	return st.Address
}

// chainMessage is the unsigned message tuple.
type chainMessage struct {
	Version    int64
	To, From   address.Address
	Nonce      uint64
	Value      big.Int
	GasLimit   int64
	GasFeeCap  big.Int
	GasPremium big.Int
	Method     uint64
	Params     []byte
}

func decodeMessage(t testing.TB, b []byte) chainMessage {
	t.Helper()
	var m chainMessage
	cr := cborseq.NewReader(bytes.NewReader(b))
	cr.Array("message", 10)
	m.Version = cr.Int("version")
	cr.Value("to", &m.To)
	cr.Value("from", &m.From)
	m.Nonce = cr.Uint("nonce")
	cr.Value("value", &m.Value)
	m.GasLimit = cr.Int("gas limit")
	cr.Value("fee cap", &m.GasFeeCap)
	cr.Value("premium", &m.GasPremium)
	m.Method = cr.Uint("method")
	m.Params = cr.Bytes("params")
	if err := cr.Err(); err != nil {
		t.Fatalf("decode message: %v", err)
	}
	return m
}
