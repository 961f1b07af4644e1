// Package devnetchain builds a small chain of a network that is not
// mainnet, as a Lotus devnet with mock proofs would have stored it: 2 KiB
// sectors, a 10-epoch pre-commit challenge delay, 4-second blocks, every
// upgrade up to OhSnap in force from genesis (network version 15, actors
// v7) and a mock drand beacon whose rounds follow the chain's own timing.
// Its messages run under the devnet's own protocol table, as its node runs
// them: with Calico before genesis, that is the genesis price list.
//
// On it a miner is created by a CreateMiner message, pre-commits one 2 KiB
// sector, proves it once the challenge delay has passed (the power actor's
// cron confirms it) and submits its first Window PoSt in the sector's
// proving deadline. Every message runs on tvx's VM under the devnet's actor
// policy (proofs accepted by the default verifier's policy), and each block
// commits to the state and receipts its parent's execution produced, so
// extraction from the chain must reproduce them.
//
// The chain is a pure function of the constants below: building it twice
// gives the same blocks. It takes about a second, so tests build it rather
// than keep a fixture.
package devnetchain

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-bitfield"
	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	minertypes "github.com/filecoin-project/go-state-types/builtin/v8/miner"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/dline"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/filecoin-project/go-state-types/proof"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	builtin7 "github.com/filecoin-project/specs-actors/v7/actors/builtin"
	miner7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/miner"
	power7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/power"
	adt7 "github.com/filecoin-project/specs-actors/v7/actors/util/adt"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actorpolicy"
	"github.com/tvx-project/tvx/vm/state"
	"github.com/tvx-project/tvx/vm/vmtest"
)

// The devnet's facts, as its node reports them (Params).
const (
	// NetworkName is the name the devnet's node reports, as Lotus's test
	// kit names its networks.
	NetworkName = "test"
	// GenesisTime is the genesis block's timestamp.
	GenesisTime    = 1_700_000_000
	BlockDelaySecs = 4
	// PreCommitChallengeDelay is the devnet's (mainnet's is 150).
	PreCommitChallengeDelay = 10
	// firstRound is the mock beacon's round at genesis; it advances one
	// round per epoch (far from mainnet drand's rounds at these heights).
	firstRound = 5000
	// maxBeaconEntries caps the entries one block carries after null
	// rounds, as nodes cap them.
	maxBeaconEntries = 20
	// maxHeight bounds the chain: the search below picks a miner creation
	// epoch whose proving deadline comes soon.
	maxHeight = 1500
)

// Params is what the devnet's node reports from StateGetNetworkParams:
// every upgrade at a negative height (in force from genesis, in Lotus's
// convention), 2 KiB sectors, a 2 KiB consensus minimum.
func Params() chain.NetworkParams {
	return chain.NetworkParams{
		NetworkName:             NetworkName,
		BlockDelaySecs:          BlockDelaySecs,
		ConsensusMinerMinPower:  big.NewInt(2048),
		SupportedProofTypes:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1},
		PreCommitChallengeDelay: PreCommitChallengeDelay,
		ForkUpgradeParams: chain.ForkUpgradeParams{
			UpgradeBreezeHeight: -1, UpgradeSmokeHeight: -2, UpgradeIgnitionHeight: -3, UpgradeRefuelHeight: -4,
			UpgradeAssemblyHeight: -5, UpgradeTapeHeight: -6, UpgradeLiftoffHeight: -7, UpgradeKumquatHeight: -8,
			UpgradeCalicoHeight: -9, UpgradePersianHeight: -10, UpgradeOrangeHeight: -11, UpgradeClausHeight: -12,
			UpgradeTrustHeight: -13, UpgradeNorwegianHeight: -14, UpgradeTurboHeight: -15, UpgradeHyperdriveHeight: -16,
			UpgradeChocolateHeight: -17, UpgradeOhSnapHeight: -18,
		},
	}
}

// Round is the mock beacon round the block at epoch e carries last.
func Round(e abi.ChainEpoch) uint64 { return firstRound + uint64(e) }

