package chaos

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/cbor"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	cbornode "github.com/ipfs/go-ipld-cbor"
	carv2 "github.com/ipld/go-car/v2"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/internal/testcorpus"
)

// chaosVector is the part of a vector file this package's tests read.
type chaosVector struct {
	path     string
	Selector map[string]interface{} `json:"selector"`
	CAR      []byte                 `json:"car"`
	Pre      struct {
		StateTree struct {
			RootCID map[string]string `json:"root_cid"`
		} `json:"state_tree"`
	} `json:"preconditions"`
	ApplyMessages []struct {
		Bytes []byte `json:"bytes"`
	} `json:"apply_messages"`
	Post struct {
		Receipts []struct {
			ExitCode int64  `json:"exit_code"`
			Return   []byte `json:"return"`
		} `json:"receipts"`
	} `json:"postconditions"`
}

// loadChaosVectors returns every corpus vector selecting the chaos actor.
func loadChaosVectors(t *testing.T) []*chaosVector {
	t.Helper()
	dir := testcorpus.Shared(t)
	var out []*chaosVector
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(raw, []byte(`"chaos_actor"`)) {
			return nil
		}
		v := &chaosVector{path: path}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if v.Selector["chaos_actor"] == "true" {
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk corpus: %v", err)
	}
	if len(out) == 0 {
		t.Fatalf("no chaos vectors under %s", dir)
	}
	return out
}

// memBlocks is a read-only block map satisfying go-ipld-cbor's IpldBlockstore.
type memBlocks map[cid.Cid][]byte

func (m memBlocks) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	raw, ok := m[c]
	if !ok {
		return nil, fmt.Errorf("block %s not in CAR", c)
	}
	return blocks.NewBlockWithCid(raw, c)
}

func (m memBlocks) Put(context.Context, blocks.Block) error {
	return errors.New("read-only")
}

// readCAR inflates a vector's gzipped CAR into memory.
func readCAR(v *chaosVector) (memBlocks, error) {
	zr, err := gzip.NewReader(bytes.NewReader(v.CAR))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	br, err := carv2.NewBlockReader(zr)
	if err != nil {
		return nil, fmt.Errorf("car header: %w", err)
	}
	m := memBlocks{}
	for {
		b, err := br.Next()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("car block: %w", err)
		}
		m[b.Cid()] = b.RawData()
	}
}

// actorRecord is a state-tree entry: [Code, Head, CallSeqNum, Balance].
type actorRecord struct {
	Code, Head cid.Cid
}

func (a *actorRecord) UnmarshalCBOR(r io.Reader) error {
	br := cbg.GetPeeker(r)
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return err
	}
	if maj != cbg.MajArray || n != 4 {
		return fmt.Errorf("actor: want a 4-tuple, got major %d len %d", maj, n)
	}
	if a.Code, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("actor code: %w", err)
	}
	if a.Head, err = cbg.ReadCid(br); err != nil {
		return fmt.Errorf("actor head: %w", err)
	}
	// CallSeqNum and Balance are not needed; the reader is dropped here.
	return nil
}

// decodeStateRoot reads the version and actors HAMT root of a versioned state
// root [Version, Actors, Info].
func decodeStateRoot(raw []byte) (uint64, cid.Cid, error) {
	br := cbg.GetPeeker(bytes.NewReader(raw))
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return 0, cid.Undef, err
	}
	if maj != cbg.MajArray || n != 3 {
		return 0, cid.Undef, fmt.Errorf("want a 3-tuple, got major %d len %d", maj, n)
	}
	maj, version, err := cbg.CborReadHeader(br)
	if err != nil || maj != cbg.MajUnsignedInt {
		return 0, cid.Undef, fmt.Errorf("version: major %d: %v", maj, err)
	}
	actors, err := cbg.ReadCid(br)
	if err != nil {
		return 0, cid.Undef, fmt.Errorf("actors: %w", err)
	}
	return version, actors, nil
}

