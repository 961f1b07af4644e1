package bundle

import (
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	car "github.com/ipld/go-car/v2"
	"github.com/klauspost/compress/zstd"
)

// maxManifestBlocks bounds how far into a bundle CAR ReadActors looks for
// the manifest and its actor list; the carried bundles write both first.
const maxManifestBlocks = 4

// ReadActors returns the manifest actor list of the carried bundle of one
// actors version without loading its Wasm modules: it decompresses the CAR
// only as far as the manifest root and actor-list blocks, checks that each
// hashes to its CID and that the root is the mainnet manifest CID of the
// version. It is for readers that need a bundle's code CIDs (state diffs,
// code tables), not its modules; Load checks the whole file.
func ReadActors(actorsVersion int) ([]Actor, error) {
	for _, r := range releases {
		if r.actorsVersion == actorsVersion {
			acts, err := readActors(r)
			if err != nil {
				return nil, fmt.Errorf("bundle v%d: %s: %w", r.actorsVersion, r.file, err)
			}
			return acts, nil
		}
	}
	return nil, fmt.Errorf("no builtin-actors bundle for actors version %d (have %v)", actorsVersion, ActorsVersions())
}

func readActors(r release) ([]Actor, error) {
	want, err := cid.Decode(r.manifest)
	if err != nil {
		return nil, fmt.Errorf("manifest CID %q: %w", r.manifest, err)
	}
	f, err := files.Open(r.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxCAR))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	br, err := car.NewBlockReader(io.LimitReader(zr, maxCAR))
	if err != nil {
		return nil, fmt.Errorf("read CAR: %w", err)
	}
	if len(br.Roots) != 1 || !br.Roots[0].Equals(want) {
		return nil, fmt.Errorf("CAR roots %v, mainnet records manifest %s", br.Roots, want)
	}
	blocks := map[cid.Cid][]byte{}
	var data cid.Cid
	for i := 0; i < maxManifestBlocks; i++ {
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
		blocks[blk.Cid()] = blk.RawData()
		if !data.Defined() {
			if root, ok := blocks[want]; ok {
				if data, err = manifestData(root); err != nil {
					return nil, err
				}
			}
		}
		if d, ok := blocks[data]; ok && data.Defined() {
			return parseActors(d)
		}
	}
	return nil, fmt.Errorf("manifest %s and its actor list are not among the first %d blocks", want, maxManifestBlocks)
}
