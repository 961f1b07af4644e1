package corpus

import (
	"context"
	"sort"
	"strconv"
	"testing"

	"github.com/tvx-project/tvx/schema"
)

// The load benchmarks time what a run pays before the VM starts: opening
// the vector's blockstore (and checking its pre-state root), then releasing
// it. One op loads every vector of the public corpus once; vectors are
// decoded from JSON beforehand (BenchmarkLoadDecode times that part, which
// both sources share).

func benchVectors(b *testing.B) []*schema.Vector {
	b.Helper()
	return loadVectors(b, corpusFiles(b, 0))
}

func loadEach(b *testing.B, src Source, vectors []*schema.Vector) {
	ctx := context.Background()
	for _, v := range vectors {
		_, release, err := src.Open(ctx, v)
		if err != nil {
			b.Fatalf("%s: %v", v.Path, err)
		}
		release()
	}
}

func reportPerVector(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vector")
}

// BenchmarkLoadDecode reads and decodes every vector file (JSON, base64):
// the cost shared by every source.
func BenchmarkLoadDecode(b *testing.B) {
	files := corpusFiles(b, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if _, err := schema.LoadFile(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportPerVector(b, len(files))
}

// BenchmarkLoadMemory gunzips and indexes every vector's CAR in memory.
func BenchmarkLoadMemory(b *testing.B) {
	vectors := benchVectors(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loadEach(b, Memory{}, vectors)
	}
	reportPerVector(b, len(vectors))
}

// BenchmarkLoadStoreWarm acquires every vector's shard from a store that
// has indexed them all already, with the memory fallback off.
func BenchmarkLoadStoreWarm(b *testing.B) {
	benchStore(b, -1)
}

// BenchmarkLoadStoreDefault is BenchmarkLoadStoreWarm with the default
// memory fallback for small vectors.
func BenchmarkLoadStoreDefault(b *testing.B) {
	benchStore(b, 0)
}

func benchStore(b *testing.B, memoryBelow int64) {
	vectors := benchVectors(b)
	s, err := OpenStore(context.Background(), b.TempDir(), StoreOptions{MemoryBelow: memoryBelow})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	loadEach(b, s, vectors) // warm up: index everything
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loadEach(b, s, vectors)
	}
	reportPerVector(b, len(vectors))
}

// BenchmarkLoadBySize splits the corpus into quartiles by compressed CAR
// size and times both sources on each: where the store starts to pay off
// sets DefaultStoreMemoryBelow.
func BenchmarkLoadBySize(b *testing.B) {
	vectors := benchVectors(b)
	sort.Slice(vectors, func(i, j int) bool { return len(vectors[i].CAR) < len(vectors[j].CAR) })
	s, err := OpenStore(context.Background(), b.TempDir(), StoreOptions{MemoryBelow: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	loadEach(b, s, vectors)
	const parts = 4
	for q := 0; q < parts; q++ {
		part := vectors[q*len(vectors)/parts : (q+1)*len(vectors)/parts]
		name := "q" + string(rune('1'+q)) + "-upto-" + byteSize(len(part[len(part)-1].CAR))
		b.Run(name+"/memory", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				loadEach(b, Memory{}, part)
			}
			reportPerVector(b, len(part))
		})
		b.Run(name+"/store", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				loadEach(b, s, part)
			}
			reportPerVector(b, len(part))
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
