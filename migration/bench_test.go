package migration_test

import (
	"context"
	"testing"

	"github.com/tvx-project/tvx/migration"
	"github.com/tvx-project/tvx/protocol"
)

// BenchmarkGenesisToNV15 runs all seven migrations on the real mainnet
// genesis state, a fresh copy each time, and reports actors migrated per
// second (each actor counted once per migration it goes through).
//
//	go test -run - -bench GenesisToNV15 ./migration
func BenchmarkGenesisToNV15(b *testing.B) {
	ctx := context.Background()
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[workers], func(b *testing.B) {
			migrated := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bs, root := genesis(b, "mainnet")
				b.StartTimer()
				res, err := migration.Run(ctx, bs, root, protocol.Mainnet(), 0, 15, migration.Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range res.Steps {
					migrated += s.Actors
				}
			}
			b.ReportMetric(float64(migrated)/b.Elapsed().Seconds(), "actors/s")
		})
	}
}
