package corpus

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/schema"
)

// treeState records every entry under dir: mode, size, modification time
// and content digest, so a comparison shows any file created, removed,
// written or touched.
func treeState(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		desc := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameTree(tb testing.TB, before, after map[string]string) {
	tb.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			tb.Errorf("%s removed", p)
		} else if a != b {
			tb.Errorf("%s changed: %s -> %s", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			tb.Errorf("%s created", p)
		}
	}
}

// Two read-only opens share a store at once, serve every vector's blocks
// as memory does, list, total and verify it, and leave every file of the
// store as it was; a writer is kept out meanwhile, and the operations that
// write are refused.
func TestStoreReadOnlySharedAndUntouched(t *testing.T) {
	ctx := context.Background()
	vectors := loadVectors(t, corpusFiles(t, 8))
	dir := t.TempDir()
	keys := addAll(t, dir, vectors)
	before := treeState(t, dir)

	a, alog := openTestStore(t, dir, StoreOptions{ReadOnly: true})
	b, _ := openTestStore(t, dir, StoreOptions{ReadOnly: true})
	if n, broken, _ := alog.sanity(t); n != distinct(keys) || broken != 0 {
		t.Fatalf("sanity: %d shards, %d broken; want %d, 0", n, broken, distinct(keys))
	}
	if _, err := OpenStore(ctx, dir, StoreOptions{}); !errors.Is(err, ErrStoreInUse) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("writer beside readers: %v, want ErrStoreInUse naming the readers", err)
	}
	for _, s := range []*Store{a, b} {
		for i, v := range vectors {
			mem, mrelease, err := Memory{}.Open(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			bs, release, err := s.Open(ctx, v)
			if err != nil {
				t.Fatalf("%s: %v", v.Path, err)
			}
			if !s.served[keys[i]] {
				t.Fatalf("%s: not served from the store's shard", v.Path)
			}
			sameBlocks(t, v.Path, blocksOf(t, mem), blocksOf(t, bs))
			release()
			mrelease()
		}
		for _, sh := range s.Shards() {
			if sh.State != "available" || sh.IndexSize <= 0 {
				t.Fatalf("shard %+v", sh)
			}
		}
		if st := s.Stats(); st.Shards != distinct(keys) || st.Vectors != len(vectors) {
			t.Fatalf("stats %+v", st)
		}
		res, err := s.Verify(ctx, nil)
		if err != nil || len(res) != distinct(keys) {
			t.Fatalf("verify: %d results, %v", len(res), err)
		}
		for _, r := range res {
			if r.Err != nil || r.Blocks == 0 {
				t.Fatalf("verify %s: %d blocks, %v", r.Key, r.Blocks, r.Err)
			}
		}
		if _, err := s.Add(ctx, vectors[0]); !errors.Is(err, ErrStoreReadOnly) {
			t.Fatalf("Add: %v", err)
		}
		if _, err := s.GC(ctx); !errors.Is(err, ErrStoreReadOnly) {
			t.Fatalf("GC: %v", err)
		}
		if _, err := s.Recover(ctx); !errors.Is(err, ErrStoreReadOnly) {
			t.Fatalf("Recover: %v", err)
		}
	}
	a.Close()
	b.Close()
	sameTree(t, before, treeState(t, dir))

	// A writer, in turn, keeps readers out.
	w, _ := openTestStore(t, dir, StoreOptions{})
	if _, err := OpenStore(ctx, dir, StoreOptions{ReadOnly: true}); !errors.Is(err, ErrStoreInUse) {
		t.Fatalf("reader beside a writer: %v, want ErrStoreInUse", err)
	}
	w.Close()
}

// A read-only store cannot repair: a shard whose index is lost, or whose
// CAR has flipped bytes, is reported, and its vectors read their own
// blocks; the store's files stay as they were.
func TestStoreReadOnlyBrokenShardsServeTheVector(t *testing.T) {
	ctx := context.Background()
	v := loadSample(t)
	for _, damage := range []string{"lost index", "flipped CAR bytes"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			key := addAll(t, dir, loadVectorsOf(v))[0]
			if damage == "lost index" {
				if err := os.Remove(filepath.Join(dir, indexDirName, key+indexSuffix)); err != nil {
					t.Fatal(err)
				}
			} else {
				path := filepath.Join(dir, carsDirName, carFileName(key))
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for i := len(data) / 2; i < len(data)/2+8; i++ {
					data[i] ^= 0x5a
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := treeState(t, dir)
			s, log := openTestStore(t, dir, StoreOptions{ReadOnly: true})
			wantBroken := 0
			if damage == "lost index" {
				wantBroken = 1
			}
			if _, broken, repaired := log.sanity(t); broken != wantBroken || repaired != 0 {
				t.Fatalf("sanity: %d broken, %d repaired", broken, repaired)
			}
			bs, release, err := s.Open(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			mem, mrelease, err := Memory{}.Open(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			sameBlocks(t, v.Path, blocksOf(t, mem), blocksOf(t, bs))
			release()
			mrelease()
			if line := log.last("shard " + key); !strings.Contains(line, "read-only, so its vectors read their own blocks") && !strings.Contains(line, "read-only, so the vector reads its own blocks") {
				t.Fatalf("no line about the broken shard; log:\n%s", strings.Join(log.all(), "\n"))
			}
			if damage == "flipped CAR bytes" && log.last("corrupt store: shard "+key) == "" {
				t.Fatalf("no corrupt-store line; log:\n%s", strings.Join(log.all(), "\n"))
			}
			s.Close()
			sameTree(t, before, treeState(t, dir))
		})
	}
}

// A directory that holds no store is refused read-only, and nothing is
// created in it.
func TestStoreReadOnlyNeedsAStore(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenStore(context.Background(), dir, StoreOptions{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "not a corpus store") {
		t.Fatalf("open: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("created %v", entries)
	}
}

func loadVectorsOf(vs ...*schema.Vector) []*schema.Vector { return vs }
