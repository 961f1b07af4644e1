package corpus

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/filecoin-project/dagstore"
	"github.com/filecoin-project/dagstore/shard"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	carindex "github.com/ipld/go-car/v2/index"
	"github.com/multiformats/go-multihash"
	"github.com/multiformats/go-varint"

	"github.com/tvx-project/tvx/schema"
)

// stateNames names dagstore shard states in listings; "missing" is a
// manifest entry the dagstore does not hold (its CAR could not be rebuilt).
var stateNames = map[dagstore.ShardState]string{
	dagstore.ShardStateNew:          "new",
	dagstore.ShardStateInitializing: "indexing",
	dagstore.ShardStateAvailable:    "available",
	dagstore.ShardStateServing:      "serving",
	dagstore.ShardStateRecovering:   "recovering",
	dagstore.ShardStateErrored:      "errored",
	dagstore.ShardStateUnknown:      "unknown",
}

const stateMissing = "missing"

// ShardInfo describes one shard of the store.
type ShardInfo struct {
	Key   string `json:"key"`
	State string `json:"state"`
	// Error is the dagstore's error for an errored shard.
	Error string `json:"error,omitempty"`
	// CARSize is the size of the CARv1 in bytes.
	CARSize int64 `json:"car_size"`
	// IndexSize is the size of the index file in bytes, -1 when absent.
	IndexSize int64 `json:"index_size"`
	// Vectors are the vector files known to carry the CAR.
	Vectors []string `json:"vectors"`
}

// Shards lists the store's shards, sorted by key.
func (s *Store) Shards() []ShardInfo {
	var out []ShardInfo
	for key, rec := range s.liveRecords() {
		info := ShardInfo{Key: key, State: stateMissing, CARSize: rec.CARSize, IndexSize: s.repo.indexSize(shard.KeyFromString(key)), Vectors: []string{}}
		if reg := s.registration(key); reg.known {
			info.State = stateNames[reg.state]
			if info.State == "" {
				info.State = fmt.Sprintf("state-%d", reg.state)
			}
			info.Error = reg.err
		}
		for _, v := range rec.Vectors {
			info.Vectors = append(info.Vectors, v.Path)
		}
		out = append(out, info)
	}
	return out
}

// StoreStats are the store's totals.
type StoreStats struct {
	Dir     string         `json:"dir"`
	Shards  int            `json:"shards"`
	States  map[string]int `json:"states"`
	Vectors int            `json:"vectors"`
	// CARBytes and IndexBytes total the CAR and index files.
	CARBytes   int64 `json:"car_bytes"`
	IndexBytes int64 `json:"index_bytes"`
	// DatastoreBytes is the size of the leveldb directory.
	DatastoreBytes int64 `json:"datastore_bytes"`
}

// Stats totals the store.
func (s *Store) Stats() StoreStats {
	st := StoreStats{Dir: s.dir, States: make(map[string]int)}
	for _, sh := range s.Shards() {
		st.Shards++
		st.States[sh.State]++
		st.Vectors += len(sh.Vectors)
		st.CARBytes += sh.CARSize
		if sh.IndexSize > 0 {
			st.IndexBytes += sh.IndexSize
		}
	}
	filepath.WalkDir(filepath.Join(s.dir, datastoreDir), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				st.DatastoreBytes += fi.Size()
			}
		}
		return nil
	})
	return st
}

// GCReport is the outcome of GC.
type GCReport struct {
	// Removed lists the keys of the shards removed.
	Removed []string
	// FreedBytes totals the CAR and index bytes removed.
	FreedBytes int64
	// DroppedRefs counts vector files no longer carrying their shard's CAR
	// (deleted, or edited so that their CAR changed).
	DroppedRefs int
	// InUse lists garbage shards left alone because they are acquired.
	InUse []string
}

