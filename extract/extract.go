// Package extract turns chain data into test vectors: one message, one
// tipset, or a range of tipsets as individual vectors or one squashed
// vector, replayed on tvx's VM and checked against the chain.
//
// Every extraction replays on a blockstore that reads through to the
// chain.Source and records what the VM touched, with a randomness source
// that records the chain's randomness digests. The replay's results are
// checked against the chain (a message's receipt; a tipset's state root and
// receipts root, as the next tipset's header commits to them), and a
// mismatch is an error unless the request says to ignore it. Vectors are
// deterministic: the same chain data gives byte-identical output, whichever
// Source served it.
//
// Package chainbuild goes the other way: it runs a tipset vector and
// produces a chain that extraction can read back, which is how extraction
// is tested on real vector data.
package extract

import (
	"context"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/protocol"
	"os"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/fvm/bundle"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// Version is written into every vector's _meta.gen as the generator's
// version. It changes only when the vectors tvx writes change, so that
// regenerating a committed vector with a newer tvx shows no drift.
const Version = "0.1.0"

// Logger receives progress lines. *testing.T satisfies it.
type Logger interface {
	Logf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Logf(string, ...any) {}

// Option configures an Extractor.
type Option func(*config)

type config struct {
	log         Logger
	version     string
	network     string
	tempDir     string
	beaconRound func(abi.ChainEpoch) uint64
	progress    func(done, total int)
	selfCheck   bool
	chaos       bool
	policy      *networks.Policy // nil: the named network's, else mainnet's
	exec        executor.Executor
	protocol    *protocol.Table // nil: mainnet's
}

// WithLogger sends progress lines to l.
func WithLogger(l Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithGeneratorVersion overrides the version recorded in _meta.gen.
func WithGeneratorVersion(v string) Option { return func(c *config) { c.version = v } }

// WithNetworkName records the chain's network name ("mainnet", ...) in
// _meta.gen; a chain CAR does not know it.
func WithNetworkName(name string) Option { return func(c *config) { c.network = name } }

// WithTempDir places the temporary CAR files vectors are assembled in.
func WithTempDir(dir string) Option { return func(c *config) { c.tempDir = dir } }

// WithBeaconRound sets the epoch-to-drand-round map used to find beacon
// digests from network version 14 (default: the source's, else mainnet's).
func WithBeaconRound(f func(abi.ChainEpoch) uint64) Option {
	return func(c *config) { c.beaconRound = f }
}

// WithProgress calls f after each tipset (or message) replayed, with the
// number done and the total.
func WithProgress(f func(done, total int)) Option { return func(c *config) { c.progress = f } }

// WithSelfCheck makes every vector run through the driver before it is
// returned; a vector that does not pass is an error. It costs one more
// replay from the vector's own CAR, and proves the CAR holds every block
// the replay needs.
func WithSelfCheck(on bool) Option { return func(c *config) { c.selfCheck = on } }

// WithChaosActor registers the chaos actor for replays and marks vectors
// as needing it: for chains built from vectors that use it.
func WithChaosActor(on bool) Option { return func(c *config) { c.chaos = on } }

// WithExecutor replays on x instead of tvx's VMs (driver.DefaultExecutor), so the
// vectors record x's postconditions.
func WithExecutor(x executor.Executor) Option {
	return func(c *config) {
		if x != nil {
			c.exec = x
		}
	}
}

// Extractor extracts vectors from one chain source. It holds only its
// configuration and may be used for several extractions, one at a time or
// concurrently.
type Extractor struct {
	src chain.Source
	cfg config
	// bundles names FVM-era actor code (loaded when first asked).
	bundles *bundle.Set
}

// New returns an Extractor reading src.
func New(src chain.Source, opts ...Option) *Extractor {
	cfg := config{log: nopLogger{}, version: Version, tempDir: os.TempDir(), exec: driver.DefaultExecutor()}
	for _, o := range opts {
		o(&cfg)
	}
	return &Extractor{src: src, cfg: cfg, bundles: bundle.NewSet()}
}

// ErrGenesis is the answer to extracting the genesis tipset: genesis is
// created with its state, not executed on a parent (the block it names as
// parent is a fixed pre-genesis ticket block, not a tipset), so there is no
// execution to record and no vector of it exists. Its state is read with
// `tvx chain info` or `tvx diff --car`.
var ErrGenesis = errors.New("the genesis tipset is created, not executed: no vector of it exists (extract from height 1 on)")

// ErrSanity marks an extraction whose replay disagrees with the chain.
var ErrSanity = errors.New("replay disagrees with the chain")

// params are the executor parameters of a replay: the chain's network
// version (its epoch-keyed rules applying: the messages are on chain) and
// circulating supply, its network and actor policy (held by the caller:
// holdPolicy), randomness drawn from the chain, the chaos actor when
// the chain needs it, and the extractor's logger, the same for every replay.
func (e *Extractor) params(bs *store, nv network.Version, cs abi.TokenAmount, rnd executor.Randomness) executor.Params {
	return executor.Params{Store: bs, NetworkVersion: nv, Protocol: e.cfg.protocol, OnChain: true, Network: e.cfg.network, Policy: e.actorPolicy(),
		CircSupply: cs, Rand: rnd, ChaosActor: e.cfg.chaos, Logger: e.cfg.log}
}

// WithProtocol replays under table, the protocol of the chain's network,
// instead of mainnet's (the self-check too); the vectors record the
// network as the table names it unless WithNetworkName says otherwise.
func WithProtocol(table *protocol.Table) Option {
	return func(c *config) {
		c.protocol = table
		if c.network == "" && table != nil {
			c.network = table.Network()
		}
	}
}

// table is the protocol table replays run under.
func (e *Extractor) table() *protocol.Table {
	if e.cfg.protocol != nil {
		return e.cfg.protocol
	}
	return protocol.Mainnet()
}

// circSupply is the circulating supply on top of key: the source's answer,
// or, when the source cannot say (a chain CAR without an override), none,
// in which case the replay uses the runner's default for the class and the
// vector leaves the field out so the runner does the same.
func (e *Extractor) circSupply(ctx context.Context, key chain.TipSetKey, class schema.Class) (abi.TokenAmount, bool, error) {
	cs, err := e.src.CirculatingSupply(ctx, key)
	if err == nil {
		return cs, true, nil
	}
	if !errors.Is(err, chain.ErrUnavailable) {
		return abi.TokenAmount{}, false, err
	}
	e.cfg.log.Logf("circulating supply unknown (%v); the vector leaves it to the runner's default", err)
	if class == schema.ClassTipset {
		return big.Zero(), false, nil
	}
	return vm.TotalFilecoin(), false, nil
}

// codename names a variant: the upgrade in force at epoch when its network
// version is nv, else the first upgrade that introduced nv.
func codename(nv network.Version, epoch abi.ChainEpoch) string {
	t := protocol.Mainnet()
	if u := t.AtEpoch(epoch); u.Version == nv {
		return u.Codename
	}
	if u, ok := t.Activation(nv); ok {
		return u.Codename
	}
	return fmt.Sprintf("nv%d", nv)
}

func (e *Extractor) gen(extra ...string) []schema.GenerationData {
	out := []schema.GenerationData{{Source: "tvx", Version: e.cfg.version}}
	if e.cfg.network != "" {
		out = append(out, schema.GenerationData{Source: "network:" + e.cfg.network})
	}
	// A network tvx has no row for records its schedule and policy, so
	// the vector replays under its own rules wherever it goes.
	if _, known := networks.ByName(e.cfg.network); !known {
		if e.cfg.protocol != nil && e.cfg.network != "" && e.cfg.protocol.Network() == e.cfg.network {
			out = append(out, schema.GenerationData{Source: networks.ScheduleRecord(e.cfg.protocol)})
		}
		if e.cfg.policy != nil {
			out = append(out, schema.GenerationData{Source: e.cfg.policy.Record()})
		}
	}
	for _, s := range extra {
		out = append(out, schema.GenerationData{Source: s})
	}
	return out
}

func (e *Extractor) selector() schema.Selector {
	if e.cfg.chaos {
		return schema.Selector{"chaos_actor": "true"}
	}
	return nil
}

// check runs a finished vector through the driver when self-checking.
func (e *Extractor) check(ctx context.Context, v *schema.Vector) error {
	if !e.cfg.selfCheck {
		return nil
	}
	// Round-trip through JSON so the check sees exactly what a file holds.
	b, err := schema.Marshal(v)
	if err != nil {
		return err
	}
	rv, err := schema.Decode(v.ID(), b)
	if err != nil {
		return fmt.Errorf("self-check: the written vector does not decode: %w", err)
	}
	// The vector must pass on the implementation that produced it, under
	// the same actor policy.
	dopts := []driver.Option{driver.WithLogger(e.cfg.log), driver.WithExecutor(e.cfg.exec), driver.WithProtocol(e.cfg.protocol)}
	if p := e.actorPolicy(); p != nil {
		dopts = append(dopts, driver.WithActorPolicy(*p))
	}
	d := driver.New(dopts...)
	for _, variant := range rv.Pre.Variants {
		out := d.Run(ctx, rv, variant)
		if out.Status != driver.Pass {
			return fmt.Errorf("self-check: vector %s variant %s: %s: %s\n%s", v.ID(), variant.ID, out.Status, out.Reason, out.Detail)
		}
	}
	return nil
}
