// Package bundle carries the official builtin-actors bundles the FVM runs
// (mainnet builds of builtin-actors v8, v9 and v10) and reads their
// manifests: which Wasm module implements which builtin actor.
//
// The bundle files are the CARs Lotus shipped (see mainnet/PROVENANCE),
// zstd-compressed and embedded. Each is checked on load against the SHA-256
// of the upstream CAR and against the mainnet manifest CID Lotus records
// for its actors version, so a corrupt or substituted bundle never runs.
package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/tvx-project/tvx/internal/cborseq"
)

//go:embed mainnet/*.car.zst
var files embed.FS

// release is one bundle this package carries.
type release struct {
	// ActorsVersion is the builtin-actors major version.
	actorsVersion int
	file          string
	// sha256 is the digest of the uncompressed CAR as upstream published it.
	sha256 string
	// manifest is the mainnet manifest CID Lotus records for the version.
	manifest string
}

// releases is the table of carried bundles, one row per actors version.
var releases = []release{
	{8, "mainnet/builtin-actors-v8.car.zst", "17e4c9a0964197fb2b0182a8a06665b9c95bf6918bda87475a20418efa0242cd", "bafy2bzacebogjbpiemi7npzxchgcjjki3tfxon4ims55obfyfleqntteljsea"},
	{9, "mainnet/builtin-actors-v9.car.zst", "28a228405da2248b369d0c5309c1ac633569794bdae0902e09ff60643b0f8013", "bafy2bzaceb6j6666h36xnhksu3ww4kxb6e25niayfgkdnifaqi6m6ooc66i6i"},
	{10, "mainnet/builtin-actors-v10.car.zst", "592ac514a07d312b6667ec7cfbb7bcc4014ba9254d8df63943f4e0473e0652fe", "bafy2bzacecsuyf7mmvrhkx2evng5gnz5canlnz2fdlzu2lvcgptiq2pzuovos"},
}

// maxCAR bounds a decompressed bundle; the largest carried one is 7.3 MiB.
const maxCAR = 32 << 20

// ActorsVersions lists the builtin-actors versions carried, ascending.
func ActorsVersions() []int {
	out := make([]int, len(releases))
	for i, r := range releases {
		out[i] = r.actorsVersion
	}
	return out
}

// Actor is one entry of a bundle's manifest.
type Actor struct {
	// Name is the actor's manifest name ("account", "storageminer", …).
	Name string
	// Code is the CID of its Wasm module (raw codec).
	Code cid.Cid
	// Type is the builtin actor type number the FVM gives it: its position
	// in the manifest, counting from 1 (0 means "not a builtin actor").
	Type int
}

// Bundle is one loaded builtin-actors bundle. It is immutable.
type Bundle struct {
	// ActorsVersion is the builtin-actors major version.
	ActorsVersion int
	// Manifest is the CID of the manifest root block ([version, data]).
	Manifest cid.Cid
	// Data is the CID of the manifest's actor list, which the system
	// actor's state records as its builtin_actors field.
	Data cid.Cid
	// Actors is the manifest's actor list in manifest order.
	Actors []Actor

	byName map[string]Actor
	byCode map[cid.Cid]Actor
	blocks map[cid.Cid][]byte
}

// ByName returns the manifest entry named name.
func (b *Bundle) ByName(name string) (Actor, bool) {
	a, ok := b.byName[name]
	return a, ok
}

// ByCode returns the manifest entry whose module is code.
func (b *Bundle) ByCode(code cid.Cid) (Actor, bool) {
	a, ok := b.byCode[code]
	return a, ok
}

// ByType returns the manifest entry of builtin actor type t.
func (b *Bundle) ByType(t int) (Actor, bool) {
	if t < 1 || t > len(b.Actors) {
		return Actor{}, false
	}
	return b.Actors[t-1], true
}

// Module returns the Wasm bytes of the actor whose code CID is code.
func (b *Bundle) Module(code cid.Cid) ([]byte, bool) {
	if _, ok := b.byCode[code]; !ok {
		return nil, false
	}
	m, ok := b.blocks[code]
	return m, ok
}

// Block returns any block of the bundle (manifest, actor list, modules).
func (b *Bundle) Block(c cid.Cid) ([]byte, bool) {
	d, ok := b.blocks[c]
	return d, ok
}

// Load decompresses, verifies and parses the bundle of one actors version.
func Load(actorsVersion int) (*Bundle, error) {
	for _, r := range releases {
		if r.actorsVersion == actorsVersion {
			return load(r)
		}
	}
	return nil, fmt.Errorf("no builtin-actors bundle for actors version %d (have %v)", actorsVersion, ActorsVersions())
}

func load(r release) (*Bundle, error) {
	raw, err := decompress(r.file)
	if err != nil {
		return nil, fmt.Errorf("bundle v%d: %w", r.actorsVersion, err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != r.sha256 {
		return nil, fmt.Errorf("bundle v%d: %s: sha256 %s, expected %s", r.actorsVersion, r.file, got, r.sha256)
	}
	want, err := cid.Decode(r.manifest)
	if err != nil {
		return nil, fmt.Errorf("bundle v%d: manifest CID %q: %w", r.actorsVersion, r.manifest, err)
	}
	b, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bundle v%d: %s: %w", r.actorsVersion, r.file, err)
	}
	if !b.Manifest.Equals(want) {
		return nil, fmt.Errorf("bundle v%d: manifest %s, mainnet records %s", r.actorsVersion, b.Manifest, want)
	}
	b.ActorsVersion = r.actorsVersion
	return b, nil
}

func decompress(name string) ([]byte, error) {
	f, err := files.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxCAR))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxCAR+1))
	if err != nil {
		return nil, fmt.Errorf("%s: decompress: %w", name, err)
	}
	if len(out) > maxCAR {
		return nil, fmt.Errorf("%s: decompresses beyond %d bytes", name, maxCAR)
	}
	return out, nil
}

