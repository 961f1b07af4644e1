package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
)

// The manifest is the store's own record of each shard, kept in the same
// leveldb as the dagstore's state under manifestPrefix: how big the CAR is
// (the sanity check's cheap integrity test), which gzip encodings of it have
// been seen (so a warm load can find the shard without gunzipping), and
// which vector files carry it (for GC, and to rebuild a lost CAR).

const (
	manifestPrefix = "/tvx/shards"
	// dagstorePrefix is where the dagstore keeps its per-shard state
	// (dagstore.StoreNamespace).
	dagstorePrefix = "/dagstore"
)

// shardRecord is the manifest entry of one shard.
type shardRecord struct {
	CARSize int64 `json:"car_size"`
	// Gzip lists the hex SHA-256 digests of the `car` fields (gzip streams)
	// known to decode to this CAR.
	Gzip []string `json:"gzip_sha256,omitempty"`
	// Vectors are the vector files known to carry this CAR.
	Vectors []vectorRef `json:"vectors,omitempty"`
}

// vectorRef names a vector file and the size and modification time it had
// when its CAR was last seen to hash to the shard key; while both are
// unchanged, GC need not decode the file again.
type vectorRef struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
}

func (r *shardRecord) clone() *shardRecord {
	c := *r
	c.Gzip = append([]string(nil), r.Gzip...)
	c.Vectors = append([]vectorRef(nil), r.Vectors...)
	return &c
}

func (r *shardRecord) hasGzip(gz string) bool {
	for _, g := range r.Gzip {
		if g == gz {
			return true
		}
	}
	return false
}

func (r *shardRecord) vector(path string) int {
	for i, v := range r.Vectors {
		if v.Path == path {
			return i
		}
	}
	return -1
}

// firstVector names the shard in log lines.
func (r *shardRecord) firstVector() string {
	if r == nil || len(r.Vectors) == 0 {
		return "no vector file"
	}
	if len(r.Vectors) == 1 {
		return r.Vectors[0].Path
	}
	return fmt.Sprintf("%s and %d more", r.Vectors[0].Path, len(r.Vectors)-1)
}

func manifestKey(key string) ds.Key { return ds.NewKey(manifestPrefix + "/" + key) }

func dagstoreKey(key string) ds.Key { return ds.NewKey(dagstorePrefix + "/" + key) }

// loadManifest reads every shard record.
func loadManifest(ctx context.Context, d ds.Datastore) (map[string]*shardRecord, error) {
	res, err := d.Query(ctx, query.Query{Prefix: manifestPrefix})
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer res.Close()
	out := make(map[string]*shardRecord)
	for r := range res.Next() {
		if r.Error != nil {
			return nil, fmt.Errorf("read manifest: %w", r.Error)
		}
		key := strings.TrimPrefix(r.Key, manifestPrefix+"/")
		var rec shardRecord
		if err := json.Unmarshal(r.Value, &rec); err != nil || !validShardKey(key) {
			// An unreadable record cannot be repaired from anything; the
			// shard it described becomes an orphan and is cleaned up.
			continue
		}
		out[key] = &rec
	}
	return out, nil
}

// putRecord persists rec (synced: the manifest is the store's memory of
// which vector files carry a shard).
func putRecord(ctx context.Context, d ds.Datastore, key string, rec *shardRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := d.Put(ctx, manifestKey(key), b); err != nil {
		return fmt.Errorf("write manifest entry of shard %s: %w", key, err)
	}
	return nil
}

// statVector returns a reference to the vector file at path, made absolute
// so the manifest stays valid from any working directory; ok is false when
// path is not a regular file (a vector read from a stream).
func statVector(path string) (vectorRef, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return vectorRef{}, false
	}
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() {
		return vectorRef{}, false
	}
	return vectorRef{Path: abs, Size: st.Size(), ModTime: st.ModTime().UnixNano()}, true
}

func sortedKeys(m map[string]*shardRecord) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
