package driver

import (
	"context"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/fvmexec"
	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/fvm/wasmhost"
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
func benchCorpus(b *testing.B, vs []*schema.Vector, opts ...Option) {
	d := New(opts...)
	ctx := context.Background()
	var durs []time.Duration
	passed := 0
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
				if o.Status == Pass {
					passed++
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
	b.ReportMetric(float64(passed/b.N), "passed/op")
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

// fvmSets are the FVM-era extraction sets the FVM benchmarks run.
var fvmSets = []string{"nv17-shark", "nv18-hygge"}

// loadSet reads every vector of an FVM-era extraction set.
func loadSet(b *testing.B, name string) []*schema.Vector {
	b.Helper()
	files, err := schema.Walk(testcorpus.FVMSet(b, name))
	if err != nil {
		b.Fatal(err)
	}
	vs := make([]*schema.Vector, 0, len(files))
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// BenchmarkFVMSet replays every variant of each FVM-era extraction set
// with the default executor (compiled actor code cached in the process
// after the first iteration): median and p99 per vector variant, and how
// many of the runs pass (a set the FVM does not fully support yet still
// reports what runs).
func BenchmarkFVMSet(b *testing.B) {
	for _, name := range fvmSets {
		b.Run(name, func(b *testing.B) { benchCorpus(b, loadSet(b, name)) })
	}
}

// BenchmarkFVMFirstRun is the first run of each set in a fresh process: a
// new engine compiling actor code as the vectors first call it, with an
// empty on-disk compilation cache (cold) or one a previous engine filled
// (warm). The difference is what the cache in the user cache directory
// saves each later tvx process; BenchmarkCompileBundle in fvm/engine times
// compiling whole bundles.
func BenchmarkFVMFirstRun(b *testing.B) {
	for _, name := range fvmSets {
		vs := loadSet(b, name)
		once := func(b *testing.B, dir string) {
			engines := map[string]*wasmhost.Engine{}
			defer func() {
				for _, e := range engines {
					_ = e.Close(context.Background())
				}
			}()
			for _, era := range []string{"skyr", "hygge"} {
				e, err := wasmhost.New(context.Background(), era, wasmhost.Options{CacheDir: filepath.Join(dir, era)})
				if err != nil {
					b.Fatal(err)
				}
				engines[era] = e
			}
			x := fvmexec.Split{Legacy: legacy.New(), FVM: eraEngines{
				skyr:  fvmexec.New(fvmexec.WithEngine(engines["skyr"])),
				hygge: fvmexec.New(fvmexec.WithEngine(engines["hygge"])),
			}}
			d := New(WithExecutor(x))
			for _, v := range vs {
				for _, vr := range v.Pre.Variants {
					if o := d.Run(context.Background(), v, vr); o.Status == Error {
						b.Fatalf("%s %s: %s", v.Path, vr.ID, o.Reason)
					}
				}
			}
		}
		b.Run(name+"/cold", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				once(b, b.TempDir())
			}
		})
		b.Run(name+"/warm", func(b *testing.B) {
			dir := b.TempDir()
			once(b, dir)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				once(b, dir)
			}
		})
	}
}

// eraEngines sends nv18 requests to one FVM executor and earlier ones to
// another, each fixed to its era's engine.
type eraEngines struct{ skyr, hygge *fvmexec.Executor }

func (e eraEngines) pick(p executor.Params) *fvmexec.Executor {
	if p.NetworkVersion >= 18 {
		return e.hygge
	}
	return e.skyr
}

func (e eraEngines) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	return e.pick(req.Params).ApplyMessage(ctx, req)
}

func (e eraEngines) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	return e.pick(req.Params).ApplyTipset(ctx, req)
}
