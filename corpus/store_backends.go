package corpus

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/filecoin-project/dagstore/index"
	"github.com/filecoin-project/dagstore/shard"
	ds "github.com/ipfs/go-datastore"
	levelds "github.com/ipfs/go-ds-leveldb"
	carindex "github.com/ipld/go-car/v2/index"
	"github.com/multiformats/go-multihash"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/tvx-project/tvx/internal/atomicfile"
)

// The pieces the dagstore is built from. Each differs from the stock
// component in one deliberate way, explained on the type.

// lazySyncDatastore is the dagstore's view of the store's leveldb: writes
// reach leveldb's journal without an fsync. The dagstore persists a shard's
// state after every operation, including each acquire and release, and
// go-ds-leveldb fsyncs every Put; that would put two fsyncs on the path of
// every vector load. Losing the last few state writes to a power cut is
// harmless here: the sanity check on open rebuilds any shard whose recorded
// state does not match the files on disk. The store's own manifest records
// go through the synced datastore.
type lazySyncDatastore struct {
	*levelds.Datastore
}

// Put stores value under key without waiting for the disk. go-ds-leveldb
// keys its leveldb by ds.Key.Bytes(), so reads through the embedded
// datastore see these writes.
func (d lazySyncDatastore) Put(_ context.Context, key ds.Key, value []byte) error {
	return d.DB.Put(key.Bytes(), value, &opt.WriteOptions{Sync: false})
}

// Delete removes key without waiting for the disk.
func (d lazySyncDatastore) Delete(_ context.Context, key ds.Key) error {
	return d.DB.Delete(key.Bytes(), &opt.WriteOptions{Sync: false})
}

// openLevelDB opens (creating if needed) the leveldb at dir with the settings
// Lotus uses for its dagstore datastore: no compression (values are small
// JSON records) and strict checksums, so corruption is reported, not read.
func openLevelDB(dir string) (*levelds.Datastore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return levelds.NewDatastore(dir, &levelds.Options{
		Compression: opt.NoCompression,
		Strict:      opt.StrictAll,
	})
}

// indexSuffix is the file name suffix dagstore's FSIndexRepo gives a shard's
// index: <shard key><indexSuffix> in the repo's directory.
const indexSuffix = ".full.idx"

// atomicIndexRepo is dagstore's FSIndexRepo with one change: an index is
// written to a temporary file and renamed into place once complete and
// synced. The stock repo writes the final file in place, so a crash while
// indexing leaves a truncated index that the dagstore, on restart, takes for
// a finished one. With this repo an index file is either whole or absent.
type atomicIndexRepo struct {
	*index.FSIndexRepo
	dir string
}

func newAtomicIndexRepo(dir string) (*atomicIndexRepo, error) {
	repo, err := index.NewFSRepo(dir)
	if err != nil {
		return nil, err
	}
	return &atomicIndexRepo{FSIndexRepo: repo, dir: dir}, nil
}

func (r *atomicIndexRepo) path(key shard.Key) string {
	return filepath.Join(r.dir, key.String()+indexSuffix)
}

// AddFullIndex implements index.FullIndexRepo.
func (r *atomicIndexRepo) AddFullIndex(key shard.Key, idx carindex.Index) error {
	return atomicfile.Write(r.path(key), 0o644, func(w io.Writer) error {
		_, err := carindex.WriteTo(idx, w)
		return err
	})
}

// DropFullIndex implements index.FullIndexRepo; an absent index is not an
// error (the stock repo fails on it, which would fail a recovery that merely
// found nothing to drop).
func (r *atomicIndexRepo) DropFullIndex(key shard.Key) (bool, error) {
	err := os.Remove(r.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// indexSize returns the size of key's index file, or -1 when it is absent.
func (r *atomicIndexRepo) indexSize(key shard.Key) int64 {
	st, err := r.StatFullIndex(key)
	if err != nil || !st.Exists {
		return -1
	}
	return int64(st.Size)
}

// noInvertedIndex stands in for the dagstore's top-level CID → shards index.
// tvx always knows which shard it wants (the vector names it), so the
// inverted index would be pure cost: the dagstore's default keeps every
// block's multihash of every shard in memory.
type noInvertedIndex struct{}

var errNoInvertedIndex = errors.New("the tvx corpus store keeps no CID-to-shard index")

func (noInvertedIndex) AddMultihashesForShard(context.Context, index.MultihashIterator, shard.Key) error {
	return nil
}

func (noInvertedIndex) GetShardsForMultihash(context.Context, multihash.Multihash) ([]shard.Key, error) {
	return nil, errNoInvertedIndex
}