// lookupActor finds addr in the state tree at root. Version-0 trees are a bare
// HAMT root; later ones wrap it in [version, actors, info], and the HAMT format
// changes with the version.
func lookupActor(ctx context.Context, bs memBlocks, root cid.Cid, addr address.Address) (*actorRecord, error) {
	raw, ok := bs[root]
	if !ok {
		return nil, fmt.Errorf("state root %s not in CAR", root)
	}
	cst := cbornode.NewCborStore(bs)
	version, actors := uint64(0), root
	if len(raw) > 0 && raw[0] == 0x83 { // [version, actors, info]
		var err error
		if version, actors, err = decodeStateRoot(raw); err != nil {
			return nil, fmt.Errorf("state root %s: %w", root, err)
		}
	}
	var (
		found bool
		act   actorRecord
		err   error
	)
	switch version {
	case 0:
		var m *adt0.Map
		if m, err = adt0.AsMap(adt0.WrapStore(ctx, cst), actors); err == nil {
			found, err = m.Get(abi.AddrKey(addr), &act)
		}
	case 1:
		var m *adt2.Map
		if m, err = adt2.AsMap(adt2.WrapStore(ctx, cst), actors); err == nil {
			found, err = m.Get(abi.AddrKey(addr), &act)
		}
	default:
		var m *adt3.Map
		if m, err = adt3.AsMap(adt3.WrapStore(ctx, cst), actors, 5); err == nil {
			found, err = m.Get(abi.AddrKey(addr), &act)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("state tree v%d: %w", version, err)
	}
	if !found {
		return nil, fmt.Errorf("actor %s not in state tree v%d", addr, version)
	}
	return &act, nil
}

// TestCorpusPreState checks, for every chaos vector, that the pre-state holds
// an actor at Address with CodeCID, and that its head is a State whose
// encoding is reproduced byte for byte.
func TestCorpusPreState(t *testing.T) {
	ctx := context.Background()
	vectors := loadChaosVectors(t)
	t.Logf("%d chaos vectors", len(vectors))
	for _, v := range vectors {
		name := filepath.Base(v.path)
		bs, err := readCAR(v)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		root, err := cid.Decode(v.Pre.StateTree.RootCID["/"])
		if err != nil {
			t.Errorf("%s: pre-state root: %v", name, err)
			continue
		}
		act, err := lookupActor(ctx, bs, root, Address)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !act.Code.Equals(CodeCID) {
			t.Errorf("%s: actor at %s has code %s, want %s", name, Address, act.Code, CodeCID)
		}
		head, ok := bs[act.Head]
		if !ok {
			t.Errorf("%s: chaos head %s not in CAR", name, act.Head)
			continue
		}
		checkRoundTrip(t, name+" head", head, &State{})
	}
}

// checkRoundTrip decodes raw into v and requires the re-encoding to be raw.
func checkRoundTrip(t *testing.T, what string, raw []byte, v cbor.Er) {
	t.Helper()
	if err := v.UnmarshalCBOR(bytes.NewReader(raw)); err != nil {
		t.Errorf("%s: decode %T from %x: %v", what, v, raw, err)
		return
	}
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		t.Errorf("%s: re-encode %T: %v", what, v, err)
		return
	}
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Errorf("%s: %T re-encodes as %x, want %x", what, v, buf.Bytes(), raw)
	}
}

// chainMessage is the part of an unsigned message this test needs. On the wire
// a message is the tuple [Version, To, From, Nonce, Value, GasLimit, GasFeeCap,
// GasPremium, Method, Params].
type chainMessage struct {
	To     address.Address
	Method abi.MethodNum
	Params []byte
}

