package vm_test

import (
	"fmt"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-bitfield"
	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	miner0 "github.com/filecoin-project/specs-actors/actors/builtin/miner"
	power0 "github.com/filecoin-project/specs-actors/actors/builtin/power"
	builtin3 "github.com/filecoin-project/specs-actors/v3/actors/builtin"
	miner3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/miner"
	power3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/power"
	adt3 "github.com/filecoin-project/specs-actors/v3/actors/util/adt"
	miner4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/miner"
	builtin5 "github.com/filecoin-project/specs-actors/v5/actors/builtin"
	miner5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/miner"
	miner6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/miner"
	miner7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/miner"

	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/vmtest"
)

// Sectors through their whole commitment on each actors version from v3:
// pre-commit, then prove-commit verified in bulk by the power actor's cron
// (the BatchVerifySeals syscall) and, from actors v5 (network version 13),
// prove-commit of four sectors with one aggregate proof, charged at the
// aggregate price of the Calico list. Proofs are accepted by the default
// verifier's policy; everything else is the actors' own logic.
func TestSectorCommitments(t *testing.T) {
	for _, nv := range []network.Version{network.Version10, network.Version12, network.Version13, network.Version14, network.Version15} {
		nv := nv
		t.Run(fmt.Sprintf("nv%d", nv), func(t *testing.T) {
			t.Parallel()
			runSectors(t, nv)
		})
	}
}

func runSectors(t *testing.T, nv network.Version) {
	f := newFlow(t, nv)
	f.w.Epoch = 10
	aliceKey := vmtest.SecpAddress(1)
	alice := f.account(aliceKey, vmtest.FIL(10_000))
	workerKey := vmtest.BLSAddress(30)
	f.account(workerKey, vmtest.FIL(10))
	res := f.send(aliceKey, vmtest.PowerAddr, big.Zero(), builtin0.MethodsPower.CreateMiner,
		encode(t, &power3.CreateMinerParams{Owner: alice, Worker: workerKey,
			WindowPoStProofType: abi.RegisteredPoStProof_StackedDrgWindow32GiBV1, Peer: abi.PeerID("tvx")}), exitcode.Ok)
	var miner power0.CreateMinerReturn
	decode(t, res.Return, &miner)
	f.send(aliceKey, miner.IDAddress, vmtest.FIL(5_000), 0, nil, exitcode.Ok)
	// Batched pre-commits (actors v6 on) and aggregated proofs burn a
	// network fee from the miner's funds on top of gas.
	f.actorBurns = true

	aggregate := nv >= network.Version13
	sectors := []abi.SectorNumber{0}
	if aggregate {
		sectors = append(sectors, 1, 2, 3, 4)
	}
	precommit := func(n abi.SectorNumber) miner0.SectorPreCommitInfo {
		var commR [32]byte
		commR[0] = byte(n) + 1
		sealed, err := commcid.ReplicaCommitmentV1ToCID(commR[:])
		if err != nil {
			t.Fatal(err)
		}
		return miner0.SectorPreCommitInfo{
			SealProof: abi.RegisteredSealProof_StackedDrg32GiBV1_1, SectorNumber: n, SealedCID: sealed,
			SealRandEpoch: f.w.Epoch - 1, Expiration: 700_000,
		}
	}
	// Sector 0 alone; from actors v5 the rest as one batch.
	pc := precommit(0)
	f.send(workerKey, miner.IDAddress, big.Zero(), builtin0.MethodsMiner.PreCommitSector, encode(t, &pc), exitcode.Ok)
	if aggregate {
		batch := &miner5.PreCommitSectorBatchParams{}
		for _, n := range sectors[1:] {
			batch.Sectors = append(batch.Sectors, precommit(n))
		}
		f.send(workerKey, miner.IDAddress, big.Zero(), builtin5.MethodsMiner.PreCommitSectorBatch, encode(t, batch), exitcode.Ok)
	}

	// Proving is allowed once the challenge delay (150 epochs) has passed.
	f.w.Epoch += 151
	proof := make([]byte, abi.SealProofInfos[abi.RegisteredSealProof_StackedDrg32GiBV1_1].ProofSize)
	f.send(workerKey, miner.IDAddress, big.Zero(), builtin0.MethodsMiner.ProveCommitSector,
		encode(t, &miner0.ProveCommitSectorParams{SectorNumber: 0, Proof: proof}), exitcode.Ok)
	if f.sectorActive(miner.IDAddress, 0) {
		t.Fatal("sector 0 active before its proof was verified")
	}
	if aggregate {
		nums := bitfield.New()
		for _, n := range sectors[1:] {
			nums.Set(uint64(n))
		}
		f.w.TraceGas = true
		res := f.send(workerKey, miner.IDAddress, big.Zero(), builtin5.MethodsMiner.ProveCommitAggregate,
			encode(t, &miner5.ProveCommitAggregateParams{SectorNumbers: nums, AggregateProof: []byte{1, 2, 3}}), exitcode.Ok)
		f.w.TraceGas = false
		want := int64(449900*4 + 103994170) // Calico: per-seal price and the 4..6 step
		found := 0
		for _, c := range res.GasTrace {
			if c.Name == "OnVerifyAggregateSeals" {
				found++
				if c.Total() != want {
					t.Errorf("aggregate verification charged %d, want %d", c.Total(), want)
				}
			}
		}
		if found != 1 {
			t.Errorf("%d aggregate verification charges", found)
		}
		// Aggregated sectors are confirmed at once.
		for _, n := range sectors[1:] {
			if !f.sectorActive(miner.IDAddress, n) {
				t.Errorf("aggregated sector %d not active", n)
			}
		}
	}

	// The end-of-epoch cron verifies the batched proof and confirms sector 0.
	res, err := f.w.ApplyImplicit(f.ctx, vm.CronMessage(f.w.Epoch))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("cron: %v %+v", err, res)
	}
	for _, n := range sectors {
		if !f.sectorActive(miner.IDAddress, n) {
			t.Errorf("sector %d not active after cron", n)
		}
	}
	// New sectors hold pledge; their power counts from their first window
	// PoSt (actors v3 on), so the claim exists but is still zero.
	if got := f.claimedPower(miner.IDAddress); !got.IsZero() {
		t.Errorf("claimed power %s before any window PoSt", got)
	}
}

