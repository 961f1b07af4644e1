package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flipped bytes in a shard's CAR or index pass the start-up check (sizes
// are unchanged) but are caught when the shard is first served: the shard
// is repaired from the vector, a "corrupt store" line says so, and every
// block served is the vector's.
func TestCorruptShardRecoveredFromVector(t *testing.T) {
	ctx := context.Background()
	v := loadSample(t)
	for _, part := range []string{"car", "index"} {
		t.Run(part, func(t *testing.T) {
			dir := t.TempDir()
			st, err := OpenStore(ctx, dir, StoreOptions{MemoryBelow: -1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Add(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			path := filepath.Join(dir, carsDirName, carFileName(res.Key))
			if part == "index" {
				path = filepath.Join(dir, indexDirName, res.Key+indexSuffix)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := len(data) / 3; i < len(data)/3+8; i++ {
				data[i] ^= 0x5a
			}
			os.WriteFile(path, data, 0o644)

			log := &logRecorder{tb: t}
			st, err = OpenStore(ctx, dir, StoreOptions{MemoryBelow: -1, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			bs, release, err := st.Open(ctx, v)
			if err != nil {
				t.Fatalf("open after corrupting the %s: %v", part, err)
			}
			defer release()
			want, _, err := Memory{}.Open(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			keys, _ := want.AllKeysChan(ctx)
			for c := range keys {
				blk, err := bs.Get(ctx, c)
				if err != nil {
					t.Fatalf("block %s: %v", c, err)
				}
				if err := checkBlock(c, blk.RawData()); err != nil {
					t.Fatalf("store serves a corrupt block: %v", err)
				}
			}
			if line := log.last("corrupt store: shard " + res.Key); !strings.Contains(line, "recovered from the vector") {
				t.Errorf("no corrupt-store line; log:\n%s", strings.Join(log.all(), "\n"))
			}
			car, _ := os.ReadFile(filepath.Join(dir, carsDirName, carFileName(res.Key)))
			if sum := sha256.Sum256(car); hex.EncodeToString(sum[:]) != res.Key {
				t.Error("the shard's CAR was not repaired")
			}
		})
	}
}
