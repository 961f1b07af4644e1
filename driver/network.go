package driver

import (
	"strings"

	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/schema"
)

// networkPolicy is the actor policy a vector replays under: that of the
// network its _meta.gen records ("network:<name>"), else mainnet's (nil).
// A record naming no network tvx knows (older generators wrote codenames
// there) also means mainnet.
func networkPolicy(v *schema.Vector) *networks.Policy {
	if v.Meta == nil {
		return nil
	}
	for _, g := range v.Meta.Gen {
		name, ok := strings.CutPrefix(g.Source, "network:")
		if !ok {
			continue
		}
		if p, ok := networks.ByName(name); ok && p.Name != networks.Mainnet {
			return &p.Policy
		}
	}
	return nil
}

// WithActorPolicy runs every vector under policy p instead of the policy
// of the network the vector records: for replaying a chain's vectors under
// a devnet's policy tvx has no network row for.
func WithActorPolicy(p networks.Policy) Option {
	return func(c *config) { c.policy = &p }
}