// CircSupply is the circulating supply the chain ran with (its node's
// answer to StateVMCirculatingSupplyInternal).
func CircSupply() abi.TokenAmount { return vm.TotalFilecoin() }

// Chain is a built devnet chain.
type Chain struct {
	Blocks *chain.MemBlocks
	Head   *chain.TipSet
	// Miner is the ID address of the miner the chain's messages create.
	Miner address.Address
	// Messages are the CIDs of the chain's messages by method name:
	// CreateMiner, PreCommitSector, ProveCommitSector, SubmitWindowedPoSt.
	Messages map[string]cid.Cid
	// Deadline is the Window PoSt deadline the sector was assigned to.
	Deadline uint64
}

// Profile is the network row tvx makes of the devnet from its node's
// parameters.
func Profile() networks.Profile {
	p := Params()
	return p.Profile()
}

// Source serves the chain as the devnet's node would: its own upgrade
// schedule and circulating supply.
func (c *Chain) Source() *chain.BlockSource {
	p := Profile()
	head := c.Head
	return chain.NewBlockSource(c.Blocks, func() *chain.TipSet { return head },
		chain.WithNetworkSchedule(func(h abi.ChainEpoch) network.Version { return network.Version(p.NetworkVersion(h)) }),
		chain.WithCirculatingSupply(CircSupply()))
}

// Server serves the chain over the Lotus JSON-RPC API as the devnet's node.
func (c *Chain) Server(token string) *chaintest.Server {
	return chaintest.NewServer(c.Source(), token, chaintest.WithNetworkParams(Params()))
}

// Key addresses of the chain's accounts.
var (
	producerOwner = vmtest.SecpAddress(10)
	producerWork  = vmtest.BLSAddress(11)
	owner         = vmtest.SecpAddress(20)
	worker        = vmtest.BLSAddress(21)
)

const (
	sectorNumber = abi.SectorNumber(0)
	sealProof    = abi.RegisteredSealProof_StackedDrg2KiBV1_1
	postProof    = abi.RegisteredPoStProof_StackedDrgWindow2KiBV1
)

