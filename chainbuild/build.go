package chainbuild

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/actorpolicy"
)

// Chain-build constants: the timing of the chains Build makes is
// mainnet's, so heights map to the same timestamps and drand rounds.
const (
	buildGenesisTime = 1598306400
	buildBlockDelay  = 30
	// buildBeaconEntries caps the beacon entries one block carries; the
	// randomness lookback never searches further back than this.
	buildBeaconEntries = 20
	// buildTicketTries bounds the search for a ticket that keeps a
	// vector's block order canonical.
	buildTicketTries = 1 << 20
)

// Chain is a chain made from a tipset vector.
type Chain struct {
	// Head is the last tipset: the child of the vector's last tipset,
	// whose header commits to its results.
	Head *chain.TipSet
	// Tipsets are the vector's tipsets as built, in order.
	Tipsets []*chain.TipSet
	// NetworkVersion is the variant's: the first tipset ran under it, and
	// so did every other unless the chain follows its protocol table's
	// schedule (WithProtocol), when each ran under its epoch's version.
	NetworkVersion network.Version
	// Mismatches lists where the run differed from the vector's
	// postconditions (empty when the chain reproduces the vector).
	Mismatches []string
	// Warnings notes what the chain cannot reproduce (recorded randomness,
	// a network version the mainnet schedule does not give those heights).
	Warnings []string

	blocks *chain.MemBlocks
}

// Blocks returns every block of the chain (headers, messages, receipts,
// state), sorted by CID bytes.
func (b *Chain) Blocks() []blocks.Block { return b.blocks.All() }

// WriteCAR writes the chain as a chain CAR (CARv1, roots = the head's
// blocks), deterministically.
func (b *Chain) WriteCAR(w io.Writer) error {
	return chain.WriteCAR(w, b.Head.Cids(), b.blocks.All())
}

// Source serves the built chain in memory.
func (b *Chain) Source(opts ...chain.Option) *chain.BlockSource {
	head := b.Head
	return chain.NewBlockSource(b.blocks, func() *chain.TipSet { return head }, opts...)
}

