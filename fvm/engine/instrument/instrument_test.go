package instrument

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/gas"
)

func rulesFor(v int) Rules {
	era := gas.Skyr
	if v >= 10 {
		era = gas.Hygge
	}
	costs, _ := gas.Instructions(era)
	return Rules{Costs: costs, MaxStack: 2048}
}

// TestBundlesDeterministic instruments every vendored actor module twice:
// the output (the compilation cache's key) must not vary.
func TestBundlesDeterministic(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("-short or -race: instruments every actor module")
	}
	for _, v := range bundle.ActorsVersions() {
		b, err := bundle.Load(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range b.Actors {
			wasm, _ := b.Module(a.Code)
			out1, info, err := Instrument(wasm, rulesFor(v))
			if err != nil {
				t.Fatalf("v%d %s: %v", v, a.Name, err)
			}
			out2, _, _ := Instrument(wasm, rulesFor(v))
			if !bytes.Equal(out1, out2) {
				t.Errorf("v%d %s: instrumentation not deterministic", v, a.Name)
			}
			if !info.HasMemory || !info.MemoryExported || info.HasStart {
				t.Errorf("v%d %s: memory %v exported %v start %v; actors export a memory and have no start function", v, a.Name, info.HasMemory, info.MemoryExported, info.HasStart)
			}
		}
	}
}

func BenchmarkInstrumentBundle(b *testing.B) {
	for _, v := range bundle.ActorsVersions() {
		bun, err := bundle.Load(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("v%d", v), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, a := range bun.Actors {
					wasm, _ := bun.Module(a.Code)
					if _, _, err := Instrument(wasm, rulesFor(v)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
