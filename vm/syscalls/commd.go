package syscalls

import (
	"crypto/sha256"
	"fmt"
	"math/bits"

	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"
)

// The piece-commitment tree hashes 32-byte nodes with SHA-256 and clears the
// two top bits of the result so every node is a valid BLS12-381 scalar
// ("sha256-trunc254"). Leaves are the 32-byte chunks of Fr32-padded data.
const (
	nodeSize = 32
	// minPieceSize is the smallest padded piece the protocol accepts (a
	// 4-leaf tree).
	minPieceSize = 128
	// maxTreeLevel covers a 64 GiB sector: 2^36 bytes = 2^31 leaves.
	maxTreeLevel = 31
)

type node = [nodeSize]byte

// zeroComms[k] is the root of a tree of 2^k all-zero leaves, that is the
// commitment of 32·2^k zero bytes. It is computed once and never written.
var zeroComms = buildZeroComms()

func buildZeroComms() [maxTreeLevel + 1]node {
	var t [maxTreeLevel + 1]node
	for k := 1; k <= maxTreeLevel; k++ {
		t[k] = hashPair(&t[k-1], &t[k-1])
	}
	return t
}

func hashPair(left, right *node) node {
	var buf [2 * nodeSize]byte
	copy(buf[:nodeSize], left[:])
	copy(buf[nodeSize:], right[:])
	out := sha256.Sum256(buf[:])
	out[nodeSize-1] &= 0x3f
	return out
}

// zeroComm returns the commitment of size zero bytes; size must be a power
// of two between 32 bytes and 2^36.
func zeroComm(size uint64) node {
	return zeroComms[bits.TrailingZeros64(size)-5]
}

// subtree is a finished, aligned part of the sector tree.
type subtree struct {
	size uint64
	comm node
}

// treeBuilder lays pieces left to right into a sector, inserting zero
// padding so that every piece starts at a multiple of its own size, and
// folds equal-sized neighbours as soon as they appear. Its stack is the
// binary decomposition of the bytes placed so far, largest first.
type treeBuilder struct {
	stack  []subtree
	offset uint64
}

func (b *treeBuilder) push(size uint64, comm node) {
	b.stack = append(b.stack, subtree{size: size, comm: comm})
	b.offset += size
	for n := len(b.stack); n >= 2 && b.stack[n-2].size == b.stack[n-1].size; n = len(b.stack) {
		merged := subtree{size: 2 * b.stack[n-1].size, comm: hashPair(&b.stack[n-2].comm, &b.stack[n-1].comm)}
		b.stack = append(b.stack[:n-2], merged)
	}
}

// padTo places zero subtrees until offset is a multiple of align (a power of
// two).
func (b *treeBuilder) padTo(align uint64) {
	b.fill(-b.offset & (align - 1))
}

// fill places gap zero bytes as zero subtrees, smallest first: when offset+gap
// is aligned to gap's highest bit, each subtree then starts at a multiple of
// its own size.
func (b *treeBuilder) fill(gap uint64) {
	for gap != 0 {
		low := gap & -gap
		b.push(low, zeroComm(low))
		gap &^= low
	}
}

// ComputeUnsealedSectorCID returns the unsealed sector commitment (CommD) of
// a sector of type proof holding pieces in the given order, as the
// ComputeUnsealedSectorCID syscall defines it.
//
// Each piece is placed at the next offset that is a multiple of its padded
// size, the gaps and the tail of the sector are filled with zero pieces, and
// the result is the root of the sector's sha256-trunc254 tree. No pieces
// means an all-zero sector. Errors: unknown proof type, a piece size that is
// not a power of two of at least 128 bytes, a PieceCID that is not a piece
// commitment, or pieces that (with their alignment) overflow the sector.
//
// The function allocates its own hashing state and is safe for concurrent use.
func ComputeUnsealedSectorCID(proof abi.RegisteredSealProof, pieces []abi.PieceInfo) (cid.Cid, error) {
	info, ok := abi.SealProofInfos[proof]
	if !ok {
		return cid.Undef, fmt.Errorf("compute unsealed sector cid: unknown seal proof type %d", proof)
	}
	sectorSize := uint64(info.SectorSize)
	if sectorSize < minPieceSize || bits.OnesCount64(sectorSize) != 1 || bits.TrailingZeros64(sectorSize)-5 > maxTreeLevel {
		return cid.Undef, fmt.Errorf("compute unsealed sector cid: unsupported sector size %d", sectorSize)
	}

	b := treeBuilder{stack: make([]subtree, 0, 2*maxTreeLevel)}
	for i, p := range pieces {
		size := uint64(p.Size)
		if size < minPieceSize || bits.OnesCount64(size) != 1 {
			return cid.Undef, fmt.Errorf("compute unsealed sector cid: piece %d: padded size %d is not a power of two >= %d", i, size, minPieceSize)
		}
		if size > sectorSize {
			return cid.Undef, fmt.Errorf("compute unsealed sector cid: piece %d: size %d exceeds sector size %d", i, size, sectorSize)
		}
		raw, err := commcid.CIDToPieceCommitmentV1(p.PieceCID)
		if err != nil {
			return cid.Undef, fmt.Errorf("compute unsealed sector cid: piece %d: %w", i, err)
		}
		var comm node
		copy(comm[:], raw)
		b.padTo(size)
		if b.offset+size > sectorSize {
			return cid.Undef, fmt.Errorf("compute unsealed sector cid: pieces need %d bytes with alignment, more than sector size %d", b.offset+size, sectorSize)
		}
		b.push(size, comm)
	}
	b.fill(sectorSize - b.offset)
	if len(b.stack) != 1 || b.stack[0].size != sectorSize {
		// Unreachable given the checks above; kept as an error rather than
		// a panic so a bug cannot take a driver down.
		return cid.Undef, fmt.Errorf("compute unsealed sector cid: internal: tree did not close to one %d-byte root", sectorSize)
	}
	root := b.stack[0].comm
	c, err := commcid.DataCommitmentV1ToCID(root[:])
	if err != nil {
		return cid.Undef, fmt.Errorf("compute unsealed sector cid: %w", err)
	}
	return c, nil
}