// Build runs the tipsets of a tipset vector's variant on an executor (see
// WithExecutor) and makes the chain they form. Tipset i sits at the variant's epoch plus its
// epoch_offset (skipped heights are null rounds), with the vector's blocks,
// miners, win counts and base fees; each header commits to the state and
// receipts its parent's execution produced, and a final tipset commits to
// the last one's.
//
// Below the first tipset are two scaffolding tipsets: its parent (at the
// variant's epoch, or one below when the first offset is 0) and, when that
// is above 0, a genesis at 0 so randomness can look back. Both claim the
// vector's pre-state as their parent state; they executed nothing the
// chain records, so extracting them gives no checkable vector.
//
// Randomness comes from the built chain's own tickets and beacon entries
// (deterministic functions of the height), not from the vector's records:
// a chain's randomness is a hash of its tickets and cannot be made to
// match recorded values. A vector that draws randomness may therefore end
// elsewhere than its postconditions; Mismatches says so.
func Build(ctx context.Context, v *schema.Vector, variant schema.Variant, opts ...Option) (*Chain, error) {
	cfg := config{exec: driver.DefaultExecutor()}
	for _, o := range opts {
		o(&cfg)
	}
	if v.Class != schema.ClassTipset {
		return nil, fmt.Errorf("chain build: %s is a %s vector; only tipset vectors describe a chain", v.Path, v.Class)
	}
	// The vector's messages run under its network's actor policy, as the
	// driver replays them.
	policy, err := driver.VectorPolicy(v)
	if err != nil {
		return nil, fmt.Errorf("chain build: %w", err)
	}
	defer actorpolicy.Hold(policy)()
	raw, err := v.CARv1(0)
	if err != nil {
		return nil, fmt.Errorf("chain build: %w", err)
	}
	bs := chain.NewMemBlocksWithoutIdentity()
	if _, err := bs.ImportCAR(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("chain build: %s: %w", v.Path, err)
	}
	nv := network.Version(variant.NetworkVersion)
	cs := big.Zero()
	if v.Pre.CircSupply != nil {
		cs = big.NewFromGo(v.Pre.CircSupply)
	}
	base := abi.ChainEpoch(variant.Epoch)
	out := &Chain{NetworkVersion: nv, blocks: bs}
	if len(v.Randomness) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the vector records %d randomness value(s); the chain draws from its own tickets instead", len(v.Randomness)))
	}

	b := &builder{ctx: ctx, bs: bs}
	var head *chain.TipSet
	src := chain.NewBlockSource(bs, func() *chain.TipSet { return head })

	pre := v.Pre.StateTree.RootCID
	emptyReceipts, err := chain.StoreReceipts(ctx, bs, nil)
	if err != nil {
		return nil, fmt.Errorf("chain build: %w", err)
	}
	firstEpoch := base + abi.ChainEpoch(v.ApplyTipsets[0].EpochOffset)
	parentHeight := base
	if firstEpoch == base {
		parentHeight = base - 1
	}
	if parentHeight < 0 {
		return nil, fmt.Errorf("chain build: the first tipset runs at %d, leaving no height for its parent", firstEpoch)
	}
	scaffoldMiner := v.ApplyTipsets[0].Blocks
	miner := builtinMiner
	if len(scaffoldMiner) > 0 {
		miner = scaffoldMiner[0].MinerAddr
	}
	firstFee := big.NewFromGo(&v.ApplyTipsets[0].BaseFee)
	if parentHeight > 0 {
		if head, err = b.tipset(nil, 0, pre, emptyReceipts, firstFee, []blockSpec{{miner: miner, win: 1}}); err != nil {
			return nil, fmt.Errorf("chain build: genesis: %w", err)
		}
	}
	if head, err = b.tipset(head, parentHeight, pre, emptyReceipts, firstFee, []blockSpec{{miner: miner, win: 1}}); err != nil {
		return nil, fmt.Errorf("chain build: parent of the first tipset: %w", err)
	}

	root, receipts := pre, emptyReceipts
	next := 0
	mismatchf := func(format string, args ...any) {
		out.Mismatches = append(out.Mismatches, fmt.Sprintf(format, args...))
	}
	// Without WithProtocol, the vector's network's own table (a devnet's
	// as its schedule record says), else mainnet's.
	table := cfg.protocol
	if table == nil {
		if table, err = driver.VectorProtocol(v); err != nil {
			return nil, fmt.Errorf("chain build: %w", err)
		}
	}
	if table == nil {
		table = protocol.Mainnet()
	}
	onChain := table.Describes(networks.Canonical(v.Network()))
	follow := table.FollowsSchedule(nv, firstEpoch, onChain)
	for i, vt := range v.ApplyTipsets {
		epoch := base + abi.ChainEpoch(vt.EpochOffset)
		if epoch <= head.Height() {
			return nil, fmt.Errorf("chain build: tipset %d at %d does not follow the one at %d", i, epoch, head.Height())
		}
		tsNV := nv
		if follow {
			tsNV = table.AtEpoch(epoch).Version
		} else if want := table.AtEpoch(epoch).Version; want != nv {
			out.Warnings = append(out.Warnings, fmt.Sprintf("tipset %d at %d ran under network version %d; %s's schedule gives %d there, so extract with that version set explicitly", i, epoch, nv, table.Network(), want))
		}
		fee := big.NewFromGo(&vt.BaseFee)
		specs := make([]blockSpec, len(vt.Blocks))
		for j, blk := range vt.Blocks {
			specs[j] = blockSpec{miner: blk.MinerAddr, win: blk.WinCount}
			for k, m := range blk.Messages {
				if err := specs[j].add(m); err != nil {
					return nil, fmt.Errorf("chain build: tipset %d block %d message %d: %w", i, j, k, err)
				}
			}
		}
		parentEpoch := head.Height()
		ts, err := b.tipset(head, epoch, root, receipts, fee, specs)
		if err != nil {
			return nil, fmt.Errorf("chain build: tipset %d: %w", i, err)
		}
		head = ts
		eblocks := make([]executor.Block, len(specs))
		for j, s := range specs {
			if eblocks[j], err = s.executorBlock(); err != nil {
				return nil, fmt.Errorf("chain build: tipset %d block %d: %w", i, j, err)
			}
		}
		res, err := cfg.exec.ApplyTipset(ctx, &executor.Tipset{
			Params: executor.Params{
				Store:          bs,
				NetworkVersion: tsNV,
				Protocol:       table,
				OnChain:        onChain,
				Network:        v.Network(),
				Policy:         policy,
				CircSupply:     cs,
				Rand:           chain.NewRand(src, ts.Key()),
				ChaosActor:     v.ChaosActor(),
				Logger:         cfg.log,
			},
			ParentRoot: root, ParentEpoch: parentEpoch, Epoch: epoch, BaseFee: fee, Blocks: eblocks,
		})
		if err != nil {
			return nil, fmt.Errorf("chain build: tipset %d (epoch %d): %w", i, epoch, err)
		}
		for _, a := range res.Applied {
			if next >= len(v.Post.Receipts) {
				mismatchf("tipset %d: receipt %d: the vector records only %d", i, next, len(v.Post.Receipts))
			} else if w := v.Post.Receipts[next]; w.ExitCode != int64(a.ExitCode) || !bytes.Equal(w.ReturnValue, a.Return) || w.GasUsed != a.GasUsed {
				mismatchf("tipset %d: receipt %d: vector (%d, %x, %d), chain (%d, %x, %d)", i, next, w.ExitCode, []byte(w.ReturnValue), w.GasUsed, a.ExitCode, a.Return, a.GasUsed)
			}
			next++
		}
		if i < len(v.Post.ReceiptsRoots) && v.Post.ReceiptsRoots[i] != res.ReceiptsRoot {
			mismatchf("tipset %d: receipts root: vector %s, chain %s", i, v.Post.ReceiptsRoots[i], res.ReceiptsRoot)
		}
		out.Tipsets = append(out.Tipsets, ts)
		root, receipts = res.PostRoot, res.ReceiptsRoot
	}
	if next != len(v.Post.Receipts) {
		mismatchf("receipts: the vector records %d, the chain produced %d", len(v.Post.Receipts), next)
	}
	if want := v.Post.StateTree.RootCID; want != root {
		mismatchf("final state root: vector %s, chain %s", want, root)
	}
	lastFee := big.NewFromGo(&v.ApplyTipsets[len(v.ApplyTipsets)-1].BaseFee)
	if head, err = b.tipset(head, head.Height()+1, root, receipts, lastFee, []blockSpec{{miner: miner, win: 1}}); err != nil {
		return nil, fmt.Errorf("chain build: final tipset: %w", err)
	}
	out.Head = head
	return out, nil
}

