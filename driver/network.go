package driver

import (
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
)

// VectorPolicy is the actor policy a vector replays under: that of the
// network its _meta.gen records ("network:<name>"), or for a network tvx
// has no row for (a devnet) the policy recorded beside it
// (networks.PolicyRecordPrefix), else mainnet's (nil). A record naming no
// network tvx knows and no policy (older generators wrote codenames there)
// also means mainnet. A malformed policy record is an error naming the
// field. Whatever runs a vector's messages on tvx's Go actors holds
// vm/actorpolicy for it.
func VectorPolicy(v *schema.Vector) (*networks.Policy, error) {
	if v.Meta == nil {
		return nil, nil
	}
	sources := make([]string, len(v.Meta.Gen))
	for i, g := range v.Meta.Gen {
		sources[i] = g.Source
	}
	p, err := networks.VectorPolicy(sources)
	if err != nil {
		return nil, &schema.Error{File: v.Path, Field: "_meta.gen", Err: err}
	}
	return p, nil
}

// VectorProtocol is the protocol table a vector replays under: its
// network's own (calibnet's, butterfly's), or for a network tvx has no row
// for the schedule recorded beside it (networks.ScheduleRecordPrefix), else
// nil (the driver's default, mainnet's). A malformed schedule record is an
// error naming the field.
func VectorProtocol(v *schema.Vector) (*protocol.Table, error) {
	if v.Meta == nil {
		return nil, nil
	}
	sources := make([]string, len(v.Meta.Gen))
	for i, g := range v.Meta.Gen {
		sources[i] = g.Source
	}
	t, err := networks.VectorProtocol(sources)
	if err != nil {
		return nil, &schema.Error{File: v.Path, Field: "_meta.gen", Err: err}
	}
	return t, nil
}

// WithActorPolicy runs every vector under policy p instead of the policy
// of the network the vector records: for replaying a chain's vectors under
// a devnet's policy tvx has no network row for.
func WithActorPolicy(p networks.Policy) Option {
	return func(c *config) { c.policy = &p }
}
