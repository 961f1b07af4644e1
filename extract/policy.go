package extract

import (
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/vm/actorpolicy"
)

// WithActorPolicy replays under p, the actor policy of a network tvx has
// no row for (a devnet, as its node's StateGetNetworkParams describes it).
// Without it the policy is that of the network WithNetworkName names, else
// mainnet's.
func WithActorPolicy(p networks.Policy) Option {
	return func(c *config) { c.policy = &p }
}

// actorPolicy is the policy replays run under (nil: mainnet's).
func (e *Extractor) actorPolicy() *networks.Policy {
	if e.cfg.policy != nil {
		return e.cfg.policy
	}
	if p, ok := networks.ByName(e.cfg.network); ok && p.Name != networks.Mainnet {
		return &p.Policy
	}
	return nil
}

// holdPolicy keeps the Go actors on the chain's network's policy for one
// extraction, self-check included (which runs under the same policy, so it
// shares the hold).
func (e *Extractor) holdPolicy() func() { return actorpolicy.Hold(e.actorPolicy()) }