// Build builds the chain. It holds the actor-policy gate for the devnet's
// policy while it runs.
func Build(ctx context.Context) (*Chain, error) {
	prof := Profile()
	defer actorpolicy.Hold(&prof.Policy)()
	nv := network.Version(prof.NetworkVersion(0))
	if nv != network.Version15 {
		return nil, fmt.Errorf("devnet: the schedule gives network version %d at genesis, want 15", nv)
	}

	// Genesis: the singletons, funded accounts and a miner that produces
	// every block (rewards need a miner actor to go to).
	w, err := vmtest.New(ctx, nv, vmtest.Options{})
	if err != nil {
		return nil, fmt.Errorf("devnet genesis: %w", err)
	}
	for _, a := range []struct {
		key address.Address
		fil int64
	}{{producerOwner, 1_000}, {producerWork, 100}, {owner, 100_000}, {worker, 1_000}} {
		if _, err := w.NewAccount(ctx, a.key, vmtest.FIL(a.fil)); err != nil {
			return nil, fmt.Errorf("devnet genesis: account %s: %w", a.key, err)
		}
	}
	res, err := w.Apply(ctx, createMiner(producerOwner, producerWork, 0, big.Zero()))
	if err != nil || res.ExitCode != 0 {
		return nil, fmt.Errorf("devnet genesis: block producer: %v %v", err, res)
	}
	var created power7.CreateMinerReturn
	if err := created.UnmarshalCBOR(bytes.NewReader(res.Return)); err != nil {
		return nil, fmt.Errorf("devnet genesis: block producer: %w", err)
	}
	bs := chain.NewMemBlocks()
	if err := copyBlocks(ctx, w, bs); err != nil {
		return nil, err
	}

	table, err := prof.Protocol()
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	b := &builder{ctx: ctx, bs: bs, cb: &chaintest.Builder{Blocks: bs}, producer: created.IDAddress, root: w.Root, nv: nv, table: table}
	b.src = chain.NewBlockSource(bs, func() *chain.TipSet { return b.head })
	if b.receipts, err = b.cb.Receipts(nil); err != nil {
		return nil, err
	}
	if err := b.next(0); err != nil {
		return nil, err
	}

	out := &Chain{Blocks: bs, Messages: map[string]cid.Cid{}}
	createAt, err := b.creationEpoch(created.IDAddress)
	if err != nil {
		return nil, err
	}
	for b.head.Height() < createAt-1 {
		if err := b.next(b.head.Height() + 1); err != nil {
			return nil, err
		}
	}

	// The miner, funded for its pre-commit deposit and pledge by the
	// value its creation carries.
	if out.Messages["CreateMiner"], res, err = b.send(createAt, createMiner(owner, worker, 0, vmtest.FIL(10_000))); err != nil {
		return nil, err
	}
	if err := created.UnmarshalCBOR(bytes.NewReader(res.Return)); err != nil {
		return nil, fmt.Errorf("devnet: CreateMiner return: %w", err)
	}
	out.Miner = created.IDAddress

	preCommitAt := createAt + 1
	sealed, err := commcid.ReplicaCommitmentV1ToCID(bytes.Repeat([]byte{0x5e}, 32))
	if err != nil {
		return nil, err
	}
	pc := &miner7.PreCommitSectorParams{
		SealProof: sealProof, SectorNumber: sectorNumber, SealedCID: sealed,
		SealRandEpoch: preCommitAt - 1, Expiration: preCommitAt + 700_000,
	}
	if out.Messages["PreCommitSector"], _, err = b.send(preCommitAt, workerMsg(out.Miner, 0, builtin7.MethodsMiner.PreCommitSector, pc)); err != nil {
		return nil, err
	}

	// Proving is allowed once the challenge delay has passed; the power
	// actor's cron at the end of the epoch confirms the sector.
	proveAt := preCommitAt + PreCommitChallengeDelay + 1
	for b.head.Height() < proveAt-1 {
		if err := b.next(b.head.Height() + 1); err != nil {
			return nil, err
		}
	}
	prove := &miner7.ProveCommitSectorParams{SectorNumber: sectorNumber, Proof: make([]byte, abi.SealProofInfos[sealProof].ProofSize)}
	if out.Messages["ProveCommitSector"], _, err = b.send(proveAt, workerMsg(out.Miner, 1, builtin7.MethodsMiner.ProveCommitSector, prove)); err != nil {
		return nil, err
	}

	// The sector's first Window PoSt: in its deadline's challenge window,
	// committing to the chain at the window's opening epoch.
	dl, err := b.sectorDeadline(out.Miner)
	if err != nil {
		return nil, err
	}
	out.Deadline = dl.Index
	if dl.Challenge <= b.head.Height() || dl.Open+2 > maxHeight {
		return nil, fmt.Errorf("devnet: sector's deadline %d opens at %d (challenge %d), the chain is at %d", dl.Index, dl.Open, dl.Challenge, b.head.Height())
	}
	// Null rounds up to the challenge, then a tipset every epoch.
	if err := b.next(dl.Challenge); err != nil {
		return nil, err
	}
	for b.head.Height() < dl.Open {
		if err := b.next(b.head.Height() + 1); err != nil {
			return nil, err
		}
	}
	commitRand, err := chain.NewRand(b.src, b.head.Key()).ChainRandomness(ctx, crypto.DomainSeparationTag_PoStChainCommit, dl.Open, nil)
	if err != nil {
		return nil, fmt.Errorf("devnet: chain commit randomness: %w", err)
	}
	post := &minertypes.SubmitWindowedPoStParams{
		Deadline:         dl.Index,
		Partitions:       []minertypes.PoStPartition{{Index: 0, Skipped: bitfield.New()}},
		Proofs:           []proof.PoStProof{{PoStProof: postProof, ProofBytes: make([]byte, 192)}},
		ChainCommitEpoch: dl.Open,
		ChainCommitRand:  commitRand,
	}
	if out.Messages["SubmitWindowedPoSt"], _, err = b.send(dl.Open+1, workerMsg(out.Miner, 2, builtin7.MethodsMiner.SubmitWindowedPoSt, post)); err != nil {
		return nil, err
	}
	// A last tipset commits to the PoSt's receipt.
	if err := b.next(b.head.Height() + 1); err != nil {
		return nil, err
	}
	out.Head = b.head
	return out, nil
}

