package migration

import (
	"context"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/rt"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"

	nv4 "github.com/filecoin-project/specs-actors/v2/actors/migration/nv4"
	nv7 "github.com/filecoin-project/specs-actors/v2/actors/migration/nv7"
	nv10 "github.com/filecoin-project/specs-actors/v3/actors/migration/nv10"
	nv12 "github.com/filecoin-project/specs-actors/v4/actors/migration/nv12"
	nv13 "github.com/filecoin-project/specs-actors/v5/actors/migration/nv13"
	nv14 "github.com/filecoin-project/specs-actors/v6/actors/migration/nv14"
	nv15 "github.com/filecoin-project/specs-actors/v7/actors/migration/nv15"

	"github.com/tvx-project/tvx/protocol"
)

// step is one migration this package runs: the state-tree and actors
// versions it reads and writes, and the specs-actors function that turns
// an actors map into the next version's.
type step struct {
	inTree, outTree     protocol.StateTreeVersion
	inActors, outActors protocol.ActorsVersion
	run                 func(ctx context.Context, store ipldcbor.IpldStore, actors cid.Cid, prior abi.ChainEpoch, opts Options) (cid.Cid, error)
}

// Queue sizes of the worker pools: enough to keep the workers busy; they
// bound memory, not the result.
const (
	jobQueue    = 1000
	resultQueue = 100
)

// migrations are the migrations by the name protocol rows give them.
var migrations = map[string]step{
	"nv4": {inTree: 0, outTree: 1, inActors: 0, outActors: 2,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			return nv4.MigrateStateTree(ctx, s, a, prior, nv4.Config{MaxWorkers: o.workers()})
		}},
	// Calico's correction of the power actor's claims (actors v2 to v2),
	// which only mainnet ran.
	"nv7": {inTree: 1, outTree: 1, inActors: 2, outActors: 2,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, _ Options) (cid.Cid, error) {
			return nv7.MigrateStateTree(ctx, s, a, prior, nv7.Config{})
		}},
	"nv10": {inTree: 1, outTree: 2, inActors: 2, outActors: 3,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			cfg := nv10.Config{MaxWorkers: uint(o.workers()), JobQueueSize: jobQueue, ResultQueueSize: resultQueue}
			return nv10.MigrateStateTree(ctx, s, a, prior, cfg, logger(o), nv10.NewMemMigrationCache())
		}},
	"nv12": {inTree: 2, outTree: 3, inActors: 3, outActors: 4,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			cfg := nv12.Config{MaxWorkers: uint(o.workers()), JobQueueSize: jobQueue, ResultQueueSize: resultQueue}
			return nv12.MigrateStateTree(ctx, s, a, prior, cfg, logger(o), nv12.NewMemMigrationCache())
		}},
	"nv13": {inTree: 3, outTree: 4, inActors: 4, outActors: 5,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			cfg := nv13.Config{MaxWorkers: uint(o.workers()), JobQueueSize: jobQueue, ResultQueueSize: resultQueue}
			return nv13.MigrateStateTree(ctx, s, a, prior, cfg, logger(o), nv13.NewMemMigrationCache())
		}},
	"nv14": {inTree: 4, outTree: 4, inActors: 5, outActors: 6,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			cfg := nv14.Config{MaxWorkers: uint(o.workers()), JobQueueSize: jobQueue, ResultQueueSize: resultQueue}
			return nv14.MigrateStateTree(ctx, s, a, prior, cfg, logger(o), nv14.NewMemMigrationCache())
		}},
	"nv15": {inTree: 4, outTree: 4, inActors: 6, outActors: 7,
		run: func(ctx context.Context, s ipldcbor.IpldStore, a cid.Cid, prior abi.ChainEpoch, o Options) (cid.Cid, error) {
			cfg := nv15.Config{MaxWorkers: uint(o.workers()), JobQueueSize: jobQueue, ResultQueueSize: resultQueue}
			return nv15.MigrateStateTree(ctx, s, a, prior, cfg, logger(o), nv15.NewMemMigrationCache())
		}},
}

// Names lists the migrations this package runs, oldest first.
func Names() []string { return []string{"nv4", "nv7", "nv10", "nv12", "nv13", "nv14", "nv15"} }

// logf adapts Options.Logf to the migration packages' logger.
type logf func(format string, args ...any)

func (l logf) Log(level rt.LogLevel, msg string, args ...interface{}) {
	if l != nil && level >= rt.INFO {
		l(msg, args...)
	}
}

func logger(o Options) logf { return logf(o.Logf) }
