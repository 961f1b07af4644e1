package driver

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// TestManyDriversAtOnce runs the bundled sample on several independently
// configured drivers at the same time (the point is -race: drivers share no
// mutable state) and checks that every driver reaches the same outcomes.
func TestManyDriversAtOnce(t *testing.T) {
	files, err := schema.Walk(testcorpus.Sample(t))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vectors = append(vectors, v)
	}
	drivers := []*Driver{
		New(),
		New(WithStateDiff(true, false)),
		New(WithIncludeIncorrect(true)),
		New(WithLogger(t), WithCallbacks(CallbackFunc("noop", func(context.Context, *TipsetEvent) error { return nil }))),
	}
	results := make([][]string, len(drivers))
	var wg sync.WaitGroup
	for i, d := range drivers {
		wg.Add(1)
		go func(i int, d *Driver) {
			defer wg.Done()
			for _, v := range vectors {
				for _, vr := range v.Pre.Variants {
					o := d.Run(context.Background(), v, vr)
					results[i] = append(results[i], fmt.Sprintf("%s %s %s", v.Path, vr.ID, o.Status))
				}
			}
		}(i, d)
	}
	wg.Wait()
	if len(results[0]) == 0 {
		t.Fatal("no runs")
	}
	for i := 1; i < len(results); i++ {
		if fmt.Sprint(results[i]) != fmt.Sprint(results[0]) {
			t.Fatalf("driver %d disagrees with driver 0:\n%v\n%v", i, results[i], results[0])
		}
	}
	for _, r := range results[0] {
		if len(r) < 4 || r[len(r)-4:] != "pass" {
			t.Errorf("sample run did not pass: %s", r)
		}
	}
}
