package fvm

// Block IDs: 0 means "no block"; the registry hands out IDs from 1.
const noDataBlockID = 0

// dagCBOR is the codec of parameters and return values; ipldRaw is that
// of a plain send's parameters (nv18).
const (
	dagCBOR   = 0x71
	ipldRaw   = 0x55
	cborCodec = 0x51
)

// block is an IPLD block an actor holds a handle to.
type block struct {
	codec uint64
	data  []byte
}

// size is the block's length (0 for none).
func (b *block) size() int {
	if b == nil {
		return 0
	}
	return len(b.data)
}

// blockRegistry is an invocation's table of open blocks.
type blockRegistry struct {
	blocks []block
}

func newBlockRegistry() *blockRegistry { return &blockRegistry{} }

// put registers b and returns its ID.
func (r *blockRegistry) put(b block) (uint32, error) {
	if len(r.blocks) >= 1<<31-1 {
		return 0, sysErr(ErrLimitExceeded, "too many blocks")
	}
	r.blocks = append(r.blocks, b)
	return uint32(len(r.blocks)), nil
}

// full reports whether the registry can take no more blocks.
func (r *blockRegistry) full() bool { return len(r.blocks) >= 1<<31-1 }

// get returns the block with ID id.
func (r *blockRegistry) get(id uint32) (block, error) {
	if id == noDataBlockID || int(id) > len(r.blocks) {
		return block{}, sysErr(ErrInvalidHandle, "invalid block handle %d", id)
	}
	return r.blocks[id-1], nil
}