func createMiner(from, work address.Address, nonce uint64, value abi.TokenAmount) *vm.Message {
	params := mustEncode(&power7.CreateMinerParams{Owner: from, Worker: work, WindowPoStProofType: postProof, Peer: abi.PeerID("devnet")})
	return &vm.Message{From: from, To: builtin7.StoragePowerActorAddr, Nonce: nonce, Value: value,
		GasLimit: 1_000_000_000, GasFeeCap: big.NewInt(10_000), GasPremium: big.NewInt(1_000),
		Method: builtin7.MethodsPower.CreateMiner, Params: params}
}

func workerMsg(to address.Address, nonce uint64, method abi.MethodNum, params cbg.CBORMarshaler) *vm.Message {
	return &vm.Message{From: worker, To: to, Nonce: nonce, Value: big.Zero(),
		GasLimit: 1_000_000_000, GasFeeCap: big.NewInt(10_000), GasPremium: big.NewInt(1_000),
		Method: method, Params: mustEncode(params)}
}

func mustEncode(v cbg.CBORMarshaler) []byte {
	raw, err := vmtest.Encode(v)
	if err != nil {
		panic(err) // unreachable: parameters built above encode
	}
	return raw
}

// copyBlocks moves the genesis state from the World's store to the chain's.
func copyBlocks(ctx context.Context, w *vmtest.World, bs *chain.MemBlocks) error {
	keys, err := w.Blocks.AllKeysChan(ctx)
	if err != nil {
		return fmt.Errorf("devnet genesis: %w", err)
	}
	// The store keys blocks by multihash; every state block is DAG-CBOR.
	for k := range keys {
		blk, err := w.Blocks.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("devnet genesis: %w", err)
		}
		blk, err = blocks.NewBlockWithCid(blk.RawData(), cid.NewCidV1(cid.DagCBOR, k.Hash()))
		if err != nil {
			return fmt.Errorf("devnet genesis: %w", err)
		}
		if err := bs.Put(ctx, blk); err != nil {
			return fmt.Errorf("devnet genesis: %w", err)
		}
	}
	return nil
}

// builder extends the chain one tipset (of one block) at a time, running
// each on the VM as soon as it is made.
type builder struct {
	ctx      context.Context
	bs       *chain.MemBlocks
	cb       *chaintest.Builder
	src      *chain.BlockSource
	producer address.Address
	nv       network.Version
	// table is the devnet's protocol table: messages run under its rules
	// and price list at their epoch, as the devnet's node ran them.
	table *protocol.Table
	head  *chain.TipSet
	// root and receipts are what executing head produced: the next
	// tipset's parent state and receipts.
	root, receipts cid.Cid
}

// next adds a tipset at height h with no messages.
func (b *builder) next(h abi.ChainEpoch) error {
	_, err := b.tipset(h, nil)
	return err
}

// send adds a tipset at h holding msg (signed when its sender is a
// secp256k1 key) and returns the message's CID and result, failing unless
// it succeeded.
func (b *builder) send(h abi.ChainEpoch, msg *vm.Message) (cid.Cid, *vm.ApplyResult, error) {
	res, err := b.tipset(h, msg)
	if err != nil {
		return cid.Undef, nil, err
	}
	for _, a := range res.Applied {
		if a.Kind == vm.AppliedExplicit {
			if a.Result.ExitCode != 0 {
				return cid.Undef, nil, fmt.Errorf("devnet: method %d to %s at %d: exit %d: %s", msg.Method, msg.To, h, a.Result.ExitCode, a.Result.Error)
			}
			return a.Cid, a.Result, nil
		}
	}
	return cid.Undef, nil, errors.New("devnet: message not applied")
}

