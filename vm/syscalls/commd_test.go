package syscalls

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/filecoin-project/go-commp-utils/nonffi"
	"github.com/filecoin-project/go-commp-utils/zerocomm"
	commcid "github.com/filecoin-project/go-fil-commcid"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/proof"
	"github.com/filecoin-project/specs-actors/actors/builtin"
	market0 "github.com/filecoin-project/specs-actors/actors/builtin/market"
	power0 "github.com/filecoin-project/specs-actors/actors/builtin/power"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	"github.com/ipfs/go-cid"
)

// corpusSeal is a seal the chain queued for batch verification, with the
// pieces of its deals as the market actor held them.
type corpusSeal struct {
	vector string
	info   proof.SealVerifyInfo
	pieces []abi.PieceInfo
}

// queuedSeals collects the seals in the power actor's proof-validation batch
// in the pre- and post-states of every successful ProveCommitSector vector.
// Each carries the CommD that the chain's ComputeUnsealedSectorCID returned
// for the sector's deals, and the real PoRep bytes. A CAR holds only the
// blocks its message touched, so batches or proposals that are not in it
// are counted as unavailable rather than failing the test.
func queuedSeals(t testing.TB) (seals []corpusSeal, unavailable int) {
	t.Helper()
	seen := map[abi.SectorID]bool{}
	for _, v := range loadVectors(t, "/ProveCommitSector/") {
		if v.Post.Receipts[0].ExitCode != 0 {
			continue
		}
		store := v.store(t)
		for _, root := range []map[string]string{v.Pre.StateTree.RootCID, v.Post.StateTree.RootCID} {
			actors := actorsMap(t, store, rootCID(t, v, root))
			var power power0.State
			if err := store.Get(store.Context(), getActor(t, actors, builtin.StoragePowerActorAddr).Head, &power); err != nil {
				t.Fatalf("%s: power state: %v", v.name(), err)
			}
			if power.ProofValidationBatch == nil {
				continue
			}
			batch, err := adt0.AsMultimap(store, *power.ProofValidationBatch)
			if err != nil {
				unavailable++
				continue
			}
			err = batch.ForAll(func(_ string, queued *adt0.Array) error {
				var info proof.SealVerifyInfo
				return queued.ForEach(&info, func(int64) error {
					if seen[info.SectorID] {
						return nil
					}
					seen[info.SectorID] = true
					s := corpusSeal{vector: v.name(), info: info}
					s.info.DealIDs = append([]abi.DealID(nil), info.DealIDs...)
					pieces, err := dealPieces(store, actors, info.DealIDs)
					if err != nil {
						unavailable++
						return nil
					}
					s.pieces = pieces
					seals = append(seals, s)
					return nil
				})
			})
			if err != nil {
				unavailable++
			}
		}
	}
	return seals, unavailable
}

func dealPieces(store adt0.Store, actors *adt0.Map, ids []abi.DealID) ([]abi.PieceInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ma chainActor
	if found, err := actors.Get(abi.AddrKey(builtin.StorageMarketActorAddr), &ma); err != nil || !found {
		return nil, fmt.Errorf("market actor: found=%v err=%v", found, err)
	}
	var market market0.State
	if err := store.Get(store.Context(), ma.Head, &market); err != nil {
		return nil, fmt.Errorf("market state: %w", err)
	}
	proposals, err := adt0.AsArray(store, market.Proposals)
	if err != nil {
		return nil, fmt.Errorf("proposals: %w", err)
	}
	var pieces []abi.PieceInfo
	for _, id := range ids {
		var p market0.DealProposal
		found, err := proposals.Get(uint64(id), &p)
		if err != nil || !found {
			return nil, fmt.Errorf("deal %d: found=%v err=%v", id, found, err)
		}
		pieces = append(pieces, abi.PieceInfo{Size: p.PieceSize, PieceCID: p.PieceCID})
	}
	return pieces, nil
}

func TestUnsealedCIDMatchesCorpusSeals(t *testing.T) {
	seals, unavailable := queuedSeals(t)
	if len(seals) == 0 {
		t.Fatalf("no seal with its deals available in ProveCommitSector vectors (%d unavailable)", unavailable)
	}
	withDeals := 0
	for _, s := range seals {
		got, err := ComputeUnsealedSectorCID(s.info.SealProof, s.pieces)
		if err != nil {
			t.Errorf("%s: sector %d: %v", s.vector, s.info.SectorID.Number, err)
			continue
		}
		if got != s.info.UnsealedCID {
			t.Errorf("%s: sector %d (%d deals): CommD %s, chain has %s", s.vector, s.info.SectorID.Number, len(s.pieces), got, s.info.UnsealedCID)
		}
		if len(s.pieces) > 0 {
			withDeals++
		}
	}
	t.Logf("CommD of %d queued corpus seals matches (%d with deals; %d batches or deal sets not in the CARs)", len(seals), withDeals, unavailable)
}