// parse reads a bundle CAR: its single root is the manifest, a CBOR
// [version, data] pair whose data block lists [name, code] pairs.
func parse(raw []byte) (*Bundle, error) {
	br, err := car.NewBlockReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("read CAR: %w", err)
	}
	if len(br.Roots) != 1 {
		return nil, fmt.Errorf("CAR has %d roots, a bundle has one", len(br.Roots))
	}
	b := &Bundle{Manifest: br.Roots[0], blocks: map[cid.Cid][]byte{}, byName: map[string]Actor{}, byCode: map[cid.Cid]Actor{}}
	for {
		blk, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read CAR block: %w", err)
		}
		if err := verify(blk); err != nil {
			return nil, err
		}
		b.blocks[blk.Cid()] = blk.RawData()
	}
	root, ok := b.blocks[b.Manifest]
	if !ok {
		return nil, fmt.Errorf("manifest block %s missing", b.Manifest)
	}
	if b.Data, err = manifestData(root); err != nil {
		return nil, err
	}
	data, ok := b.blocks[b.Data]
	if !ok {
		return nil, fmt.Errorf("manifest data block %s missing", b.Data)
	}
	if b.Actors, err = parseActors(data); err != nil {
		return nil, fmt.Errorf("manifest data: %w", err)
	}
	for _, a := range b.Actors {
		if _, dup := b.byName[a.Name]; dup {
			return nil, fmt.Errorf("manifest names %q twice", a.Name)
		}
		if _, ok := b.blocks[a.Code]; !ok {
			return nil, fmt.Errorf("module %s of actor %q missing", a.Code, a.Name)
		}
		b.byName[a.Name] = a
		b.byCode[a.Code] = a
	}
	for _, need := range []string{"system", "init", "account"} {
		if _, ok := b.byName[need]; !ok {
			return nil, fmt.Errorf("manifest has no %q actor", need)
		}
	}
	return b, nil
}

// manifestData decodes a manifest root block, [version, data], and returns
// the CID of its actor list.
func manifestData(root []byte) (cid.Cid, error) {
	rd := cborseq.NewReader(bytes.NewReader(root))
	if n := rd.Array("manifest", 2); rd.Err() == nil && n != 2 {
		return cid.Undef, fmt.Errorf("manifest: %d fields, expected 2", n)
	}
	version := rd.Uint("manifest version")
	data := rd.Cid("manifest data")
	if err := rd.Err(); err != nil {
		return cid.Undef, fmt.Errorf("manifest: %w", err)
	}
	if version != 1 {
		return cid.Undef, fmt.Errorf("manifest version %d, only version 1 is known", version)
	}
	return data, nil
}

// ParseActors decodes a manifest data block: a CBOR list of [name, code]
// pairs, numbered from 1 in order.
func parseActors(data []byte) ([]Actor, error) {
	rd := cborseq.NewReader(bytes.NewReader(data))
	n := rd.Array("actors", -1)
	var out []Actor
	for i := 0; i < n && rd.Err() == nil; i++ {
		if m := rd.Array("actor entry", 2); rd.Err() == nil && m != 2 {
			return nil, fmt.Errorf("entry %d: %d fields, expected 2", i, m)
		}
		name := rd.Text("actor name")
		code := rd.Cid("actor code")
		out = append(out, Actor{Name: name, Code: code, Type: i + 1})
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// verify checks that a block's bytes hash to its CID.
func verify(blk blocks.Block) error {
	c, err := blk.Cid().Prefix().Sum(blk.RawData())
	if err != nil {
		return fmt.Errorf("hash block %s: %w", blk.Cid(), err)
	}
	if !c.Equals(blk.Cid()) {
		return fmt.Errorf("block %s: content hashes to %s", blk.Cid(), c)
	}
	return nil
}

// Set loads bundles on first use and keeps them; it is safe for concurrent
// use, so one Set serves every run of a process.
type Set struct {
	mu      sync.Mutex
	loaded  map[int]*Bundle
	failure map[int]error
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{loaded: map[int]*Bundle{}, failure: map[int]error{}} }

// Get returns the bundle of one actors version, loading it once.
func (s *Set) Get(actorsVersion int) (*Bundle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.loaded[actorsVersion]; ok {
		return b, nil
	}
	if err, ok := s.failure[actorsVersion]; ok {
		return nil, err
	}
	b, err := Load(actorsVersion)
	if err != nil {
		s.failure[actorsVersion] = err
		return nil, err
	}
	s.loaded[actorsVersion] = b
	return b, nil
}

// ForData returns the carried bundle whose manifest data CID is data (the
// builtin_actors field of a state tree's system actor).
func (s *Set) ForData(data cid.Cid) (*Bundle, error) {
	for _, r := range releases {
		b, err := s.Get(r.actorsVersion)
		if err != nil {
			return nil, err
		}
		if b.Data.Equals(data) {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no carried builtin-actors bundle has manifest data %s", data)
}

// Blockstore serves a bundle's blocks, read-only, to layer under a state
// tree's store so actor code resolves.
type Blockstore struct{ B *Bundle }

// Get returns the block c or an error naming it.
func (s Blockstore) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	d, ok := s.B.blocks[c]
	if !ok {
		return nil, fmt.Errorf("block %s not in bundle v%d", c, s.B.ActorsVersion)
	}
	return blocks.NewBlockWithCid(d, c)
}