// GC forgets the vector files that are gone or no longer carry the CAR they
// were recorded with, and removes the shards no vector file carries any
// more (CAR, index, dagstore state and manifest entry).
func (s *Store) GC(ctx context.Context) (GCReport, error) {
	var rep GCReport
	if s.readOnly {
		return rep, ErrStoreReadOnly
	}
	for key, rec := range s.liveRecords() {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var live []vectorRef
		for _, ref := range rec.Vectors {
			if now, ok := s.stillCarries(ref, key); ok {
				live = append(live, now)
			}
		}
		rep.DroppedRefs += len(rec.Vectors) - len(live)
		if len(live) > 0 {
			if err := s.setVectors(ctx, key, live); err != nil {
				return rep, err
			}
			continue
		}
		if reg := s.registration(key); reg.known && reg.state == dagstore.ShardStateServing {
			rep.InUse = append(rep.InUse, key)
			continue
		}
		size := rec.CARSize
		if n := s.repo.indexSize(shard.KeyFromString(key)); n > 0 {
			size += n
		}
		if err := s.forget(ctx, key); err != nil {
			if reg := s.registration(key); reg.known && reg.state == dagstore.ShardStateServing {
				rep.InUse = append(rep.InUse, key) // acquired since the check above
				continue
			}
			return rep, fmt.Errorf("remove shard %s: %w", key, err)
		}
		rep.Removed = append(rep.Removed, key)
		rep.FreedBytes += size
	}
	// The CAR mount never uses transients, but a dagstore GC is what
	// reclaims them should a shard have one.
	if _, err := s.dag.GC(ctx); err != nil {
		return rep, fmt.Errorf("dagstore GC: %w", err)
	}
	return rep, nil
}

// stillCarries reports whether the vector file ref still carries the CAR
// key, returning its current reference. An unchanged file (same size and
// modification time) is trusted; a changed one is decoded and hashed.
func (s *Store) stillCarries(ref vectorRef, key string) (vectorRef, bool) {
	now, ok := statVector(ref.Path)
	if !ok {
		return vectorRef{}, false
	}
	if now == ref {
		return now, true
	}
	v, err := schema.LoadFile(ref.Path)
	if err != nil {
		return vectorRef{}, false
	}
	carv1, err := vectorCARv1(context.Background(), v, s.opts.MaxCARSize)
	if err != nil || hashHex(carv1) != key {
		return vectorRef{}, false
	}
	return now, true
}

// setVectors replaces the vector list of key's record.
func (s *Store) setVectors(ctx context.Context, key string, refs []vectorRef) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[key]
	if !ok {
		return nil
	}
	same := len(rec.Vectors) == len(refs)
	for i := 0; same && i < len(refs); i++ {
		same = rec.Vectors[i] == refs[i]
	}
	if same {
		return nil
	}
	rec = rec.clone()
	rec.Vectors = refs
	if err := putRecord(ctx, s.ldb, key, rec); err != nil {
		return err
	}
	s.records[key] = rec
	return nil
}

// VerifyResult is the outcome of verifying one shard.
type VerifyResult struct {
	Key string `json:"key"`
	// Blocks is the number of blocks read and re-hashed.
	Blocks int `json:"blocks"`
	// Err is nil when the CAR hashes to its key, every block hashes to its
	// CID, and the index and the CAR agree entry for entry.
	Err error `json:"-"`
}

// Verify checks every shard's CAR and index in full, on up to NumCPU
// shards at once, calling progress (if not nil) after each shard. Results
// are sorted by key.
func (s *Store) Verify(ctx context.Context, progress func(done, total int)) ([]VerifyResult, error) {
	keys := s.keys()
	results := make([]VerifyResult, len(keys))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				n, err := s.verifyShard(keys[i])
				results[i] = VerifyResult{Key: keys[i], Blocks: n, Err: err}
				if progress != nil {
					mu.Lock()
					done++
					progress(done, len(keys))
					mu.Unlock()
				}
			}
		}()
	}
	var err error