// TestUnsealedCIDMainnetSector checks a 32 GiB mainnet sector with ten deal
// pieces of mixed sizes (f01392893 sector 139074, deals 3755442..3755883; the
// layout needs alignment padding after the first piece). Piece CIDs, sizes
// and CommD are the on-chain values.
func TestUnsealedCIDMainnetSector(t *testing.T) {
	pieces := []struct {
		cid  string
		size abi.PaddedPieceSize
	}{
		{"baga6ea4seaqknzm22isnhsxt2s4dnw45kfywmhenngqq3nc7jvecakoca6ksyhy", 256 << 20},
		{"baga6ea4seaqnq6o5wuewdpviyoafno4rdpqnokz6ghvg2iyeyfbqxgcwdlj2egi", 1 << 30},
		{"baga6ea4seaqpixk4ifbkzato3huzycj6ty6gllqwanhdpsvxikawyl5bg2h44mq", 512 << 20},
		{"baga6ea4seaqaxwe5dy6nt3ko5tngtmzvpqxqikw5mdwfjqgaxfwtzenc6bgzajq", 512 << 20},
		{"baga6ea4seaqpy33nbesa4d6ot2ygeuy43y4t7amc4izt52mlotqenwcmn2kyaai", 1 << 30},
		{"baga6ea4seaqphvv4x2s2v7ykgc3ugs2kkltbdeg7icxstklkrgqvv72m2v3i2aa", 256 << 20},
		{"baga6ea4seaqf5u55znk6jwhdsrhe37emzhmehiyvjxpsww274f6fiy3h4yctady", 512 << 20},
		{"baga6ea4seaqa3qbabsbmvk5er6rhsjzt74beplzgulthamm22jue4zgqcuszofi", 1 << 30},
		{"baga6ea4seaqiekvf623muj6jpxg6vsqaikyw3r4ob5u7363z7zcaixqvfqsc2ji", 256 << 20},
		{"baga6ea4seaqhsewv65z2d4m5o4vo65vl5o6z4bcegdvgnusvlt7rao44gro36pi", 512 << 20},
	}
	var infos []abi.PieceInfo
	for _, p := range pieces {
		c, err := cid.Decode(p.cid)
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, abi.PieceInfo{Size: p.size, PieceCID: c})
	}
	got, err := ComputeUnsealedSectorCID(abi.RegisteredSealProof_StackedDrg32GiBV1_1, infos)
	if err != nil {
		t.Fatal(err)
	}
	if want := "baga6ea4seaqiw3gbmstmexb7sqwkc5r23o3i7zcyx5kr76pfobpykes3af62kca"; got.String() != want {
		t.Fatalf("CommD %s, chain has %s", got, want)
	}
	// Swapping two pieces of different sizes must change the commitment.
	infos[0], infos[1] = infos[1], infos[0]
	if swapped, err := ComputeUnsealedSectorCID(abi.RegisteredSealProof_StackedDrg32GiBV1_1, infos); err != nil || swapped == got {
		t.Fatalf("reordered pieces: %s, %v", swapped, err)
	}
}

func TestZeroCommitmentsMatchPublishedTable(t *testing.T) {
	// zerocomm.PieceComms[i] is the commitment of 128·2^i zero bytes.
	for i := range zerocomm.PieceComms {
		level := i + 2
		if level > maxTreeLevel {
			break
		}
		if zeroComms[level] != zerocomm.PieceComms[i] {
			t.Errorf("zero commitment of %d bytes: %x, published %x", 128<<i, zeroComms[level], zerocomm.PieceComms[i])
		}
	}
}

// randomPieces draws piece sizes between 128 bytes and the sector size and
// keeps those that still fit once aligned; PieceCIDs are random commitments.
func randomPieces(rng *rand.Rand, sectorSize uint64) []abi.PieceInfo {
	var pieces []abi.PieceInfo
	var off uint64
	maxShift := 0
	for 128<<maxShift < sectorSize {
		maxShift++
	}
	for tries := rng.Intn(12); tries > 0; tries-- {
		size := uint64(128) << rng.Intn(maxShift+1)
		start := (off + size - 1) &^ (size - 1)
		if start+size > sectorSize {
			continue
		}
		var comm [32]byte
		rng.Read(comm[:])
		comm[31] &= 0x3f
		c, err := commcid.PieceCommitmentV1ToCID(comm[:])
		if err != nil {
			panic(err)
		}
		pieces = append(pieces, abi.PieceInfo{Size: abi.PaddedPieceSize(size), PieceCID: c})
		off = start + size
	}
	return pieces
}

