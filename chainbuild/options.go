package chainbuild

import "github.com/tvx-project/tvx/driver/executor"

// Option configures Build.
type Option func(*config)

type config struct {
	exec executor.Executor
	log  executor.Logger
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