feed:
	for i := range keys {
		select {
		case work <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	return results, err
}

// section is one block of a CAR: its CID and where it starts.
type section struct {
	cid    cid.Cid
	offset uint64
}

// verifyShard re-reads key's CAR: its SHA-256 must be the key, every block
// must hash to its CID, every index entry must point at a block with its
// multihash, and every block must be found through the index.
func (s *Store) verifyShard(key string) (int, error) {
	rec := s.record(key)
	if rec == nil {
		return 0, errors.New("not in the manifest")
	}
	data, err := os.ReadFile(filepath.Join(s.carsDir, carFileName(key)))
	if err != nil {
		return 0, fmt.Errorf("read CAR: %w", err)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != key {
		return 0, fmt.Errorf("CAR hashes to %s, not to its key", hex.EncodeToString(got[:]))
	}
	payload, err := carPayload(data)
	if err != nil {
		return 0, err
	}
	sections, err := walkSections(payload)
	if err != nil {
		return 0, err
	}

	idx, err := s.repo.GetFullIndex(shard.KeyFromString(key))
	if err != nil {
		return len(sections), fmt.Errorf("read index: %w", err)
	}
	iter, ok := idx.(carindex.IterableIndex)
	if !ok {
		return len(sections), fmt.Errorf("index codec %v cannot be iterated", idx.Codec())
	}
	byOffset := make(map[uint64]cid.Cid, len(sections))
	for _, sec := range sections {
		byOffset[sec.offset] = sec.cid
	}
	indexed := make(map[uint64]bool, len(sections))
	err = iter.ForEach(func(mh multihash.Multihash, off uint64) error {
		c, ok := byOffset[off]
		if !ok {
			return fmt.Errorf("index entry %s points at offset %d, where no block starts", mh.B58String(), off)
		}
		if !bytes.Equal(c.Hash(), mh) {
			return fmt.Errorf("index entry %s points at block %s", mh.B58String(), c)
		}
		indexed[off] = true
		return nil
	})
	if err != nil {
		return len(sections), err
	}
	for _, sec := range sections {
		if indexed[sec.offset] {
			continue
		}
		// A repeated block may be indexed at its first copy only.
		found := false
		idx.GetAll(sec.cid, func(off uint64) bool {
			found = bytes.Equal(byOffset[off].Hash(), sec.cid.Hash())
			return !found
		})
		if !found {
			return len(sections), fmt.Errorf("block %s at offset %d is not in the index", sec.cid, sec.offset)
		}
	}
	return len(sections), nil
}

// carPayload returns the CARv1 bytes of a CAR: the file itself, or the data
// payload of a CARv2 (index offsets are relative to it).
func carPayload(data []byte) ([]byte, error) {
	r, err := carv2.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read CAR header: %w", err)
	}
	if r.Version == 1 {
		return data, nil
	}
	start, size := r.Header.DataOffset, r.Header.DataSize
	if start+size > uint64(len(data)) || start+size < start {
		return nil, errors.New("CARv2 data payload runs past the end of the file")
	}
	return data[start : start+size], nil
}

// walkSections parses a CARv1 and re-hashes every block against its CID.
func walkSections(car []byte) ([]section, error) {
	br := bufio.NewReader(bytes.NewReader(car))
	hlen, err := varint.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("read CAR header length: %w", err)
	}
	off := uint64(varint.UvarintSize(hlen)) + hlen
	if off > uint64(len(car)) {
		return nil, errors.New("CAR header runs past the end of the file")
	}
	var out []section
	for off < uint64(len(car)) {
		rest := car[off:]
		n, err := varint.ReadUvarint(bytes.NewReader(rest))
		if err != nil {
			return nil, fmt.Errorf("block at offset %d: read length: %w", off, err)
		}
		if n == 0 {
			break // zero-length section: padding to the end
		}
		lw := uint64(varint.UvarintSize(n))
		if lw+n > uint64(len(rest)) {
			return nil, fmt.Errorf("block at offset %d runs past the end of the CAR", off)
		}
		body := rest[lw : lw+n]
		cr := bytes.NewReader(body)
		cl, c, err := cid.CidFromReader(cr)
		if err != nil {
			return nil, fmt.Errorf("block at offset %d: read CID: %w", off, err)
		}
		got, err := c.Prefix().Sum(body[cl:])
		if err != nil {
			return nil, fmt.Errorf("block %s: hash: %w", c, err)
		}
		if !got.Equals(c) {
			return nil, fmt.Errorf("block %s at offset %d: data hashes to %s", c, off, got)
		}
		out = append(out, section{cid: c, offset: off})
		off += lw + n
	}
	return out, nil
}
