package statediff

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/vm"
)

// fvmVectors lists the vector files of one FVM-era set, sorted (every
// sixth under the race detector).
func fvmVectors(t *testing.T, set string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(testcorpus.FVMSet(t, set), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no vectors in %s", set)
	}
	if raceEnabled {
		var some []string
		for i := 0; i < len(files); i += 6 {
			some = append(some, files[i])
		}
		files = some
	}
	return files
}

// vectorMessages decodes a vector's apply_messages.
func vectorMessages(t *testing.T, path string) []*vm.Message {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Apply []struct {
			Bytes string `json:"bytes"`
		} `json:"apply_messages"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []*vm.Message
	for i, m := range v.Apply {
		b, err := base64.StdEncoding.DecodeString(m.Bytes)
		if err != nil {
			t.Fatalf("%s: message %d: %v", path, i, err)
		}
		msg, err := vm.DecodeMessage(b)
		if err != nil {
			t.Fatalf("%s: message %d: %v", path, i, err)
		}
		out = append(out, msg)
	}
	return out
}

// TestBundleStatesDiffFieldByField diffs the pre-state against the
// expected post-state of every nv17 (builtin-actors v9, state tree v4) and
// nv18 (v10, state tree v5) vector: each diff completes, names every actor
// by kind and bundle version, shows every changed actor state field by
// field and every new one decoded (never as a raw CBOR blob or an
// undecodable value), agrees with an
// independent reading of each changed actor's nonce and balance through
// the FVM's own state tree, and shows each message's sender nonce advance.
func TestBundleStatesDiffFieldByField(t *testing.T) {
	sets := []struct {
		name    string
		version string
		tree    string
	}{
		{"nv17-shark", "v9", "state-tree v4"},
		{"nv18-hygge", "v10", "state-tree v5"},
	}
	ctx := context.Background()
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			fields := 0
			for _, path := range fvmVectors(t, set.name) {
				v := loadVectorFile(t, path)
				res, err := Diff(ctx, v.store, v.pre, v.post)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if len(res.Problems) > 0 {
					t.Errorf("%s: problems: %+v", path, res.Problems)
				}
				if res.TreeA != set.tree || res.TreeB != set.tree {
					t.Errorf("%s: trees %q, %q, want %q", path, res.TreeA, res.TreeB, set.tree)
				}
				cst := ipldcbor.NewCborStore(v.store.(ipldcbor.IpldBlockstore))
				pre, err := state.Load(ctx, cst, v.pre)
				if err != nil {
					t.Fatalf("%s: pre-state: %v", path, err)
				}
				post, err := state.Load(ctx, cst, v.post)
				if err != nil {
					t.Fatalf("%s: post-state: %v", path, err)
				}
				nonces := map[string]bool{}
				for _, ad := range res.Actors {
					if !strings.HasSuffix(ad.Code, " "+set.version) {
						t.Errorf("%s: %s: code %q, want a %s builtin actor", path, formatAddress(ad.Addr), ad.Code, set.version)
					}
					headChanged, stateLines := false, 0
					for _, c := range ad.Changes {
						switch {
						case c.Path == "Head":
							headChanged = true
						case c.Path == "State" && ad.Op == OpChanged:
							t.Errorf("%s: %s: state shown whole, not by field: %s → %s", path, formatAddress(ad.Addr), c.A, c.B)
						case c.Path == "State":
							// An actor on one side only is listed whole, decoded.
							if v := c.A + c.B; !strings.HasPrefix(v, "{") {
								t.Errorf("%s: %s (%c): state not decoded: %s", path, formatAddress(ad.Addr), ad.Op, v)
							}
						case strings.HasPrefix(c.Path, "State."):
							stateLines++
						}
						if strings.Contains(c.Note, "cannot decode") || strings.Contains(c.A+c.B, "cannot decode") {
							t.Errorf("%s: %s %s: %s", path, formatAddress(ad.Addr), c.Path, c.Note)
						}
					}
					if ad.Op == OpChanged && headChanged && stateLines == 0 {
						t.Errorf("%s: %s: head changed but no state field is listed", path, formatAddress(ad.Addr))
					}
					fields += stateLines
					if ad.Op == OpChanged {
						checkAgainstTree(t, path, ad, pre, post)
					}
					for _, c := range ad.Changes {
						if c.Path == "Nonce" {
							nonces[c.A+" → "+c.B] = true
						}
					}
				}
				for i, m := range vectorMessages(t, path) {
					if want := fmt.Sprintf("%d → %d", m.Nonce, m.Nonce+1); !nonces[want] {
						t.Errorf("%s: message %d from %s: no actor's nonce goes %s (nonce changes: %v)", path, i, m.From, want, nonces)
					}
				}
			}
			if fields == 0 {
				t.Error("no state field differences in the whole set")
			}
		})
	}
}

// checkAgainstTree compares the nonce and balance a diff shows for a
// changed actor with the actor as the FVM state tree reads it.
func checkAgainstTree(t *testing.T, path string, ad ActorDiff, pre, post *state.Tree) {
	t.Helper()
	id, err := address.IDFromAddress(ad.Addr)
	if err != nil {
		t.Errorf("%s: actor key %s is not an ID address", path, ad.Addr)
		return
	}
	a, okA, errA := pre.GetActor(id)
	b, okB, errB := post.GetActor(id)
	if errA != nil || errB != nil || !okA || !okB {
		t.Errorf("%s: f0%d: state tree reads (%v, %v), (%v, %v)", path, id, okA, errA, okB, errB)
		return
	}
	for _, c := range ad.Changes {
		var want Change
		switch c.Path {
		case "Nonce":
			want = Change{A: fmt.Sprint(a.Nonce), B: fmt.Sprint(b.Nonce)}
		case "Balance":
			want = Change{A: formatFIL(bigOf(a.Balance)), B: formatFIL(bigOf(b.Balance))}
		case "Head":
			want = Change{A: a.Head.String(), B: b.Head.String()}
		default:
			continue
		}
		if c.A != want.A || c.B != want.B {
			t.Errorf("%s: f0%d %s: diff shows %s → %s, state tree has %s → %s", path, id, c.Path, c.A, c.B, want.A, want.B)
		}
	}
	if a.Nonce == b.Nonce && a.Balance.Equals(b.Balance) && a.Head.Equals(b.Head) && a.Code.Equals(b.Code) &&
		string(a.Delegated) == string(b.Delegated) {
		t.Errorf("%s: f0%d listed as changed but the state tree has it unchanged", path, id)
	}
}
