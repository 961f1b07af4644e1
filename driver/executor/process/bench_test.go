package process

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// BenchmarkMessageCorpus runs every message-class vector variant of the
// shared corpus once per iteration, GOMAXPROCS runs at a time as
// `tvx exec` does, in process and through the protocol (this test binary
// serving tvx's VM), so the two ns/op compare the protocol's cost:
//
//	go test -run '^$' -bench MessageCorpus -benchtime 3x ./driver/executor/process/
func BenchmarkMessageCorpus(b *testing.B) {
	files, err := schema.Walk(testcorpus.Shared(b))
	if err != nil {
		b.Fatal(err)
	}
	var vs []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if v.Class == schema.ClassMessage {
			vs = append(vs, v)
		}
	}
	b.Run("in-process", func(b *testing.B) { benchRuns(b, driver.New(), vs) })
	b.Run("protocol", func(b *testing.B) {
		b.Setenv("TVX_TEST_EXECUTOR", "serve")
		exe := selfExecutable(b)
		cl, err := NewClient(exe)
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		if _, err := cl.Implementation(context.Background()); err != nil {
			b.Fatal(err)
		}
		benchRuns(b, driver.New(driver.WithExecutor(cl)), vs)
	})
}

func benchRuns(b *testing.B, d *driver.Driver, vs []*schema.Vector) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		work := make(chan *schema.Vector)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for v := range work {
					for _, vr := range v.Pre.Variants {
						if o := d.Run(ctx, v, vr); o.Status == driver.Error {
							b.Errorf("%s %s: %s", v.Path, vr.ID, o.Reason)
						}
					}
				}
			}()
		}
		for _, v := range vs {
			work <- v
		}
		close(work)
		wg.Wait()
	}
}
