package driver

import (
	"context"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// loadClass reads every vector of one class from the public corpus.
func loadClass(b *testing.B, class schema.Class) []*schema.Vector {
	b.Helper()
	files, err := schema.Walk(testcorpus.Shared(b))
	if err != nil {
		b.Fatal(err)
	}
	var out []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if v.Class == class {
			out = append(out, v)
		}
	}
	return out
}

// benchCorpus runs every variant of vs once per iteration, one at a time,
// and reports the median and 99th percentile time of one vector variant
// and the peak heap seen between runs, next to the usual ns/op (the whole
// corpus).
func benchCorpus(b *testing.B, vs []*schema.Vector) {
	d := New()
	ctx := context.Background()
	var durs []time.Duration
	var peak uint64
	var ms runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range vs {
			for _, vr := range v.Pre.Variants {
				start := time.Now()
				o := d.Run(ctx, v, vr)
				durs = append(durs, time.Since(start))
				if o.Status == Error {
					b.Fatalf("%s %s: %s", v.Path, vr.ID, o.Reason)
				}
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
		}
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "median-ns/run")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns/run")
	b.ReportMetric(float64(len(durs)/b.N), "runs/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkMessageCorpus replays every message-class vector variant of the
// public corpus.
func BenchmarkMessageCorpus(b *testing.B) {
	benchCorpus(b, loadClass(b, schema.ClassMessage))
}

// BenchmarkTipsetCorpus replays every tipset-class vector variant of the
// public corpus.
func BenchmarkTipsetCorpus(b *testing.B) {
	benchCorpus(b, loadClass(b, schema.ClassTipset))
}
