package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/filecoin-project/dagstore"
	"github.com/filecoin-project/dagstore/mount"
	"github.com/filecoin-project/dagstore/shard"
	"github.com/ipfs/go-cid"
	levelds "github.com/ipfs/go-ds-leveldb"

	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/internal/fault"
	"github.com/tvx-project/tvx/schema"
)

// Logger receives the store's diagnostic lines (warnings about broken
// shards, the sanity check's summary). *testing.T and the CLI's reporter
// satisfy it.
type Logger interface {
	Logf(format string, args ...any)
}

type discardLogger struct{}

func (discardLogger) Logf(string, ...any) {}

var (
	// ErrStoreInUse is returned by OpenStore when another process holds the
	// store.
	ErrStoreInUse = errors.New("corpus store in use")
	// ErrStoreClosed is returned by operations on a closed store.
	ErrStoreClosed = errors.New("corpus store closed")
)

// Layout of a store directory.
const (
	lockFileName   = "tvx.lock"
	datastoreDir   = "datastore"
	indexDirName   = "index"
	carsDirName    = "cars"
	transientsName = "transients"
)

// DefaultStoreDir returns the store directory used when none is given:
// tvx/store under the user's cache directory.
func DefaultStoreDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locate user cache directory: %w", err)
	}
	return filepath.Join(base, "tvx", "store"), nil
}

// StoreOptions configures OpenStore. The zero value is usable.
type StoreOptions struct {
	// Logger receives warnings and the sanity check's summary; nil discards
	// them.
	Logger Logger
	// MaxCARSize caps a decompressed CAR; 0 means schema.DefaultMaxCARSize.
	MaxCARSize int64
	// MaxConcurrentIndex bounds how many CARs are indexed at once; 0 means
	// the number of CPUs (indexing is CPU-bound parsing).
	MaxConcurrentIndex int
	// MemoryBelow serves vectors whose compressed `car` field is smaller
	// than this many bytes from memory (as Memory does) instead of from the
	// store: for small CARs, acquiring a shard costs more than indexing the
	// CAR afresh (see BenchmarkLoadStoreWarm). 0 means
	// DefaultStoreMemoryBelow; a negative value sends every vector to the
	// store.
	MemoryBelow int64
	// ReadOnly opens an existing store without writing to it: under a
	// shared lock (any number of read-only processes at once, none while a
	// writer holds the store), broken shards reported but not repaired,
	// intact shards served from their files, and every other vector served
	// from its own blocks. Add, GC and Recover fail with ErrStoreReadOnly.
	ReadOnly bool
}

// Store is a Source backed by a dagstore: each distinct vector CAR is a
// shard, keyed by the hex SHA-256 of the CAR, stored once in the store's
// directory, indexed once with a CARv2 index, and acquired as a read-only
// CARv2 blockstore on every Open. A Store is safe for concurrent use; only
// one process may hold a store directory for writing at a time, and none
// while read-only processes share it.
type Store struct {
	dir     string
	carsDir string
	opts    StoreOptions
	log     Logger

	lock *os.File
	ldb  *levelds.Datastore
	repo *atomicIndexRepo
	dag  *dagstore.DAGStore

	// ctx governs the dagstore's work; it ends at Close. Work shared by
	// several callers (indexing a shard) is not tied to any caller's context.
	ctx    context.Context
	cancel context.CancelFunc

	traceCh   chan dagstore.Trace
	traceStop chan struct{}
	traceDone chan struct{}

	mu       sync.Mutex
	records  map[string]*shardRecord // shard key → manifest entry
	byGzip   map[string]string       // gzip digest → shard key
	inflight map[string]*flight      // shard key → registration in progress
	destroys map[shard.Key]chan struct{}
	served   map[string]bool // shard keys whose blocks this process has checked

	// A read-only store has no dagstore: the shard states it read at open,
	// and the shards found intact then and not damaged since.
	readOnly bool
	roStates map[string]registration
	roUsable map[string]bool

	sanity SanityReport

	closeOnce sync.Once
	closeErr  error
}