// alignedFill returns the zero pieces that complete pieces to a full sector
// after the aligned layout, smallest first (as the chain's CommD syscall
// padded them before handing them to the proofs library).
func alignedFill(pieces []abi.PieceInfo, sectorSize uint64) []abi.PieceInfo {
	var off uint64
	for _, p := range pieces {
		s := uint64(p.Size)
		off = (off+s-1)&^(s-1) + s
	}
	var fill []abi.PieceInfo
	for gap := sectorSize - off; gap != 0; gap &= gap - 1 {
		size := abi.PaddedPieceSize(gap & -gap)
		fill = append(fill, abi.PieceInfo{Size: size, PieceCID: zerocomm.ZeroPieceCommitment(size.Unpadded())})
	}
	return fill
}

// TestUnsealedCIDAgainstIndependentTree compares random layouts with the
// go-commp-utils tree code (which is not goroutine-safe, so this test is
// serial) fed the same pieces plus the sector's zero fill.
func TestUnsealedCIDAgainstIndependentTree(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, sp := range []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1_1, abi.RegisteredSealProof_StackedDrg8MiBV1, abi.RegisteredSealProof_StackedDrg32GiBV1_1} {
		sectorSize := uint64(abi.SealProofInfos[sp].SectorSize)
		for i := 0; i < 200; i++ {
			pieces := randomPieces(rng, sectorSize)
			got, err := ComputeUnsealedSectorCID(sp, pieces)
			if err != nil {
				t.Fatalf("proof %d, pieces %v: %v", sp, pieces, err)
			}
			want, err := nonffi.GenerateUnsealedCID(sp, append(append([]abi.PieceInfo(nil), pieces...), alignedFill(pieces, sectorSize)...))
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			if got != want {
				t.Fatalf("proof %d, pieces %v: got %s, reference %s", sp, pieces, got, want)
			}
		}
	}
}

func TestUnsealedCIDEmptySector(t *testing.T) {
	got, err := ComputeUnsealedSectorCID(abi.RegisteredSealProof_StackedDrg32GiBV1, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := zerocomm.ZeroPieceCommitment(abi.PaddedPieceSize(32 << 30).Unpadded())
	if got != want {
		t.Fatalf("empty 32GiB sector: %s, want %s", got, want)
	}
}

func TestUnsealedCIDRejectsBadInput(t *testing.T) {
	good := zerocomm.ZeroPieceCommitment(abi.PaddedPieceSize(1024).Unpadded())
	sealed, err := commcid.ReplicaCommitmentV1ToCID(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	twoK := abi.RegisteredSealProof_StackedDrg2KiBV1
	cases := []struct {
		name   string
		proof  abi.RegisteredSealProof
		pieces []abi.PieceInfo
	}{
		{"unknown proof type", abi.RegisteredSealProof(99), nil},
		{"zero size", twoK, []abi.PieceInfo{{Size: 0, PieceCID: good}}},
		{"below minimum", twoK, []abi.PieceInfo{{Size: 64, PieceCID: good}}},
		{"not a power of two", twoK, []abi.PieceInfo{{Size: 384, PieceCID: good}}},
		{"larger than sector", twoK, []abi.PieceInfo{{Size: 4096, PieceCID: good}}},
		{"overflow after alignment", twoK, []abi.PieceInfo{{Size: 128, PieceCID: good}, {Size: 1024, PieceCID: good}, {Size: 1024, PieceCID: good}}},
		{"undefined cid", twoK, []abi.PieceInfo{{Size: 1024, PieceCID: cid.Undef}}},
		{"sealed commitment as piece", twoK, []abi.PieceInfo{{Size: 1024, PieceCID: sealed}}},
	}
	for _, c := range cases {
		if got, err := ComputeUnsealedSectorCID(c.proof, c.pieces); err == nil {
			t.Errorf("%s: accepted, returned %s", c.name, got)
		}
	}
}

// TestUnsealedCIDConcurrent recomputes corpus and random commitments from
// many goroutines at once; run with -race.
func TestUnsealedCIDConcurrent(t *testing.T) {
	type job struct {
		proof  abi.RegisteredSealProof
		pieces []abi.PieceInfo
		want   cid.Cid
	}
	var jobs []job
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 64; i++ {
		sp := abi.RegisteredSealProof_StackedDrg8MiBV1_1
		pieces := randomPieces(rng, 8<<20)
		want, err := ComputeUnsealedSectorCID(sp, pieces)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{sp, pieces, want})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range jobs {
				j := jobs[(i+g)%len(jobs)]
				got, err := ComputeUnsealedSectorCID(j.proof, j.pieces)
				if err != nil || got != j.want {
					errs <- fmt.Errorf("goroutine %d job %d: got %s (%v), want %s", g, i, got, err, j.want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
