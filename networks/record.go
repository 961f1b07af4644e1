package networks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/protocol"
)

// PolicyRecordPrefix starts the _meta.gen source that carries the actor
// policy of a network tvx has no row for (a devnet), so its vectors replay
// under it anywhere: "policy:seal-proofs=0,consensus-min-power=2048,...".
const PolicyRecordPrefix = "policy:"

// Record is the policy as a _meta.gen source: the seal proof types by
// number (joined by "/", sorted), then the sizes and the delay, in a fixed
// order so the same policy always records the same bytes.
func (p Policy) Record() string {
	seals := make([]int, len(p.SupportedSealProofs))
	for i, s := range p.SupportedSealProofs {
		seals[i] = int(s)
	}
	sort.Ints(seals)
	parts := make([]string, len(seals))
	for i, s := range seals {
		parts[i] = strconv.Itoa(s)
	}
	return fmt.Sprintf("%sseal-proofs=%s,consensus-min-power=%d,min-verified-deal-size=%d,pre-commit-challenge-delay=%d",
		PolicyRecordPrefix, strings.Join(parts, "/"), p.ConsensusMinerMinPower, p.MinVerifiedDealSize, p.PreCommitChallengeDelay)
}

// ParsePolicyRecord reads what Record wrote. Every field must be present
// once, with a value of its type; the error names the field at fault.
func ParsePolicyRecord(s string) (Policy, error) {
	body, ok := strings.CutPrefix(s, PolicyRecordPrefix)
	if !ok {
		return Policy{}, fmt.Errorf("policy record %q does not start with %q", s, PolicyRecordPrefix)
	}
	var p Policy
	seen := map[string]bool{}
	for _, kv := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Policy{}, fmt.Errorf("policy record: %q is not field=value", kv)
		}
		if seen[k] {
			return Policy{}, fmt.Errorf("policy record: field %s repeated", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "seal-proofs":
			p.SupportedSealProofs, err = parseSeals(v)
		case "consensus-min-power":
			p.ConsensusMinerMinPower, err = parseNonNegative(v)
		case "min-verified-deal-size":
			p.MinVerifiedDealSize, err = parseNonNegative(v)
		case "pre-commit-challenge-delay":
			var n int64
			n, err = parseNonNegative(v)
			p.PreCommitChallengeDelay = abi.ChainEpoch(n)
		default:
			return Policy{}, fmt.Errorf("policy record: unknown field %q", k)
		}
		if err != nil {
			return Policy{}, fmt.Errorf("policy record: field %s: %w", k, err)
		}
	}
	for _, k := range []string{"seal-proofs", "consensus-min-power", "min-verified-deal-size", "pre-commit-challenge-delay"} {
		if !seen[k] {
			return Policy{}, fmt.Errorf("policy record: field %s missing", k)
		}
	}
	return p, nil
}

// Validate checks what a policy from outside tvx (a record, a protocol
// request) must satisfy: at least one seal proof type, each one the actors
// know, and non-negative sizes and delay.
func (p Policy) Validate() error {
	if len(p.SupportedSealProofs) == 0 {
		return fmt.Errorf("seal proof types: none")
	}
	for _, sp := range p.SupportedSealProofs {
		if _, known := abi.SealProofInfos[sp]; !known {
			return fmt.Errorf("seal proof types: %d is unknown", sp)
		}
	}
	if p.ConsensusMinerMinPower < 0 || p.MinVerifiedDealSize < 0 || p.PreCommitChallengeDelay < 0 {
		return fmt.Errorf("negative size or delay")
	}
	return nil
}

func parseSeals(v string) ([]abi.RegisteredSealProof, error) {
	if v == "" {
		return nil, fmt.Errorf("no seal proof types")
	}
	var out []abi.RegisteredSealProof
	for _, f := range strings.Split(v, "/") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a seal proof type number", f)
		}
		sp := abi.RegisteredSealProof(n)
		if _, known := abi.SealProofInfos[sp]; !known {
			return nil, fmt.Errorf("seal proof type %d is unknown", n)
		}
		out = append(out, sp)
	}
	return out, nil
}