// flight is one registration that concurrent Opens of the same CAR share.
type flight struct {
	done    chan struct{}
	created bool
	err     error
}

// SanityReport is the outcome of the check OpenStore runs.
type SanityReport struct {
	// Shards is the number of shards in the manifest.
	Shards int
	// Broken counts shards whose CAR, index or registration was missing or
	// damaged.
	Broken int
	// Repaired counts broken shards re-registered and indexed again.
	Repaired int
	// Orphans counts dagstore entries and files no manifest entry accounts
	// for; they were removed.
	Orphans int
}

// OpenStore opens (creating if needed) the store in dir, checks every shard
// and repairs what it can (see SanityReport), and starts the dagstore.
// Close releases it. OpenStore fails with ErrStoreInUse when another process
// has the store open for writing, or (unless opts.ReadOnly) read-only.
func OpenStore(ctx context.Context, dir string, opts StoreOptions) (_ *Store, err error) {
	if dir == "" {
		return nil, errors.New("open corpus store: no directory given")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open corpus store: %w", err)
	}
	s := &Store{
		dir:      dir,
		carsDir:  filepath.Join(dir, carsDirName),
		opts:     opts,
		log:      opts.Logger,
		inflight: make(map[string]*flight),
		destroys: make(map[shard.Key]chan struct{}),
		byGzip:   make(map[string]string),
		served:   make(map[string]bool),
		readOnly: opts.ReadOnly,
	}
	if s.log == nil {
		s.log = discardLogger{}
	}
	if opts.ReadOnly {
		return openStoreReadOnly(ctx, s)
	}
	for _, d := range []string{dir, s.carsDir, filepath.Join(dir, transientsName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open corpus store %s: %w", dir, err)
		}
	}
	if s.lock, err = lockStore(filepath.Join(dir, lockFileName)); err != nil {
		return nil, fmt.Errorf("open corpus store %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			s.teardown()
		}
	}()
	if s.ldb, err = openLevelDB(filepath.Join(dir, datastoreDir)); err != nil {
		return nil, fmt.Errorf("open corpus store %s: datastore: %w", dir, err)
	}
	if s.repo, err = newAtomicIndexRepo(filepath.Join(dir, indexDirName)); err != nil {
		return nil, fmt.Errorf("open corpus store %s: index repository: %w", dir, err)
	}
	if s.records, err = loadManifest(ctx, s.ldb); err != nil {
		return nil, fmt.Errorf("open corpus store %s: %w", dir, err)
	}
	for key, rec := range s.records {
		for _, gz := range rec.Gzip {
			s.byGzip[gz] = key
		}
	}

	// Check and clean up while the dagstore is not running: it restores its
	// state from the datastore on start, so fixing the datastore first is
	// all it takes.
	reindex, err := s.checkOffline(ctx)
	if err != nil {
		return nil, fmt.Errorf("open corpus store %s: sanity check: %w", dir, err)
	}

	registry := mount.NewRegistry()
	if err := registry.Register(carMountScheme, &carMount{Dir: s.carsDir}); err != nil {
		return nil, fmt.Errorf("open corpus store %s: %w", dir, err)
	}
	maxIndex := opts.MaxConcurrentIndex
	if maxIndex <= 0 {
		maxIndex = runtime.NumCPU()
	}
	s.traceCh = make(chan dagstore.Trace, 64)
	s.traceStop = make(chan struct{})
	s.traceDone = make(chan struct{})
	s.dag, err = dagstore.NewDAGStore(dagstore.Config{
		TransientsDir: filepath.Join(dir, transientsName),
		IndexRepo:     s.repo,
		TopLevelIndex: noInvertedIndex{},
		Datastore:     lazySyncDatastore{s.ldb},
		MountRegistry: registry,
		TraceCh:       s.traceCh,
		// Indexing parses the whole CAR: CPU-bound, so one per core.
		MaxConcurrentIndex: maxIndex,
		// Only mounts without random access are fetched into transients
		// (and throttled by this); the CAR mount is read in place, so this
		// bound is a safeguard, not a limit on loads.
		MaxConcurrentReadyFetches: 4 * maxIndex,
		// checkOffline leaves no errored shard behind; one that errs later
		// and survives a restart is retried on its first acquire.
		RecoverOnStart: dagstore.RecoverOnAcquire,
	})
	if err != nil {
		return nil, fmt.Errorf("open corpus store %s: %w", dir, err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.traceLoop()
	if err := s.dag.Start(s.ctx); err != nil {
		return nil, fmt.Errorf("open corpus store %s: start dagstore: %w", dir, err)
	}

	s.sanity.Repaired = s.reregister(reindex)
	s.log.Logf("sanity check completed: %d shards, %d broken, %d repaired", s.sanity.Shards, s.sanity.Broken, s.sanity.Repaired)
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Sanity returns the report of the check run by OpenStore.
func (s *Store) Sanity() SanityReport { return s.sanity }

// Close stops the dagstore and releases the store. Blockstores returned by
// Open must be released first.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.teardown() })
	return s.closeErr
}

func (s *Store) teardown() error {
	var errs []error
	if s.dag != nil {
		s.cancel()
		errs = append(errs, s.dag.Close())
		close(s.traceStop)
		<-s.traceDone
	}
	if s.ldb != nil {
		errs = append(errs, s.ldb.Close())
	}
	if s.lock != nil {
		errs = append(errs, unlockStore(s.lock))
	}
	return errors.Join(errs...)
}

// traceLoop drains the dagstore's trace channel (the dagstore blocks until
// each trace is taken) and wakes whoever waits for a shard's destruction:
// the trace is the only signal that a destroy has been carried out.
func (s *Store) traceLoop() {
	defer close(s.traceDone)
	for {
		select {
		case tr := <-s.traceCh:
			if tr.Op == dagstore.OpShardDestroy {
				s.mu.Lock()
				if w, ok := s.destroys[tr.Key]; ok {
					delete(s.destroys, tr.Key)
					close(w)
				}
				s.mu.Unlock()
			}
		case <-s.traceStop:
			return
		}
	}
}

// DefaultStoreMemoryBelow is the default StoreOptions.MemoryBelow. A warm
// shard costs a near-constant ~90µs to acquire (a round trip through the
// dagstore's event loop, opening and mapping the CAR, reading its index,
// two state writes), while Memory's cost grows with the CAR: on the public
// corpus Memory is cheaper below ~10 KiB of compressed CAR (~35µs at 2 KiB)
// and dearer above (~120µs at 14 KiB, ~0.9ms past 32 KiB). Measured by
// BenchmarkLoadBySize.
const DefaultStoreMemoryBelow = 10 << 10

func (s *Store) servesFromMemory(v *schema.Vector) bool {
	limit := s.opts.MemoryBelow
	if limit == 0 {
		limit = DefaultStoreMemoryBelow
	}
	return int64(len(v.CAR)) < limit
}

// Open implements Source: it acquires the vector's shard, adding the CAR to
// the store and indexing it on first sight, and returns the shard's
// read-only blockstore; the returned function releases the shard. A shard
// found broken is recovered (from the vector in hand if its CAR is gone)
// before Open gives up. The blocks, and the errors for a malformed vector,
// are those Memory gives.
func (s *Store) Open(ctx context.Context, v *schema.Vector) (Blockstore, func(), error) {
	if s.readOnly {
		return s.openReadOnly(ctx, v)
	}
	if s.servesFromMemory(v) {
		return Memory{MaxCARSize: s.opts.MaxCARSize}.Open(ctx, v)
	}
	key, _, err := s.ensure(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	acc, err := s.acquire(ctx, key)
	if err != nil && ctx.Err() == nil && s.ctx.Err() == nil {
		acc, err = s.heal(ctx, key, v, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: corpus store: acquire shard %s: %w", v.Path, key, err)
	}
	bs, release, err := accessorBlockstore(acc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: corpus store: shard %s: %w", v.Path, key, err)
	}
	if bs, release, err = s.checkServed(ctx, key, v, bs, release); err != nil {
		return nil, nil, err
	}
	if err := CheckRoots(ctx, bs, v); err != nil {
		release()
		return nil, nil, err
	}
	return bs, release, nil
}

// accessorBlockstore returns the accessor's blockstore and a release
// function that closes the blockstore before the accessor: the accessor
// unmaps the CAR, and a closed blockstore fails cleanly where an open one
// would read unmapped memory.
func accessorBlockstore(acc *dagstore.ShardAccessor) (Blockstore, func(), error) {
	rbs, err := acc.Blockstore()
	if err != nil {
		acc.Close()
		return nil, nil, err
	}
	bs, ok := rbs.(Blockstore)
	if !ok {
		acc.Close()
		return nil, nil, fmt.Errorf("dagstore blockstore %T lacks the blockstore methods", rbs)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			if c, ok := bs.(io.Closer); ok {
				c.Close()
			}
			acc.Close()
		})
	}
	return bs, release, nil
}

// ensure returns the shard key of v's CAR, adding the CAR to the store when
// it is new (created reports that). A warm vector costs one SHA-256 of its
// compressed CAR.
func (s *Store) ensure(ctx context.Context, v *schema.Vector) (key string, created bool, err error) {
	gzSum := sha256.Sum256(v.CAR)
	gz := hex.EncodeToString(gzSum[:])
	s.mu.Lock()
	key, known := s.byGzip[gz]
	s.mu.Unlock()
	if known && s.registered(key) {
		if err := s.noteVector(ctx, key, "", v.Path, 0); err != nil {
			return "", false, err
		}
		return key, false, nil
	}
	carv1, err := vectorCARv1(ctx, v, s.opts.MaxCARSize)
	if err != nil {
		return "", false, err
	}
	sum := sha256.Sum256(carv1)
	key = hex.EncodeToString(sum[:])
	created, err = s.add(ctx, key, carv1, gz, v.Path)
	if err != nil {
		var ie *indexError
		if errors.As(err, &ie) {
			return "", false, &schema.Error{File: v.Path, Field: "car", Err: fmt.Errorf("index CAR: %w", ie.err)}
		}
		return "", false, fmt.Errorf("%s: corpus store: add shard %s: %w", v.Path, key, err)
	}
	if err := s.noteVector(ctx, key, gz, v.Path, int64(len(carv1))); err != nil {
		return "", false, err
	}
	return key, created, nil
}

// AddResult describes what Add did.
type AddResult struct {
	// Key is the shard key of the vector's CAR.
	Key string
	// New is true when this call stored and indexed the CAR (of concurrent
	// calls adding one CAR, only the one that did the work reports New).
	New bool
	// Memory is true when the vector is below the MemoryBelow threshold;
	// such vectors are not added, as Open never reads them from the store.
	Memory bool
}

// Add puts v's CAR in the store and indexes it, unless it is there already
// (an unchanged CAR is never indexed twice), and records v.Path as carrying
// it.
func (s *Store) Add(ctx context.Context, v *schema.Vector) (AddResult, error) {
	if s.readOnly {
		return AddResult{}, fmt.Errorf("%s: %w", v.Path, ErrStoreReadOnly)
	}
	if s.servesFromMemory(v) {
		return AddResult{Memory: true}, nil
	}
	key, created, err := s.ensure(ctx, v)
	if err != nil {
		return AddResult{}, err
	}
	return AddResult{Key: key, New: created}, nil
}

// indexError marks a CAR the dagstore could not index: a malformed vector,
// not a store fault.
type indexError struct{ err error }

func (e *indexError) Error() string { return e.err.Error() }

// add stores and registers the CAR under key unless the dagstore knows it.
// Concurrent adds of one key share a single registration, which runs under
// the store's context so that no caller's cancellation fails the shard for
// the others; created is reported to the caller that started it.
func (s *Store) add(ctx context.Context, key string, carv1 []byte, gz, path string) (created bool, err error) {
	s.mu.Lock()
	f, ok := s.inflight[key]
	leader := !ok
	if leader {
		f = &flight{done: make(chan struct{})}
		s.inflight[key] = f
		go func() {
			f.created, f.err = s.register(key, carv1, gz, path)
			s.mu.Lock()
			delete(s.inflight, key)
			s.mu.Unlock()
			close(f.done)
		}()
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.created && leader, f.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (s *Store) registered(key string) bool {
	_, err := s.dag.GetShardInfo(shard.KeyFromString(key))
	return err == nil
}

// register writes the CAR (unless an intact copy is there), records the
// shard in the manifest and registers it with the dagstore, waiting until it
// is indexed. The manifest entry comes first, so the dagstore never holds a
// shard the manifest does not account for. created is false when the
// dagstore already had the shard. gz and path, the vector's gzip digest and
// file, go into the first manifest entry, so a crash right after
// registration still leaves a record of where the CAR came from.
func (s *Store) register(key string, carv1 []byte, gz, path string) (created bool, err error) {
	if s.registered(key) {
		return false, nil
	}
	if !s.carIntact(key, int64(len(carv1))) {
		err := atomicfile.Write(filepath.Join(s.carsDir, carFileName(key)), 0o644, func(w io.Writer) error {
			_, err := w.Write(carv1)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("write CAR: %w", err)
		}
	}
	if err := s.noteVector(s.ctx, key, gz, path, int64(len(carv1))); err != nil {
		return false, err
	}
	if err := s.registerShard(key); err != nil {
		// Leave nothing behind for a CAR that cannot be indexed: Open
		// reports the vector as malformed, as Memory would.
		if ferr := s.forget(s.ctx, key); ferr != nil {
			s.log.Logf("WARN corpus store: shard %s: cleaning up after a failed registration: %v", key, ferr)
		}
		return false, &indexError{err: err}
	}
	return true, nil
}

// registerShard registers key with the dagstore and waits for its index.
func (s *Store) registerShard(key string) error {
	ch := make(chan dagstore.ShardResult, 1)
	mnt := &carMount{Dir: s.carsDir, Key: key}
	err := s.dag.RegisterShard(s.ctx, shard.KeyFromString(key), mnt, ch, dagstore.RegisterOpts{})
	if errors.Is(err, dagstore.ErrShardExists) {
		return nil
	}
	if err != nil {
		return err
	}
	select {
	case r := <-ch:
		return r.Error
	case <-s.ctx.Done():
		return ErrStoreClosed
	}
}

// noteVector records, in the manifest entry of key (created if absent), the
// gzip digest gz and the vector file at path, each when given and new.
func (s *Store) noteVector(ctx context.Context, key, gz, path string, carSize int64) error {
	var ref vectorRef
	haveRef := false
	if path != "" {
		ref, haveRef = statVector(path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[key]
	changed := !ok
	if !ok {
		if carSize <= 0 {
			// Forgotten meanwhile (GC); the next Open adds it again.
			return nil
		}
		rec = &shardRecord{CARSize: carSize}
	} else {
		rec = rec.clone()
	}
	if gz != "" && !rec.hasGzip(gz) {
		rec.Gzip = append(rec.Gzip, gz)
		changed = true
	}
	if haveRef {
		if i := rec.vector(ref.Path); i < 0 {
			rec.Vectors = append(rec.Vectors, ref)
			changed = true
		} else if rec.Vectors[i] != ref {
			rec.Vectors[i] = ref
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := putRecord(ctx, s.ldb, key, rec); err != nil {
		return err
	}
	s.records[key] = rec
	if gz != "" {
		s.byGzip[gz] = key
	}
	return nil
}

// acquire acquires the shard and waits for its accessor. The dagstore works
// under the store's context, so a result is always delivered; if ctx ends
// first, the accessor that arrives later is closed, not leaked.
func (s *Store) acquire(ctx context.Context, key string) (*dagstore.ShardAccessor, error) {
	ch := make(chan dagstore.ShardResult, 1)
	if err := s.dag.AcquireShard(s.ctx, shard.KeyFromString(key), ch, dagstore.AcquireOpts{}); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, r.Error
		}
		return r.Accessor, nil
	case <-ctx.Done():
		go func() {
			select {
			case r := <-ch:
				if r.Accessor != nil {
					r.Accessor.Close()
				}
			case <-s.ctx.Done():
			}
		}()
		return nil, ctx.Err()
	}
}

// heal repairs the shard of v after a failed acquire: it rewrites the CAR
// from the vector if the store's copy is gone or damaged, re-indexes the
// shard, and acquires it again.
func (s *Store) heal(ctx context.Context, key string, v *schema.Vector, cause error) (*dagstore.ShardAccessor, error) {
	s.log.Logf("WARN corpus store: shard %s (%s): %v; recovering", key, v.Path, cause)
	carv1, err := vectorCARv1(ctx, v, s.opts.MaxCARSize)
	if err != nil {
		return nil, err
	}
	if !s.carIntact(key, int64(len(carv1))) {
		err := atomicfile.Write(filepath.Join(s.carsDir, carFileName(key)), 0o644, func(w io.Writer) error {
			_, err := w.Write(carv1)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("rewrite CAR: %w (after %v)", err, cause)
		}
	}
	info, err := s.dag.GetShardInfo(shard.KeyFromString(key))
	switch {
	case errors.Is(err, dagstore.ErrShardUnknown):
		if _, err := s.add(ctx, key, carv1, "", v.Path); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case info.ShardState == dagstore.ShardStateErrored:
		// A concurrent heal may have started the recovery already; the
		// acquire below then waits for it.
		_ = s.recoverShard(ctx, key)
	}
	return s.acquire(ctx, key)
}

// recoverShard asks the dagstore to re-index an errored shard and waits.
func (s *Store) recoverShard(ctx context.Context, key string) error {
	ch := make(chan dagstore.ShardResult, 1)
	if err := s.dag.RecoverShard(s.ctx, shard.KeyFromString(key), ch, dagstore.RecoverOpts{}); err != nil {
		return err
	}
	select {
	case r := <-ch:
		return r.Error
	case <-ctx.Done():
		return ctx.Err()
	}
}

// carIntact reports whether the store holds key's CAR at the expected size.
// Content is checked by Verify; size is the cheap test for a lost or
// truncated file.
func (s *Store) carIntact(key string, size int64) bool {
	st, err := os.Stat(filepath.Join(s.carsDir, carFileName(key)))
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// forget removes every trace of a shard: its dagstore state, index, CAR and
// manifest entry. It fails if the shard is acquired.
func (s *Store) forget(ctx context.Context, key string) error {
	if s.registered(key) {
		if err := s.destroy(ctx, key); err != nil {
			return err
		}
	}
	// The dagstore persists a shard's state even as it destroys it, so the
	// entry is deleted here, after the destroy has been carried out.
	if err := s.ldb.Delete(ctx, dagstoreKey(key)); err != nil {
		return fmt.Errorf("delete dagstore state: %w", err)
	}
	if _, err := s.repo.DropFullIndex(shard.KeyFromString(key)); err != nil {
		return fmt.Errorf("drop index: %w", err)
	}
	if err := os.Remove(filepath.Join(s.carsDir, carFileName(key))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove CAR: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.records[key]; ok {
		if err := s.ldb.Delete(ctx, manifestKey(key)); err != nil {
			return fmt.Errorf("delete manifest entry: %w", err)
		}
		for _, gz := range rec.Gzip {
			if s.byGzip[gz] == key {
				delete(s.byGzip, gz)
			}
		}
		delete(s.records, key)
	}
	return nil
}

// destroy removes the shard from the dagstore and waits until the dagstore
// has done so (the destroy operation reports only failures).
func (s *Store) destroy(ctx context.Context, key string) error {
	k := shard.KeyFromString(key)
	done := make(chan struct{})
	s.mu.Lock()
	s.destroys[k] = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.destroys[k] == done {
			delete(s.destroys, k)
		}
		s.mu.Unlock()
	}()
	ch := make(chan dagstore.ShardResult, 1)
	if err := s.dag.DestroyShard(s.ctx, k, ch, dagstore.DestroyOpts{}); err != nil {
		return fmt.Errorf("destroy shard: %w", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrStoreClosed
	}
	if s.registered(key) {
		select {
		case r := <-ch:
			return fmt.Errorf("destroy shard: %w", r.Error)
		default:
			return errors.New("destroy shard: refused by the dagstore")
		}
	}
	return nil
}

// checkServed makes sure, the first time this process serves a shard, that
// every block of the vector's CAR comes out of the shard intact: flipped
// bytes in the shard's CAR or index survive the size-based start-up check
// and would otherwise turn a correct vector into a false failure. A shard
// that serves a wrong or missing block is rebuilt from the vector (whose
// blocks were checked at load), with a "corrupt store" line, and served
// anew; the verdict is then the vector's, never the store's. The check
// costs one pass over the shard's blocks per process.
func (s *Store) checkServed(ctx context.Context, key string, v *schema.Vector, bs Blockstore, release func()) (Blockstore, func(), error) {
	s.mu.Lock()
	done := s.served[key]
	s.mu.Unlock()
	if done {
		return bs, release, nil
	}
	carv1, err := vectorCARv1(ctx, v, s.opts.MaxCARSize)
	if err != nil {
		release()
		return nil, nil, err
	}
	problem := servesCAR(ctx, bs, carv1)
	if problem == nil {
		s.mu.Lock()
		s.served[key] = true
		s.mu.Unlock()
		return bs, release, nil
	}
	release()
	if err := s.rebuild(ctx, key, carv1); err != nil {
		return nil, nil, fault.IOf(fmt.Errorf("%s: corrupt store: shard %s (%v), and rebuilding it failed: %w", v.Path, key, problem, err))
	}
	acc, err := s.acquire(ctx, key)
	if err != nil {
		return nil, nil, fault.IOf(fmt.Errorf("%s: corrupt store: shard %s: acquire after rebuilding: %w", v.Path, key, err))
	}
	bs, release, err = accessorBlockstore(acc)
	if err != nil {
		return nil, nil, fault.IOf(fmt.Errorf("%s: corrupt store: shard %s: %w", v.Path, key, err))
	}
	if again := servesCAR(ctx, bs, carv1); again != nil {
		release()
		return nil, nil, fault.IOf(fmt.Errorf("%s: corrupt store: shard %s still serves a bad block after rebuilding: %w", v.Path, key, again))
	}
	s.log.Logf("WARN corpus store: corrupt store: shard %s (%s): %v, recovered from the vector", key, v.Path, problem)
	s.mu.Lock()
	s.served[key] = true
	s.mu.Unlock()
	return bs, release, nil
}

// servesCAR reports the first block of carv1 that bs does not serve with
// the right bytes.
func servesCAR(ctx context.Context, bs Blockstore, carv1 []byte) error {
	return eachBlock(carv1, func(c cid.Cid, _ []byte) error {
		blk, err := bs.Get(ctx, c)
		if err != nil {
			return fmt.Errorf("block %s: %w", c, err)
		}
		return checkBlock(c, blk.RawData())
	})
}

// rebuild rewrites key's CAR from carv1 and indexes the shard again.
func (s *Store) rebuild(ctx context.Context, key string, carv1 []byte) error {
	err := atomicfile.Write(filepath.Join(s.carsDir, carFileName(key)), 0o644, func(w io.Writer) error {
		_, err := w.Write(carv1)
		return err
	})
	if err != nil {
		return err
	}
	return s.reindex(ctx, key, s.registration(key))
}