// claimedPower reads the raw-byte power the power actor records for miner.
// Claims are a HAMT of the same layout and entry type from actors v3 to v7.
func (f *flow) claimedPower(miner address.Address) abi.StoragePower {
	f.t.Helper()
	_, claims := f.powerState(f.w.Rules.ActorsVersion)
	m, err := adt3.AsMap(adt3.WrapStore(f.ctx, ipldcbor.NewCborStore(f.w.Blocks)), claims, builtin3.DefaultHamtBitwidth)
	if err != nil {
		f.t.Fatal(err)
	}
	var c power3.Claim
	found, err := m.Get(abi.AddrKey(miner), &c)
	if err != nil || !found {
		f.t.Fatalf("claim of %s: found %v, %v", miner, found, err)
	}
	return c.RawBytePower
}

// sectorActive reports whether the miner's state holds sector n as proven,
// reading it with the miner state type of the actors version in force.
func (f *flow) sectorActive(miner address.Address, n abi.SectorNumber) bool {
	f.t.Helper()
	switch f.w.Rules.ActorsVersion {
	case 3:
		return sectorIn[miner3.State, *miner3.SectorOnChainInfo](f, miner, n)
	case 4:
		return sectorIn[miner4.State, *miner4.SectorOnChainInfo](f, miner, n)
	case 5:
		return sectorIn[miner5.State, *miner5.SectorOnChainInfo](f, miner, n)
	case 6:
		return sectorIn[miner6.State, *miner6.SectorOnChainInfo](f, miner, n)
	case 7:
		return sectorIn[miner7.State, *miner7.SectorOnChainInfo](f, miner, n)
	}
	f.t.Fatalf("no miner state for actors v%d", f.w.Rules.ActorsVersion)
	return false
}

func sectorIn[T any, I any, P interface {
	*T
	cbg.CBORUnmarshaler
	GetSector(adt3.Store, abi.SectorNumber) (I, bool, error)
}](f *flow, miner address.Address, n abi.SectorNumber) bool {
	f.t.Helper()
	st := P(new(T))
	f.load(miner, st)
	_, found, err := st.GetSector(adt3.WrapStore(f.ctx, ipldcbor.NewCborStore(f.w.Blocks)), n)
	if err != nil {
		f.t.Fatal(err)
	}
	return found
}
