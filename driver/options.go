package driver

import (
	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/driver/fvmexec"
	"github.com/tvx-project/tvx/driver/legacy"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
)

// Logger receives diagnostic lines. *testing.T satisfies it, as does the
// CLI's reporter, so the conformance harness and `tvx exec` share every line
// of execution.
type Logger interface {
	Logf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Logf(string, ...any) {}

// Option configures a Driver.
type Option func(*config)

type config struct {
	logger           Logger
	source           corpus.Source
	includeIncorrect bool
	// stateDiff and color: see WithStateDiff.
	stateDiff, color bool
	// executor applies the vectors' messages and tipsets.
	executor executor.Executor
	// callbacks observe every tipset of tipset-class runs (callbacks.go).
	callbacks []Callback
	// protocol is the protocol table variants are looked up in: the one
	// WithProtocol gives (protocolSet), else each vector's network's
	// (VectorProtocol), else mainnet's.
	protocol    *protocol.Table
	protocolSet bool
	// policy, when set, overrides the actor policy of the vectors'
	// recorded network (WithActorPolicy).
	policy *networks.Policy
}

func defaults() config {
	return config{logger: nopLogger{}, source: corpus.Memory{}, executor: DefaultExecutor(), protocol: protocol.Mainnet()}
}

// WithProtocol makes the driver look every variant's network version up in
// t instead of the table of the vector's network (a test network, or a
// version being added).
func WithProtocol(t *protocol.Table) Option {
	return func(c *config) {
		if t != nil {
			c.protocol, c.protocolSet = t, true
		}
	}
}

// DefaultExecutor returns tvx's own VMs as one executor: the legacy VM for
// the protocol rows it runs, the FVM for the rest (fvmexec.Split). The
// driver, extraction and `tvx executor serve` all use it, so all three run
// the same code.
func DefaultExecutor() executor.Executor {
	return fvmexec.Split{Legacy: legacy.New(), FVM: fvmexec.New()}
}

// WithLogger sends the driver's diagnostics to l.
func WithLogger(l Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithSource makes the driver read vectors' blocks from s instead of
// decoding each vector's CAR in memory.
func WithSource(s corpus.Source) Option {
	return func(c *config) {
		if s != nil {
			c.source = s
		}
	}
}

// WithIncludeIncorrect runs vectors hinted incorrect (but not negated)
// instead of skipping them.
func WithIncludeIncorrect(on bool) Option {
	return func(c *config) { c.includeIncorrect = on }
}

// WithExecutor makes the driver run vectors on e instead of tvx's own VMs
// (DefaultExecutor).
func WithExecutor(e executor.Executor) Option {
	return func(c *config) {
		if e != nil {
			c.executor = e
		}
	}
}

// WithStateDiff attaches to the outcome of a run whose post-state root does
// not match a three-way state diff (expected vs actual, initial vs actual,
// initial vs expected) between the STATEDIFF marker lines, in
// Outcome.StateDiff. color adds
// terminal colours to the diff body (never to the marker lines).
func WithStateDiff(on, color bool) Option {
	return func(c *config) { c.stateDiff, c.color = on, color }
}