func (b *builder) tipset(h abi.ChainEpoch, msg *vm.Message) (*vm.TipsetResult, error) {
	spec := chaintest.BlockSpec{
		Miner:     b.producer,
		Ticket:    tagged("ticket", h),
		Timestamp: GenesisTime + BlockDelaySecs*uint64(h),
	}
	first := Round(h)
	if b.head != nil {
		first = Round(b.head.Height()) + 1
	}
	if last := Round(h); last+1-first > maxBeaconEntries {
		first = last + 1 - maxBeaconEntries
	}
	for r := first; r <= Round(h); r++ {
		spec.BeaconEntries = append(spec.BeaconEntries, chain.BeaconEntry{Round: r, Data: tagged("beacon", abi.ChainEpoch(r))})
	}
	var vblock vm.TipsetBlock
	vblock.Miner, vblock.WinCount = b.producer, 1
	if msg != nil {
		raw, err := msg.Serialize()
		if err != nil {
			return nil, err
		}
		if msg.From.Protocol() == address.SECP256K1 {
			// Execution checks no signature; the stand-in has the size
			// that prices the message's inclusion.
			sum := blake2b.Sum512(raw)
			m, err := chain.DecodeMessage(raw)
			if err != nil {
				return nil, err
			}
			sm := &chain.SignedMessage{Message: *m, Signature: crypto.Signature{Type: crypto.SigTypeSecp256k1, Data: append(sum[:], 0)}}
			spec.Secp = append(spec.Secp, sm)
			if raw, err = sm.Bytes(); err != nil {
				return nil, err
			}
		} else {
			m, err := chain.DecodeMessage(raw)
			if err != nil {
				return nil, err
			}
			spec.Bls = append(spec.Bls, m)
		}
		bm, err := vm.DecodeBlockMessage(raw)
		if err != nil {
			return nil, err
		}
		if msg.From.Protocol() == address.SECP256K1 {
			vblock.SecpMessages = append(vblock.SecpMessages, bm)
		} else {
			vblock.BLSMessages = append(vblock.BLSMessages, bm)
		}
	}
	ts, err := b.cb.Tipset(b.head, chaintest.TipsetSpec{Height: h, ParentState: b.root, ParentReceipts: b.receipts,
		ParentBaseFee: big.NewInt(100), Blocks: []chaintest.BlockSpec{spec}})
	if err != nil {
		return nil, fmt.Errorf("devnet: tipset at %d: %w", h, err)
	}
	parentEpoch := abi.ChainEpoch(-1)
	if b.head != nil {
		parentEpoch = b.head.Height()
	}
	b.head = ts
	if h == 0 {
		return &vm.TipsetResult{StateRoot: b.root, ReceiptsRoot: b.receipts}, nil // genesis executes nothing
	}
	res, err := vm.ApplyTipset(b.ctx, b.bs, vm.Tipset{ParentState: b.root, ParentEpoch: parentEpoch, Epoch: h, Blocks: []vm.TipsetBlock{vblock}}, vm.Config{
		NetworkVersion: b.nv,
		Protocol:       b.table,
		OnChain:        true,
		BaseFee:        big.NewInt(100),
		CircSupply:     CircSupply(),
		Rand:           chain.NewRand(b.src, ts.Key()),
	})
	if err != nil {
		return nil, fmt.Errorf("devnet: execute tipset at %d: %w", h, err)
	}
	b.root, b.receipts = res.StateRoot, res.ReceiptsRoot
	return res, nil
}