// builtinMiner is the scaffolding tipsets' miner when the vector's first
// tipset has no blocks (f01000, the first miner of a devnet).
var builtinMiner = func() address.Address {
	a, err := address.NewIDAddress(1000)
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return a
}()

// blockSpec is one block to build: its miner and its messages, in the
// lists a block keeps (bare BLS-list messages, signed secp256k1 ones).
type blockSpec struct {
	miner address.Address
	win   int64
	bls   []*chain.Message
	secp  []*chain.SignedMessage
}

// add files a vector message as a block stores it. A bare message from a
// secp256k1 sender is signed with a stand-in signature of the right
// length (execution never checks signatures; its size prices inclusion).
func (s *blockSpec) add(raw []byte) error {
	if len(raw) > 0 && raw[0] == 0x82 {
		sm, err := chain.DecodeSignedMessage(raw)
		if err != nil {
			return err
		}
		if sm.Signature.Type == crypto.SigTypeBLS {
			s.bls = append(s.bls, &sm.Message)
		} else {
			s.secp = append(s.secp, sm)
		}
		return nil
	}
	m, err := chain.DecodeMessage(raw)
	if err != nil {
		return err
	}
	if m.From.Protocol() != address.SECP256K1 {
		s.bls = append(s.bls, m)
		return nil
	}
	sum := blake2b.Sum512(raw)
	sig := append(sum[:], 0) // 65 bytes: r, s and a recovery byte
	s.secp = append(s.secp, &chain.SignedMessage{Message: *m, Signature: crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: sig}})
	return nil
}

// executorBlock is the block as an executor runs it: the bytes the chain
// stores (BLS-list messages bare, then the signed ones), exactly as an
// extraction will read them back.
func (s *blockSpec) executorBlock() (executor.Block, error) {
	out := executor.Block{Miner: s.miner, WinCount: s.win}
	for _, m := range s.bls {
		raw, err := m.Serialize()
		if err != nil {
			return out, err
		}
		out.Messages = append(out.Messages, raw)
	}
	for _, sm := range s.secp {
		raw, err := sm.Bytes()
		if err != nil {
			return out, err
		}
		out.Messages = append(out.Messages, raw)
	}
	return out, nil
}

type builder struct {
	ctx context.Context
	bs  *chain.MemBlocks
}