func decodeMessage(raw []byte) (*chainMessage, error) {
	br := cbg.GetPeeker(bytes.NewReader(raw))
	maj, n, err := cbg.CborReadHeader(br)
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajArray || n != 10 {
		return nil, fmt.Errorf("message: want a 10-tuple, got major %d len %d", maj, n)
	}
	var m chainMessage
	skip := func(field string) error {
		if err := (&cbg.Deferred{}).UnmarshalCBOR(br); err != nil {
			return fmt.Errorf("message %s: %w", field, err)
		}
		return nil
	}
	if err := skip("version"); err != nil {
		return nil, err
	}
	if err := m.To.UnmarshalCBOR(br); err != nil {
		return nil, fmt.Errorf("message to: %w", err)
	}
	for _, f := range []string{"from", "nonce", "value", "gas limit", "gas fee cap", "gas premium"} {
		if err := skip(f); err != nil {
			return nil, err
		}
	}
	maj, method, err := cbg.CborReadHeader(br)
	if err != nil || maj != cbg.MajUnsignedInt {
		return nil, fmt.Errorf("message method: major %d: %v", maj, err)
	}
	m.Method = abi.MethodNum(method)
	if m.Params, err = cbg.ReadByteArray(br, cbg.ByteArrayMaxLen); err != nil {
		return nil, fmt.Errorf("message params: %w", err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("message: trailing bytes after the tuple")
	}
	return &m, nil
}

// paramsFor and returnFor give the ABI type of a chaos method's parameters and
// non-empty return; nil means the method takes or returns nothing.
func paramsFor(m abi.MethodNum) cbor.Er {
	switch m {
	case MethodCallerValidation:
		return &CallerValidationArgs{}
	case MethodCreateActor:
		return &CreateActorArgs{}
	case MethodResolveAddress, MethodDeleteActor:
		return &address.Address{}
	case MethodSend:
		return &SendArgs{}
	case MethodMutateState:
		return &MutateStateArgs{}
	case MethodAbortWith:
		return &AbortWithArgs{}
	}
	return nil
}

func returnFor(m abi.MethodNum) cbor.Er {
	switch m {
	case MethodResolveAddress:
		return &ResolveAddressResponse{}
	case MethodSend:
		return &SendReturn{}
	case MethodInspectRuntime:
		return &InspectRuntimeReturn{}
	}
	return nil
}

// TestCorpusMessages decodes the params of every message the chaos vectors send
// to Address, and the return of every successful one, into this package's
// types, requiring byte-identical re-encodings: the ABI proven on real data.
func TestCorpusMessages(t *testing.T) {
	params := map[abi.MethodNum]int{}  // messages per method
	returns := map[abi.MethodNum]int{} // non-empty returns checked per method
	for _, v := range loadChaosVectors(t) {
		name := filepath.Base(v.path)
		for i, am := range v.ApplyMessages {
			what := fmt.Sprintf("%s message %d", name, i)
			msg, err := decodeMessage(am.Bytes)
			if err != nil {
				t.Errorf("%s: %v", what, err)
				continue
			}
			if msg.To != Address {
				continue
			}
			if msg.Method == 0 {
				// A plain value transfer: no chaos code runs.
				if len(msg.Params) != 0 {
					t.Errorf("%s: value transfer carries params %x", what, msg.Params)
				}
				continue
			}
			exports := Actor{}.Exports()
			if int(msg.Method) >= len(exports) || exports[msg.Method] == nil {
				t.Errorf("%s: method %d is not a chaos method", what, msg.Method)
				continue
			}
			params[msg.Method]++
			if p := paramsFor(msg.Method); p != nil {
				checkRoundTrip(t, what+" params", msg.Params, p)
			} else if len(msg.Params) != 0 {
				t.Errorf("%s: method %d takes no params, message has %x", what, msg.Method, msg.Params)
			}
			if i >= len(v.Post.Receipts) || v.Post.Receipts[i].ExitCode != 0 {
				continue
			}
			ret := v.Post.Receipts[i].Return
			r := returnFor(msg.Method)
			switch {
			case r == nil && len(ret) != 0:
				t.Errorf("%s: method %d returns nothing, receipt has %x", what, msg.Method, ret)
			case r != nil:
				checkRoundTrip(t, what+" return", ret, r)
				returns[msg.Method]++
				if ir, ok := r.(*InspectRuntimeReturn); ok && ir.Receiver != Address {
					t.Errorf("%s: InspectRuntime receiver %s, want %s", what, ir.Receiver, Address)
				}
			}
		}
	}
	if len(params) == 0 {
		t.Fatal("no message in the chaos vectors is addressed to the chaos actor")
	}
	var nums []int
	for m := range params {
		nums = append(nums, int(m))
	}
	sort.Ints(nums)
	for _, m := range nums {
		t.Logf("method %d: %d messages, %d returns decoded", m, params[abi.MethodNum(m)], returns[abi.MethodNum(m)])
	}
}