// creationEpoch picks the first epoch at which a CreateMiner makes a miner
// whose proving period puts a new sector's first deadline soon after its
// confirmation, so the chain stays short. The miner's proving period
// offset is the actors' function of its address and creation epoch; each
// candidate is tried on a scratch copy of the genesis state, whose next
// actor ID the chain's miner gets too.
func (b *builder) creationEpoch(producer address.Address) (abi.ChainEpoch, error) {
	for c := abi.ChainEpoch(2); c < 400; c++ {
		scratch := &overlay{base: b.bs, top: chain.NewMemBlocks()}
		m, err := vm.New(b.ctx, scratch, b.root, vm.Config{NetworkVersion: b.nv, Protocol: b.table, OnChain: true, Epoch: c, CircSupply: CircSupply()})
		if err != nil {
			return 0, err
		}
		msg := createMiner(owner, worker, 0, vmtest.FIL(10_000))
		n, _ := msg.ChainLength()
		res, err := m.ApplyMessage(b.ctx, msg, n)
		if err != nil || res.ExitCode != 0 {
			return 0, fmt.Errorf("devnet: trial CreateMiner at %d: %v %v", c, err, res)
		}
		var created power7.CreateMinerReturn
		if err := created.UnmarshalCBOR(bytes.NewReader(res.Return)); err != nil {
			return 0, err
		}
		root, err := m.Flush(b.ctx)
		if err != nil {
			return 0, err
		}
		st, err := minerState(b.ctx, scratch, root, created.IDAddress)
		if err != nil {
			return 0, err
		}
		// The sector is confirmed 12 epochs after creation into the first
		// deadline still more than a challenge window from opening: with
		// every deadline empty, deadline 0 when it is.
		confirm := c + PreCommitChallengeDelay + 2
		dl := miner7.NewDeadlineInfo(st.ProvingPeriodStart, 0, confirm).NextNotElapsed()
		if gap := dl.Open - confirm; gap > 2*miner7.WPoStChallengeWindow && dl.Open+2 < maxHeight {
			return c, nil
		}
	}
	return 0, errors.New("devnet: no creation epoch gives a near proving deadline")
}

// sectorDeadline is the next window of the deadline holding the sector.
func (b *builder) sectorDeadline(miner address.Address) (*dline.Info, error) {
	st, err := minerState(b.ctx, b.bs, b.root, miner)
	if err != nil {
		return nil, err
	}
	store := adt7.WrapStore(b.ctx, ipldcbor.NewCborStore(b.bs))
	idx, _, err := st.FindSector(store, sectorNumber)
	if err != nil {
		return nil, fmt.Errorf("devnet: sector %d not confirmed: %w", sectorNumber, err)
	}
	return miner7.NewDeadlineInfo(st.ProvingPeriodStart, idx, b.head.Height()+1).NextNotElapsed(), nil
}

func minerState(ctx context.Context, bs vm.Blockstore, root cid.Cid, miner address.Address) (*miner7.State, error) {
	store := ipldcbor.NewCborStore(bs)
	tree, err := state.Load(ctx, store, root)
	if err != nil {
		return nil, err
	}
	act, err := tree.GetActor(miner)
	if err != nil {
		return nil, fmt.Errorf("devnet: miner %s: %w", miner, err)
	}
	var st miner7.State
	if err := store.Get(ctx, act.Head, &st); err != nil {
		return nil, fmt.Errorf("devnet: miner %s state: %w", miner, err)
	}
	return &st, nil
}

// overlay writes to top and reads top, then base: trials leave the chain's
// store untouched.
type overlay struct {
	base, top *chain.MemBlocks
}

func (o *overlay) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if blk, err := o.top.Get(ctx, c); err == nil {
		return blk, nil
	}
	return o.base.Get(ctx, c)
}

func (o *overlay) Put(ctx context.Context, blk blocks.Block) error { return o.top.Put(ctx, blk) }

// tagged derives 96 deterministic bytes (a VRF proof's size) from a label
// and a height.
func tagged(label string, h abi.ChainEpoch) []byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(h))
	out := make([]byte, 0, 96)
	for part := byte(0); len(out) < 96; part++ {
		sum := blake2b.Sum256(append([]byte("tvx devnet "+label+" "+string(rune('0'+part))), n[:]...))
		out = append(out, sum[:]...)
	}
	return out[:96]
}