func parseNonNegative(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative integer", v)
	}
	return n, nil
}

// VectorPolicy is the actor policy a vector replays under, from its
// network's record (the X of "network:X") and, for a network tvx has no
// row for, the policy record beside it: a known network's row's policy
// (nil for mainnet, whose policy is the actors' own defaults); a devnet's
// recorded policy; nil (mainnet's) when nothing says. records are the
// vector's _meta.gen sources.
func VectorPolicy(records []string) (*Policy, error) {
	var network, policy string
	for _, r := range records {
		if name, ok := strings.CutPrefix(r, "network:"); ok && network == "" {
			network = name
		}
		if strings.HasPrefix(r, PolicyRecordPrefix) {
			if policy != "" {
				return nil, fmt.Errorf("two policy records")
			}
			policy = r
		}
	}
	if p, ok := ByName(network); ok {
		if p.Name == Mainnet {
			return nil, nil
		}
		return &p.Policy, nil
	}
	if policy == "" {
		return nil, nil
	}
	p, err := ParsePolicyRecord(policy)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ScheduleRecordPrefix starts the _meta.gen source that carries the
// upgrade schedule of a network tvx has no row for (a devnet), so its
// vectors replay under its own protocol (rules and price lists by epoch):
// "schedule:genesis=15,breeze=-1,...".
const ScheduleRecordPrefix = "schedule:"

// ScheduleRecord is a protocol table's schedule as a _meta.gen source: the
// genesis network version, then each upgrade's height by codename in the
// table's order.
func ScheduleRecord(t *protocol.Table) string {
	rows := t.Upgrades()
	parts := []string{fmt.Sprintf("genesis=%d", rows[0].Version)}
	for _, u := range rows[1:] {
		parts = append(parts, fmt.Sprintf("%s=%d", u.Codename, u.Epoch))
	}
	return ScheduleRecordPrefix + strings.Join(parts, ",")
}

// ParseScheduleRecord makes the protocol table of network name from what
// ScheduleRecord wrote; the error names the part at fault.
func ParseScheduleRecord(name, s string) (*protocol.Table, error) {
	body, ok := strings.CutPrefix(s, ScheduleRecordPrefix)
	if !ok {
		return nil, fmt.Errorf("schedule record %q does not start with %q", s, ScheduleRecordPrefix)
	}
	sched := protocol.Schedule{Network: name, Heights: map[string]abi.ChainEpoch{}}
	for i, kv := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("schedule record: %q is not codename=height", kv)
		}
		if i == 0 {
			if k != "genesis" || n < 0 {
				return nil, fmt.Errorf("schedule record: starts with %q, not genesis=<network version>", kv)
			}
			sched.GenesisVersion = network.Version(n)
			continue
		}
		if _, dup := sched.Heights[k]; dup {
			return nil, fmt.Errorf("schedule record: %s repeated", k)
		}
		if _, known := protocol.Mainnet().ByCodename(k); !known || k == "genesis" {
			return nil, fmt.Errorf("schedule record: unknown upgrade %q", k)
		}
		sched.Heights[k] = abi.ChainEpoch(n)
	}
	t, err := protocol.FromSchedule(sched)
	if err != nil {
		return nil, fmt.Errorf("schedule record: %w", err)
	}
	return t, nil
}

// VectorProtocol is the protocol table a vector replays under, from its
// _meta.gen sources: its network's own table when tvx has one, else the
// schedule recorded beside the network's name (a devnet), else nil (the
// caller's default, mainnet's).
func VectorProtocol(records []string) (*protocol.Table, error) {
	var name, sched string
	for _, r := range records {
		if n, ok := strings.CutPrefix(r, "network:"); ok && name == "" {
			name = n
		}
		if strings.HasPrefix(r, ScheduleRecordPrefix) {
			if sched != "" {
				return nil, fmt.Errorf("two schedule records")
			}
			sched = r
		}
	}
	if p, ok := ByName(name); ok {
		t, err := p.Protocol()
		return t, err
	}
	if sched == "" || name == "" {
		return nil, nil
	}
	return ParseScheduleRecord(name, sched)
}
