package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/filecoin-project/dagstore/shard"
	levelds "github.com/ipfs/go-ds-leveldb"
	carv2 "github.com/ipld/go-car/v2"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/tvx-project/tvx/schema"
)

// ErrStoreReadOnly is returned by the operations that write (Add, GC,
// Recover) on a store opened with StoreOptions.ReadOnly.
var ErrStoreReadOnly = errors.New("corpus store opened read-only")

// A read-only store serves the shards it finds intact straight from their
// CAR and index files: the dagstore is not started, because it records a
// shard's state on every acquire and release. Nothing under the store's
// directory is created, changed or removed, so any number of read-only
// processes can share the store (each holds the lock file's shared lock;
// a writer's exclusive lock keeps them out and them it). A vector whose CAR
// the store lacks, or whose shard is broken, reads its own blocks, as
// Memory does: the store saves work, it never decides a result.

// openStoreReadOnly is OpenStore for StoreOptions.ReadOnly. The directory
// must hold a store already; its sanity check reports broken shards and
// repairs none.
func openStoreReadOnly(ctx context.Context, s *Store) (_ *Store, err error) {
	dir := s.dir
	for _, d := range []string{dir, filepath.Join(dir, datastoreDir), filepath.Join(dir, indexDirName), s.carsDir} {
		st, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("open corpus store %s read-only: not a corpus store: %w", dir, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("open corpus store %s read-only: not a corpus store: %s is not a directory", dir, d)
		}
	}
	if s.lock, err = lockStoreShared(filepath.Join(dir, lockFileName)); err != nil {
		return nil, fmt.Errorf("open corpus store %s read-only: %w", dir, err)
	}
	defer func() {
		if err != nil {
			s.teardown()
		}
	}()
	// leveldb's read-only mode takes a shared lock on its own LOCK file
	// and writes no journal, manifest or log.
	if s.ldb, err = levelds.NewDatastore(filepath.Join(dir, datastoreDir), &levelds.Options{
		Compression: opt.NoCompression,
		Strict:      opt.StrictAll,
		ReadOnly:    true,
	}); err != nil {
		return nil, fmt.Errorf("open corpus store %s read-only: datastore: %w", dir, err)
	}
	if s.repo, err = newAtomicIndexRepo(filepath.Join(dir, indexDirName)); err != nil {
		return nil, fmt.Errorf("open corpus store %s read-only: index repository: %w", dir, err)
	}
	if s.records, err = loadManifest(ctx, s.ldb); err != nil {
		return nil, fmt.Errorf("open corpus store %s read-only: %w", dir, err)
	}
	for key, rec := range s.records {
		for _, gz := range rec.Gzip {
			s.byGzip[gz] = key
		}
	}
	if s.roStates, err = s.persistedStates(ctx); err != nil {
		return nil, fmt.Errorf("open corpus store %s read-only: sanity check: %w", dir, err)
	}
	s.roUsable = make(map[string]bool, len(s.records))
	s.sanity.Shards = len(s.records)
	for _, key := range sortedKeys(s.records) {
		rec := s.records[key]
		problems, _ := s.inspect(key, rec, s.roStates[key])
		if len(problems) == 0 {
			s.roUsable[key] = true
			continue
		}
		s.sanity.Broken++
		s.log.Logf("WARN corpus store: shard %s (%s): %s; the store is read-only, so its vectors read their own blocks", key, rec.firstVector(), strings.Join(problems, "; "))
	}
	s.log.Logf("sanity check completed: %d shards, %d broken, %d repaired", s.sanity.Shards, s.sanity.Broken, s.sanity.Repaired)
	return s, nil
}

// ReadOnly reports whether the store was opened with StoreOptions.ReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// openReadOnly is Open on a read-only store.
func (s *Store) openReadOnly(ctx context.Context, v *schema.Vector) (Blockstore, func(), error) {
	mem := Memory{MaxCARSize: s.opts.MaxCARSize}
	if s.servesFromMemory(v) {
		return mem.Open(ctx, v)
	}
	// The manifest lists the gzip digest of every vector file indexed; a
	// vector not among them would have to be decompressed to find its
	// shard, which costs what reading it from memory costs.
	gzSum := hashHex(v.CAR)
	s.mu.Lock()
	key, known := s.byGzip[gzSum]
	usable := known && s.roUsable[key]
	checked := s.served[key]
	s.mu.Unlock()
	if !usable {
		return mem.Open(ctx, v)
	}
	bs, release, err := s.openShardFiles(key)
	if err != nil {
		s.markUnusable(key)
		s.log.Logf("WARN corpus store: shard %s (%s): %v; the store is read-only, so the vector reads its own blocks", key, v.Path, err)
		return mem.Open(ctx, v)
	}
	if !checked {
		// As on a writable store, the first serving of a shard checks every
		// block against the vector's; a damaged shard cannot be rebuilt
		// here, so the vector's own blocks are used instead.
		carv1, err := vectorCARv1(ctx, v, s.opts.MaxCARSize)
		if err != nil {
			release()
			return nil, nil, err
		}
		if problem := servesCAR(ctx, bs, carv1); problem != nil {
			release()
			s.markUnusable(key)
			s.log.Logf("WARN corpus store: corrupt store: shard %s (%s): %v; the store is read-only, so the vector reads its own blocks", key, v.Path, problem)
			return mem.Open(ctx, v)
		}
		s.mu.Lock()
		s.served[key] = true
		s.mu.Unlock()
	}
	if err := CheckRoots(ctx, bs, v); err != nil {
		release()
		return nil, nil, err
	}
	return bs, release, nil
}

func (s *Store) markUnusable(key string) {
	s.mu.Lock()
	delete(s.roUsable, key)
	s.mu.Unlock()
}

// openShardFiles opens key's CAR with its stored index, as the dagstore's
// accessor does but without the dagstore. The file is read with pread
// rather than mapped: a read-only store serves a run, not a server.
func (s *Store) openShardFiles(key string) (Blockstore, func(), error) {
	idx, err := s.repo.GetFullIndex(shard.KeyFromString(key))
	if err != nil {
		return nil, nil, fmt.Errorf("read index: %w", err)
	}
	f, err := os.Open(filepath.Join(s.carsDir, carFileName(key)))
	if err != nil {
		return nil, nil, fmt.Errorf("open CAR: %w", err)
	}
	bs, err := carbs.NewReadOnly(f, idx, carv2.ZeroLengthSectionAsEOF(true))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open CAR: %w", err)
	}
	var once sync.Once
	return bs, func() {
		once.Do(func() {
			bs.Close()
			f.Close()
		})
	}, nil
}
