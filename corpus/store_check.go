package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/filecoin-project/dagstore"
	"github.com/filecoin-project/dagstore/shard"
	"github.com/ipfs/go-datastore/query"

	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/schema"
)

// registration is what the dagstore holds for a shard: nothing (known is
// false), or a state and, for an errored shard, the error.
type registration struct {
	known bool
	state dagstore.ShardState
	err   string
}

// inspect lists what is wrong with a shard, given its manifest record and
// registration; carOK reports whether its CAR file is intact. An empty list
// means the shard can be served.
func (s *Store) inspect(key string, rec *shardRecord, reg registration) (problems []string, carOK bool) {
	st, err := os.Stat(filepath.Join(s.carsDir, carFileName(key)))
	switch {
	case errors.Is(err, os.ErrNotExist):
		problems = append(problems, "CAR missing")
	case err != nil:
		problems = append(problems, fmt.Sprintf("CAR unreadable: %v", err))
	case st.Size() != rec.CARSize:
		problems = append(problems, fmt.Sprintf("CAR is %d bytes, expected %d", st.Size(), rec.CARSize))
	default:
		carOK = true
	}
	switch {
	case !reg.known:
		problems = append(problems, "not registered (registration interrupted)")
	case reg.state == dagstore.ShardStateNew || reg.state == dagstore.ShardStateInitializing:
		problems = append(problems, "indexing interrupted")
	case reg.state == dagstore.ShardStateRecovering:
		problems = append(problems, "recovery interrupted")
	case reg.state == dagstore.ShardStateErrored:
		problems = append(problems, "errored: "+reg.err)
	default:
		if p := s.indexProblem(key); p != "" {
			problems = append(problems, p)
		}
	}
	return problems, carOK
}

// indexProblem describes what is wrong with key's index file, or returns "".
func (s *Store) indexProblem(key string) string {
	_, err := s.repo.GetFullIndex(shard.KeyFromString(key))
	switch {
	case err == nil:
		return ""
	case errors.Is(err, os.ErrNotExist):
		return "index missing"
	default:
		return fmt.Sprintf("index unreadable: %v", err)
	}
}

// persistedStates reads the dagstore's state of every shard from the
// datastore (only while the dagstore is stopped).
func (s *Store) persistedStates(ctx context.Context) (map[string]registration, error) {
	res, err := s.ldb.Query(ctx, query.Query{Prefix: dagstorePrefix})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := make(map[string]registration)
	for r := range res.Next() {
		if r.Error != nil {
			return nil, r.Error
		}
		key := strings.TrimPrefix(r.Key, dagstorePrefix+"/")
		var ps dagstore.PersistedShard
		if err := json.Unmarshal(r.Value, &ps); err != nil {
			// Unreadable state: treat as errored, so the shard is rebuilt.
			out[key] = registration{known: true, state: dagstore.ShardStateErrored, err: "unreadable state: " + err.Error()}
			continue
		}
		out[key] = registration{known: true, state: ps.State, err: ps.Error}
	}
	return out, nil
}

// checkOffline is the sanity check run before the dagstore starts. Every
// shard in the manifest is inspected; a broken one gets a WARN line, its
// dagstore state and index are dropped, its CAR is rebuilt from a vector
// file if lost, and it is returned for re-registration. Dagstore entries
// and files that no manifest entry accounts for, and leftovers of
// interrupted writes, are removed.
func (s *Store) checkOffline(ctx context.Context) (reindex []string, err error) {
	states, err := s.persistedStates(ctx)
	if err != nil {
		return nil, err
	}
	s.sanity.Shards = len(s.records)
	for _, key := range sortedKeys(s.records) {
		rec := s.records[key]
		reg := states[key]
		problems, carOK := s.inspect(key, rec, reg)
		if len(problems) == 0 {
			continue
		}
		s.sanity.Broken++
		what := strings.Join(problems, "; ")
		if reg.known {
			if err := s.ldb.Delete(ctx, dagstoreKey(key)); err != nil {
				return nil, fmt.Errorf("shard %s: reset state: %w", key, err)
			}
		}
		if _, err := s.repo.DropFullIndex(shard.KeyFromString(key)); err != nil {
			return nil, fmt.Errorf("shard %s: drop index: %w", key, err)
		}
		if !carOK {
			if err := s.restoreCAR(key, rec); err != nil {
				s.log.Logf("WARN corpus store: shard %s (%s): %s; cannot repair: %v", key, rec.firstVector(), what, err)
				continue
			}
		}
		s.log.Logf("WARN corpus store: shard %s (%s): %s; re-indexing", key, rec.firstVector(), what)
		reindex = append(reindex, key)
	}

	// Dagstore entries without a manifest entry: left by a shard that GC
	// removed while a release was still being persisted, or by a lost
	// manifest write. Their CAR has no known vector; drop them.
	var orphans []string
	for key := range states {
		if _, ok := s.records[key]; !ok {
			orphans = append(orphans, key)
		}
	}
	sort.Strings(orphans)
	for _, key := range orphans {
		s.log.Logf("WARN corpus store: shard %s: in the dagstore but not in the manifest; removed", key)
		if err := s.ldb.Delete(ctx, dagstoreKey(key)); err != nil {
			return nil, fmt.Errorf("shard %s: remove state: %w", key, err)
		}
		s.sanity.Orphans++
	}

	// Files: partial writes, and CARs and indexes of no known shard.
	leftovers := 0
	for _, dir := range []struct{ path, suffix string }{{s.carsDir, ".car"}, {filepath.Join(s.dir, indexDirName), indexSuffix}} {
		entries, err := os.ReadDir(dir.path)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			stray := strings.HasSuffix(name, atomicfile.TempSuffix)
			if !stray && strings.HasSuffix(name, dir.suffix) {
				_, known := s.records[strings.TrimSuffix(name, dir.suffix)]
				stray = !known
			}
			if stray && e.Type().IsRegular() {
				if err := os.Remove(filepath.Join(dir.path, name)); err != nil {
					return nil, err
				}
				leftovers++
			}
		}
	}
	if leftovers > 0 {
		s.log.Logf("WARN corpus store: removed %d files left by interrupted writes or removed shards", leftovers)
		s.sanity.Orphans += leftovers
	}
	return reindex, nil
}

