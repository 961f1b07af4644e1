package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/fvm/gas"
)

// eraOf is the gas era each vendored bundle runs under.
func eraOf(actorsVersion int) gas.Era {
	if actorsVersion >= 10 {
		return gas.Hygge
	}
	return gas.Skyr
}

func engineFor(tb testing.TB, era gas.Era, dir string) *Engine {
	tb.Helper()
	costs, _ := gas.Instructions(era)
	cfg := Config{Instructions: costs, MaxWasmStack: 2048, CacheDir: dir, NoDiskCache: dir == ""}
	e, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestCompileBundles instruments and compiles every actor module of every
// vendored builtin-actors bundle under its era's rules.
func TestCompileBundles(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("-short or -race: compiles every actor module")
	}
	for _, v := range bundle.ActorsVersions() {
		b, err := bundle.Load(v)
		if err != nil {
			t.Fatal(err)
		}
		e := engineFor(t, eraOf(v), "")
		for _, a := range b.Actors {
			wasm, ok := b.Module(a.Code)
			if !ok {
				t.Fatalf("v%d %s: no module", v, a.Name)
			}
			if _, err := e.Compile(context.Background(), a.Code, wasm); err != nil {
				t.Errorf("v%d %s: %v", v, a.Name, err)
			}
		}
		_ = e.Close(context.Background())
	}
}

// BenchmarkCompileBundle measures compiling a whole bundle: cold (an empty
// on-disk cache each time) and warm (the cache filled by a first run).
func BenchmarkCompileBundle(b *testing.B) {
	for _, v := range bundle.ActorsVersions() {
		bun, err := bundle.Load(v)
		if err != nil {
			b.Fatal(err)
		}
		compileAll := func(b *testing.B, dir string) {
			e := engineFor(b, eraOf(v), dir)
			defer e.Close(context.Background())
			for _, a := range bun.Actors {
				wasm, _ := bun.Module(a.Code)
				if _, err := e.Compile(context.Background(), a.Code, wasm); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("v%d/cold", v), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				compileAll(b, b.TempDir())
			}
		})
		b.Run(fmt.Sprintf("v%d/warm", v), func(b *testing.B) {
			dir := b.TempDir()
			compileAll(b, dir)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				compileAll(b, dir)
			}
		})
	}
}
