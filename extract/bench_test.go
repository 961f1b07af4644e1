package extract

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filecoin-project/go-state-types/big"

	"github.com/tvx-project/tvx/chain"
)

// BenchmarkExtractRange extracts a 120-tipset range (null rounds, one or
// two blocks and several messages per tipset) from a chain CAR our VM
// built, squashed and unsquashed, reporting time per tipset and the peak
// heap seen while extracting.
func BenchmarkExtractRange(b *testing.B) {
	const n = 120
	built, car := genChain(b, n)
	ctx := context.Background()
	for _, squash := range []bool{true, false} {
		name := "unsquashed"
		if squash {
			name = "squashed"
		}
		b.Run(name, func(b *testing.B) {
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				t := time.NewTicker(20 * time.Millisecond)
				defer t.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				src := openCAR(b, car, chain.WithCirculatingSupply(big.Zero()))
				e := New(src, WithTempDir(b.TempDir()))
				res, err := e.Tipsets(ctx, TipsetRequest{Tipsets: built.Tipsets, Squash: squash})
				if err != nil {
					b.Fatal(err)
				}
				if want := 1; squash && len(res) != want || !squash && len(res) != n {
					b.Fatalf("%d vectors", len(res))
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*n), "ms/tipset")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