// restoreCAR rebuilds key's CAR file from the first vector file that still
// carries it.
func (s *Store) restoreCAR(key string, rec *shardRecord) error {
	for _, ref := range rec.Vectors {
		v, err := schema.LoadFile(ref.Path)
		if err != nil {
			continue
		}
		carv1, err := vectorCARv1(context.Background(), v, s.opts.MaxCARSize)
		if err != nil || hashHex(carv1) != key {
			continue
		}
		return atomicfile.Write(filepath.Join(s.carsDir, carFileName(key)), 0o644, func(w io.Writer) error {
			_, err := w.Write(carv1)
			return err
		})
	}
	return errors.New("no vector file still carries this CAR")
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// reregister registers keys with the (started) dagstore, all at once (the
// dagstore bounds concurrent indexing), and returns how many succeeded.
func (s *Store) reregister(keys []string) int {
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	for i, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.registerShard(key)
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		if err != nil {
			s.log.Logf("WARN corpus store: shard %s: re-indexing failed: %v", keys[i], err)
			continue
		}
		ok++
	}
	return ok
}

// RecoverReport is the outcome of Recover.
type RecoverReport struct {
	// Checked is the number of shards inspected.
	Checked int
	// Broken lists the shards found broken, by key.
	Broken []string
	// Repaired lists the broken shards now served again.
	Repaired []string
	// InUse lists broken shards left alone because they are acquired.
	InUse []string
}

// Recover inspects every shard of the running store as the open-time check
// does, and repairs the broken ones: a lost CAR is rebuilt from a vector
// file, an errored shard is recovered through the dagstore, and a shard
// whose index is lost or damaged is removed from the dagstore and
// registered again.
func (s *Store) Recover(ctx context.Context) (RecoverReport, error) {
	var rep RecoverReport
	if s.readOnly {
		return rep, ErrStoreReadOnly
	}
	for key, rec := range s.liveRecords() {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Checked++
		reg := s.registration(key)
		if reg.known && (reg.state == dagstore.ShardStateInitializing || reg.state == dagstore.ShardStateRecovering || reg.state == dagstore.ShardStateNew) {
			continue // being indexed right now
		}
		problems, carOK := s.inspect(key, rec, reg)
		if len(problems) == 0 {
			continue
		}
		rep.Broken = append(rep.Broken, key)
		what := strings.Join(problems, "; ")
		if reg.known && reg.state == dagstore.ShardStateServing {
			s.log.Logf("WARN corpus store: shard %s (%s): %s; in use, not repaired", key, rec.firstVector(), what)
			rep.InUse = append(rep.InUse, key)
			continue
		}
		if !carOK {
			if err := s.restoreCAR(key, rec); err != nil {
				s.log.Logf("WARN corpus store: shard %s (%s): %s; cannot repair: %v", key, rec.firstVector(), what, err)
				continue
			}
		}
		s.log.Logf("WARN corpus store: shard %s (%s): %s; re-indexing", key, rec.firstVector(), what)
		if err := s.reindex(ctx, key, reg); err != nil {
			s.log.Logf("WARN corpus store: shard %s: re-indexing failed: %v", key, err)
			continue
		}
		rep.Repaired = append(rep.Repaired, key)
	}
	return rep, nil
}

// reindex rebuilds a broken shard's index and registration.
func (s *Store) reindex(ctx context.Context, key string, reg registration) error {
	if reg.known && reg.state == dagstore.ShardStateErrored {
		// The dagstore's recovery drops the index and indexes again.
		return s.recoverShard(ctx, key)
	}
	if reg.known {
		if err := s.destroy(ctx, key); err != nil {
			return err
		}
		if err := s.ldb.Delete(ctx, dagstoreKey(key)); err != nil {
			return err
		}
	}
	if _, err := s.repo.DropFullIndex(shard.KeyFromString(key)); err != nil {
		return err
	}
	return s.registerShard(key)
}

func (s *Store) registration(key string) registration {
	if s.readOnly {
		return s.roStates[key]
	}
	info, err := s.dag.GetShardInfo(shard.KeyFromString(key))
	if err != nil {
		return registration{}
	}
	r := registration{known: true, state: info.ShardState}
	if info.Error != nil {
		r.err = info.Error.Error()
	}
	return r
}

func (s *Store) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.records)
}

// liveRecords yields a copy of every shard record in key order. Each record
// is read when its turn comes, so a shard forgotten meanwhile (by a
// concurrent GC) is skipped rather than seen stale.
func (s *Store) liveRecords() iter.Seq2[string, *shardRecord] {
	return func(yield func(string, *shardRecord) bool) {
		for _, key := range s.keys() {
			if rec := s.record(key); rec != nil && !yield(key, rec) {
				return
			}
		}
	}
}

func (s *Store) record(key string) *shardRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.records[key]; ok {
		return r.clone()
	}
	return nil
}
