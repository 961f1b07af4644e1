package randomness

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"golang.org/x/crypto/blake2b"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// corpusDir is the public test-vector corpus, kept beside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	return testcorpus.Shared(t)
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q: %v", s, err)
	}
	return b
}

type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// TestDigestFormMatchesRecordedDraws replays digest-form corpus vectors and
// checks the derived draws against the final values the same vectors carried
// before the corpus moved to the digest form (filecoin-project/test-vectors
// commit d5ff34e, "drop DST and entropy from randomness vectors, return
// digest"). Those values came from a Lotus node, so they check the derivation
// independently of this package.
func TestDigestFormMatchesRecordedDraws(t *testing.T) {
	dir := corpusDir(t)
	cases := []struct {
		file    string
		kind    string
		dst     crypto.DomainSeparationTag
		epoch   abi.ChainEpoch
		entropy string // base64
		want    string // base64, the old record's value
	}{
		{"extracted/0001-initial-extraction/fil_1_storageminer/ProveCommitSector/Ok/ext-0001-fil_1_storageminer-ProveCommitSector-Ok-1.json",
			"chain", crypto.DomainSeparationTag_SealRandomness, 67344, "QwCBUA==", "iltyxCSuhKQCuC3pmi3QEV5Ryx9jVrhXSFtmnU3t/ok="},
		{"extracted/0001-initial-extraction/fil_1_storageminer/ProveCommitSector/Ok/ext-0001-fil_1_storageminer-ProveCommitSector-Ok-1.json",
			"beacon", crypto.DomainSeparationTag_InteractiveSealChallengeSeed, 68954, "QwCBUA==", "R2pCJmpRVldv7MeOQnTFf4uRBGIuOOe8rG8nn53G4Co="},
		{"extracted/0001-initial-extraction/fil_1_storageminer/SubmitWindowedPoSt/16/ext-0001-fil_1_storageminer-SubmitWindowedPoSt-16-3.json",
			"chain", crypto.DomainSeparationTag_PoStChainCommit, 67399, "", "iRNDZHXW7S90TMKnmYgOZ6NY42zGGEcvYda4JaIZ5rw="},
		{"extracted/0004-coverage-boost/fil_1_storagemarket/PublishStorageDeals/SysErrOutOfGas/ext-0004-fil_1_storagemarket-PublishStorageDeals-SysErrOutOfGas-1.json",
			"beacon", crypto.DomainSeparationTag_MarketDealCronSeed, 54558,
			"i9gqWCgAAYHiA5IgIGK+WSkOwQD4jdzdcvByTFX9rjTMgRUxRGv5Sc9LXCc8GgACAAD0QgBwQwCFUngzoWVwY2lkc4HYKlgnAAFVoOQCIJl6labV+zHTlOXdUFvmaf5915ylHpW73ZgB7Xi5JC9XGepiGgALo29DAO5rQEA=",
			"hmJSG4mKuAHbueAior6lPC150fDBAqG5ODqg6Fs3+AA="},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file)+"/"+c.kind, func(t *testing.T) {
			v, err := schema.LoadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range v.Randomness {
				if !r.Digest {
					t.Fatalf("expected digest-form records only, got %+v", r)
				}
			}
			log := &recLogger{}
			src, err := New(v.Randomness, WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			get := src.ChainRandomness
			if c.kind == "beacon" {
				get = src.BeaconRandomness
			}
			got, err := get(context.Background(), c.dst, c.epoch, b64(t, c.entropy))
			if err != nil {
				t.Fatal(err)
			}
			if want := b64(t, c.want); !bytes.Equal(got, want) {
				t.Fatalf("draw = %x, want %x", got, want)
			}
			if n := src.Fallbacks(); n != 0 || len(log.lines) != 0 {
				t.Fatalf("unexpected fallbacks: %d %q", n, log.lines)
			}
		})
	}
}

