package schema

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Randomness kinds, as the vectors spell them.
const (
	RandomnessChain  = "chain"
	RandomnessBeacon = "beacon"
)

// RandomnessRecord is one randomness draw recorded in a vector.
//
// Two JSON forms exist. The older one, {"on": [kind, dst, epoch, entropy],
// "ret": value}, records the final value of one draw. The current one,
// {"on": [kind, epoch], "ret": digest}, records the chain's randomness digest
// for an epoch; the runtime derives every draw at that epoch from it with the
// draw's domain separation tag and entropy. Digest tells the forms apart.
type RandomnessRecord struct {
	Kind    string
	Digest  bool
	DST     int64
	Epoch   int64
	Entropy []byte
	Return  []byte
}

type randomnessJSON struct {
	On  []json.RawMessage `json:"on"`
	Ret string            `json:"ret"`
}

// UnmarshalJSON accepts both record forms.
func (r *RandomnessRecord) UnmarshalJSON(b []byte) error {
	var raw randomnessJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var out RandomnessRecord
	on := raw.On
	// Newer writers pad the digest form to four elements with nulls:
	// [kind, epoch, null, null].
	if len(on) == 4 && isNull(on[2]) && isNull(on[3]) {
		on = on[:2]
	}
	raw.On = on
	switch len(raw.On) {
	case 2:
		out.Digest = true
		if err := json.Unmarshal(raw.On[0], &out.Kind); err != nil {
			return fmt.Errorf("on[0] (kind): %w", err)
		}
		if err := json.Unmarshal(raw.On[1], &out.Epoch); err != nil {
			return fmt.Errorf("on[1] (epoch): %w", err)
		}
	case 4:
		if err := json.Unmarshal(raw.On[0], &out.Kind); err != nil {
			return fmt.Errorf("on[0] (kind): %w", err)
		}
		if err := json.Unmarshal(raw.On[1], &out.DST); err != nil {
			return fmt.Errorf("on[1] (dst): %w", err)
		}
		if err := json.Unmarshal(raw.On[2], &out.Epoch); err != nil {
			return fmt.Errorf("on[2] (epoch): %w", err)
		}
		var ent string
		if err := json.Unmarshal(raw.On[3], &ent); err != nil {
			return fmt.Errorf("on[3] (entropy): %w", err)
		}
		e, err := base64.StdEncoding.DecodeString(ent)
		if err != nil {
			return fmt.Errorf("on[3] (entropy): %w", err)
		}
		out.Entropy = e
	default:
		return fmt.Errorf("on: want [kind, epoch] or [kind, dst, epoch, entropy], got %d elements", len(raw.On))
	}
	if out.Kind != RandomnessChain && out.Kind != RandomnessBeacon {
		return fmt.Errorf("on[0] (kind): unknown randomness kind %q", out.Kind)
	}
	ret, err := base64.StdEncoding.DecodeString(raw.Ret)
	if err != nil {
		return fmt.Errorf("ret: %w", err)
	}
	out.Return = ret
	*r = out
	return nil
}

func isNull(m json.RawMessage) bool {
	return string(bytes.TrimSpace(m)) == "null"
}

// MarshalJSON writes the record in the form it was read in.
func (r RandomnessRecord) MarshalJSON() ([]byte, error) {
	var on []any
	if r.Digest {
		on = []any{r.Kind, r.Epoch}
	} else {
		on = []any{r.Kind, r.DST, r.Epoch, base64.StdEncoding.EncodeToString(r.Entropy)}
	}
	return json.Marshal(struct {
		On  []any  `json:"on"`
		Ret string `json:"ret"`
	}{on, base64.StdEncoding.EncodeToString(r.Return)})
}
