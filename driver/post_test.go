package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/proof"

	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/syscalls"
)

// rejectingPoSt is the default verifier except that it rejects every
// window PoSt, as the chain's SNARK verifier rejected invalid ones.
type rejectingPoSt struct{ *syscalls.DefaultVerifier }

var errPoStRejected = errors.New("window PoSt rejected (test verifier)")

func (rejectingPoSt) VerifyWindowPoSt(proof.WindowPoStVerifyInfo) error { return errPoStRejected }

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
}

func (l *lines) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

// TestWindowPoStExit16VectorsHingeOnProofCheck shows that the six
// SubmitWindowedPoSt vectors expecting exit 16 are decided by the proof
// check: accepted by the default policy, execution goes on past the check
// and needs state the vector does not carry (the chain stopped at the
// check); rejected, every receipt and the post-state match.
func TestWindowPoStExit16VectorsHingeOnProofCheck(t *testing.T) {
	dir := filepath.Join(sharedCorpus(t), "extracted/0001-initial-extraction/fil_1_storageminer/SubmitWindowedPoSt/16")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not present: %v", err)
	}
	for _, n := range []int{3, 4, 5, 7, 8, 9} {
		matches, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("*-16-%d.json", n)))
		if err != nil || len(matches) != 1 {
			t.Fatalf("vector -16-%d: %v %v", n, matches, err)
		}
		v, err := schema.LoadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Post.Receipts[0].ExitCode; got != 16 {
			t.Fatalf("%s: expected receipt exit 16, vector says %d", matches[0], got)
		}
		for _, variant := range v.Pre.Variants {
			var log lines
			out := New(WithLogger(&log)).Run(context.Background(), v, variant)
			if out.Status != Fail || !strings.Contains(out.Reason, "not found") {
				t.Errorf("-16-%d %s with policy verifier: want a failure on missing state, got %s: %s", n, variant.ID, out.Status, out.Reason)
			}
			if !strings.Contains(log.all(), "syscall VerifyPoSt") || !strings.Contains(log.all(), "result accepted") {
				t.Errorf("-16-%d %s: no accepted VerifyPoSt in the log:\n%s", n, variant.ID, log.all())
			}
			if out.AssumedProofs == 0 {
				t.Errorf("-16-%d %s: policy acceptance not counted", n, variant.ID)
			}
			t.Logf("-16-%d %s policy verifier: %s; log: %s", n, variant.ID, out.Reason, log.all())

			rej := New(WithExecutor(legacy.New(legacy.WithProofVerifier(func() syscalls.ProofVerifier {
				return rejectingPoSt{syscalls.NewDefaultVerifier()}
			})))).Run(context.Background(), v, variant)
			if rej.Status != Pass {
				t.Errorf("-16-%d %s with PoSt rejected: want pass, got %s: %s\n%s", n, variant.ID, rej.Status, rej.Reason, rej.Detail)
			}
		}
	}
}