// TestWindowPoStRecordShowsInPlaceMasking documents why draws are returned as
// fresh slices: the older form of this vector recorded the window PoSt
// challenge after the verifier had cleared the top two bits of its last byte
// in place. The derived draw equals the recorded value except for those bits.
func TestWindowPoStRecordShowsInPlaceMasking(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(corpusDir(t),
		"extracted/0001-initial-extraction/fil_1_storageminer/SubmitWindowedPoSt/Ok/ext-0001-fil_1_storageminer-SubmitWindowedPoSt-Ok-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(v.Randomness)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := src.BeaconRandomness(ctx, crypto.DomainSeparationTag_WindowedPoStChallengeSeed, 68956, b64(t, "QwDZCQ=="))
	if err != nil {
		t.Fatal(err)
	}
	recorded := b64(t, "BDnS6zYS4o8m5gfXRsMWU2/gmsx2fJMAog56iJ165Rk=")
	if bytes.Equal(got, recorded) {
		t.Fatal("derived draw unexpectedly equals the masked recording")
	}
	masked := bytes.Clone(got)
	masked[31] &= 0x3f
	if !bytes.Equal(masked, recorded) {
		t.Fatalf("masked draw = %x, want recorded %x", masked, recorded)
	}

	// A caller masking its copy must not change the next answer.
	got[31] &= 0x3f
	again, err := src.BeaconRandomness(ctx, crypto.DomainSeparationTag_WindowedPoStChallengeSeed, 68956, b64(t, "QwDZCQ=="))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again, got) {
		t.Fatal("second draw saw the first caller's in-place change")
	}

	chain, err := src.ChainRandomness(ctx, crypto.DomainSeparationTag_PoStChainCommit, 68976, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := b64(t, "+gbAkghHZkKAze71SGCxch1IG9JrFONLZMdZn5UEpJg="); !bytes.Equal(chain, want) {
		t.Fatalf("chain draw = %x, want %x", chain, want)
	}
}

// TestDrawFromDigestLayout checks the hashed layout byte by byte against a
// hash built independently from hand-written big-endian fields.
func TestDrawFromDigestLayout(t *testing.T) {
	var digest [DigestSize]byte
	for i := range digest {
		digest[i] = byte(i + 1)
	}
	entropy := []byte{0xde, 0xad, 0xbe, 0xef}
	var in []byte
	in = append(in, 0, 0, 0, 0, 0, 0, 0, 7) // DST 7
	in = append(in, digest[:]...)
	in = append(in, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe) // epoch -2
	in = append(in, entropy...)
	want := blake2b.Sum256(in)

	got := DrawFromDigest(digest, crypto.DomainSeparationTag_WindowedPoStDeadlineAssignment, -2, entropy)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("DrawFromDigest = %x, want %x", got, want)
	}
	// Each input must matter.
	variants := [][]byte{
		DrawFromDigest(digest, crypto.DomainSeparationTag_SealRandomness, -2, entropy),
		DrawFromDigest(digest, crypto.DomainSeparationTag_WindowedPoStDeadlineAssignment, 2, entropy),
		DrawFromDigest(digest, crypto.DomainSeparationTag_WindowedPoStDeadlineAssignment, -2, entropy[:3]),
		DrawFromDigest([DigestSize]byte{}, crypto.DomainSeparationTag_WindowedPoStDeadlineAssignment, -2, entropy),
	}
	for i, v := range variants {
		if bytes.Equal(v, got) {
			t.Errorf("variant %d did not change the draw", i)
		}
	}
}

func TestExactFormAndFallback(t *testing.T) {
	ent := []byte("entropy")
	records := []schema.RandomnessRecord{
		{Kind: "chain", DST: 5, Epoch: 100, Entropy: ent, Return: []byte("chain-5-100")},
		{Kind: "chain", DST: 5, Epoch: 100, Entropy: ent, Return: []byte("shadowed duplicate")},
		{Kind: "beacon", DST: 5, Epoch: 100, Entropy: ent, Return: []byte("beacon-5-100")},
		{Kind: "chain", DST: 6, Epoch: 100, Return: []byte("chain-6-100-empty")},
	}
	log := &recLogger{}
	src, err := New(records, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	// The Source owns copies: changing the caller's records changes nothing.
	records[0].Return[0] = 'X'
	ent[0] = 'X'

	ctx := context.Background()
	check := func(kind string, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, want string) {
		t.Helper()
		get := src.ChainRandomness
		if kind == "beacon" {
			get = src.BeaconRandomness
		}
		got, err := get(ctx, dst, epoch, entropy)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s dst=%d epoch=%d entropy=%q: got %q, want %q", kind, dst, epoch, entropy, got, want)
		}
	}
	check("chain", 5, 100, []byte("entropy"), "chain-5-100")
	check("beacon", 5, 100, []byte("entropy"), "beacon-5-100")
	check("chain", 6, 100, nil, "chain-6-100-empty")
	check("chain", 6, 100, []byte{}, "chain-6-100-empty")
	if src.Fallbacks() != 0 {
		t.Fatalf("fallbacks = %d before any miss", src.Fallbacks())
	}

	// Each field of the rule must match.
	check("chain", 5, 100, []byte("entropX"), Fallback)
	check("chain", 4, 100, []byte("entropy"), Fallback)
	check("chain", 5, 101, []byte("entropy"), Fallback)
	check("beacon", 6, 100, nil, Fallback)
	if n := src.Fallbacks(); n != 4 {
		t.Fatalf("fallbacks = %d, want 4", n)
	}
	if len(log.lines) != 4 || !strings.Contains(log.lines[2], "chain draw (dst 5, epoch 101") {
		t.Fatalf("fallback log = %q", log.lines)
	}
}