// tipset stores a tipset's headers and messages on top of parent (nil for
// a genesis) and checks that the blocks come out in the order given.
func (b *builder) tipset(parent *chain.TipSet, height abi.ChainEpoch, parentState, parentReceipts cid.Cid, baseFee abi.TokenAmount, specs []blockSpec) (*chain.TipSet, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("tipset at %d has no blocks", height)
	}
	var parents []cid.Cid
	weight := big.Zero()
	prevHeight := abi.ChainEpoch(-1)
	if parent != nil {
		parents = parent.Cids()
		weight = big.Add(parent.ParentWeight(), big.NewInt(int64(len(parents))))
		prevHeight = parent.Height()
	}
	beacon := beaconEntries(prevHeight, height)
	headers := make([]*chain.BlockHeader, len(specs))
	var prevDigest []byte
	for i, s := range specs {
		meta, err := chain.StoreBlockMessages(b.ctx, b.bs, s.bls, s.secp)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		ticket, digest, err := orderedTicket(height, i, prevDigest)
		if err != nil {
			return nil, err
		}
		prevDigest = digest
		h := &chain.BlockHeader{
			Miner:                 s.miner,
			Ticket:                &chain.Ticket{VRFProof: ticket},
			ElectionProof:         &chain.ElectionProof{WinCount: s.win, VRFProof: tagged("election", height, i)},
			BeaconEntries:         beacon,
			Parents:               parents,
			ParentWeight:          weight,
			Height:                height,
			ParentStateRoot:       parentState,
			ParentMessageReceipts: parentReceipts,
			Messages:              meta,
			BLSAggregate:          &crypto.Signature{Type: crypto.SigTypeBLS, Data: make([]byte, 96)},
			Timestamp:             buildGenesisTime + buildBlockDelay*uint64(height),
			BlockSig:              &crypto.Signature{Type: crypto.SigTypeBLS, Data: tagged("block signature", height, i)},
			ParentBaseFee:         baseFee,
		}
		if _, err := chain.PutObject(b.ctx, b.bs, h); err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		headers[i] = h
	}
	ts, err := chain.NewTipSet(headers)
	if err != nil {
		return nil, err
	}
	for i, h := range ts.Blocks() {
		if h != headers[i] {
			return nil, fmt.Errorf("tipset at %d: blocks out of canonical order", height)
		}
	}
	return ts, nil
}

// orderedTicket picks block i's ticket at height: a deterministic VRF
// proof whose digest sorts after the previous block's, so the tipset's
// canonical order is the vector's block order.
func orderedTicket(height abi.ChainEpoch, i int, after []byte) (ticket, digest []byte, err error) {
	for try := 0; try < buildTicketTries; try++ {
		t := tagged(fmt.Sprintf("ticket %d", try), height, i)
		d := blake2b.Sum256(t)
		if after == nil || bytes.Compare(d[:], after) > 0 {
			return t, d[:], nil
		}
	}
	return nil, nil, fmt.Errorf("no ticket for block %d at %d keeps the block order", i, height)
}

// tagged derives 96 deterministic bytes from a label, a height and an index
// (the size of a BLS VRF proof or signature).
func tagged(label string, height abi.ChainEpoch, i int) []byte {
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(height))
	binary.BigEndian.PutUint64(n[8:], uint64(i))
	out := make([]byte, 0, 96)
	for part := byte(0); len(out) < 96; part++ {
		h, _ := blake2b.New256(nil)
		h.Write([]byte("tvx chain build " + label))
		h.Write(n[:])
		h.Write([]byte{part})
		out = h.Sum(out)
	}
	return out[:96]
}

// beaconEntries are the drand entries a block at height carries: the rounds
// since the parent's, at most buildBeaconEntries, by mainnet's timing.
func beaconEntries(prevHeight, height abi.ChainEpoch) []chain.BeaconEntry {
	last := chain.MainnetBeaconRound(height)
	first := last
	if prevHeight >= 0 {
		first = chain.MainnetBeaconRound(prevHeight) + 1
	}
	if last+1 > buildBeaconEntries && first < last+1-buildBeaconEntries {
		first = last + 1 - buildBeaconEntries
	}
	var out []chain.BeaconEntry
	for r := first; r <= last; r++ {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], r)
		d := blake2b.Sum256(append([]byte("tvx chain build beacon "), n[:]...))
		out = append(out, chain.BeaconEntry{Round: r, Data: d[:]})
	}
	return out
}
