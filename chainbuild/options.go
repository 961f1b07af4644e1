package chainbuild

import (
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/protocol"
)

// Option configures Build.
type Option func(*config)

type config struct {
	exec     executor.Executor
	log      executor.Logger
	protocol *protocol.Table
}

// WithProtocol builds the chain under table (the protocol of the vector's
// network, or a test network's) instead of mainnet's: a vector of the
// table's network whose first tipset ran its version there follows the
// table's schedule, each tipset under its epoch's version, migrating the
// state at the upgrades it crosses.
func WithProtocol(table *protocol.Table) Option {
	return func(c *config) {
		if table != nil {
			c.protocol = table
		}
	}
}

// WithExecutor runs the vector's tipsets on x instead of tvx's own VMs
// (driver.DefaultExecutor), so the chain records x's results.
func WithExecutor(x executor.Executor) Option {
	return func(c *config) {
		if x != nil {
			c.exec = x
		}
	}
}

// WithLogger sends the executor's diagnostics (actor logs, proof-policy
// notes) to l; by default they are discarded.
func WithLogger(l executor.Logger) Option { return func(c *config) { c.log = l } }