func TestExactRecordBeatsDigest(t *testing.T) {
	digest := bytes.Repeat([]byte{0xab}, DigestSize)
	src, err := New([]schema.RandomnessRecord{
		{Kind: "chain", Digest: true, Epoch: 10, Return: digest},
		{Kind: "chain", DST: 2, Epoch: 10, Entropy: []byte{1}, Return: []byte("exact")},
		{Kind: "chain", Digest: true, Epoch: 10, Return: bytes.Repeat([]byte{0xcd}, DigestSize)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := src.ChainRandomness(ctx, 2, 10, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "exact" {
		t.Fatalf("got %q, want the exact record", got)
	}
	got, err = src.ChainRandomness(ctx, 3, 10, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if want := DrawFromDigest([DigestSize]byte(digest), 3, 10, []byte{1}); !bytes.Equal(got, want) {
		t.Fatalf("got %x, want the draw from the first digest %x", got, want)
	}
	// A digest is per kind.
	got, err = src.BeaconRandomness(ctx, 3, 10, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Fallback {
		t.Fatalf("beacon draw = %q, want fallback", got)
	}
}

func TestNewRejectsBadRecords(t *testing.T) {
	for name, r := range map[string]schema.RandomnessRecord{
		"unknown kind":     {Kind: "ticket", Digest: true, Epoch: 1, Return: make([]byte, 32)},
		"short digest":     {Kind: "chain", Digest: true, Epoch: 1, Return: make([]byte, 31)},
		"long digest":      {Kind: "beacon", Digest: true, Epoch: 1, Return: make([]byte, 33)},
		"empty kind exact": {Kind: "", DST: 1, Epoch: 1, Return: []byte("x")},
	} {
		if _, err := New([]schema.RandomnessRecord{r}); err == nil {
			t.Errorf("%s: New accepted %+v", name, r)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	src, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.ChainRandomness(ctx, 1, 1, nil); err == nil {
		t.Fatal("draw succeeded on a canceled context")
	}
	if src.Fallbacks() != 0 {
		t.Fatal("a refused draw counted as a fallback")
	}
}

// TestCorpusRecordsLoad builds a Source for every corpus vector that carries
// randomness and checks each digest answers a draw without fallback.
func TestCorpusRecordsLoad(t *testing.T) {
	files, err := schema.Walk(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	withRand := 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(v.Randomness) == 0 {
			continue
		}
		withRand++
		src, err := New(v.Randomness)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range v.Randomness {
			get := src.ChainRandomness
			if r.Kind == schema.RandomnessBeacon {
				get = src.BeaconRandomness
			}
			got, err := get(context.Background(), crypto.DomainSeparationTag_SealRandomness, abi.ChainEpoch(r.Epoch), []byte("e"))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(got) != DigestSize || string(got) == Fallback {
				t.Fatalf("%s: %s epoch %d: draw %q", f, r.Kind, r.Epoch, got)
			}
		}
		if src.Fallbacks() != 0 {
			t.Fatalf("%s: %d fallbacks", f, src.Fallbacks())
		}
	}
	if withRand != 73 {
		t.Fatalf("found %d vectors with randomness, want 73", withRand)
	}
}

func TestConcurrentDraws(t *testing.T) {
	digest := bytes.Repeat([]byte{7}, DigestSize)
	src, err := New([]schema.RandomnessRecord{{Kind: "beacon", Digest: true, Epoch: 3, Return: digest}})
	if err != nil {
		t.Fatal(err)
	}
	want := DrawFromDigest([DigestSize]byte(digest), 4, 3, []byte("x"))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, err := src.BeaconRandomness(context.Background(), 4, 3, []byte("x"))
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("draw = %x, %v", got, err)
					return
				}
				got[0] ^= 0xff // callers may scribble on their copy
				if _, err := src.ChainRandomness(context.Background(), 4, 3, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := src.Fallbacks(); n != 16*200 {
		t.Fatalf("fallbacks = %d, want %d", n, 16*200)
	}
}

// vmRand mirrors the VM's randomness interface from the shared contracts; the
// assertion below keeps Source satisfying it without importing vm.
type vmRand interface {
	ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
	BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error)
}

var _ vmRand = (*Source)(nil)
