package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/tvx-project/tvx/protocol"
	"math/big"

	"github.com/filecoin-project/go-address"
	"github.com/ipfs/go-cid"
)

// Decode parses and validates one vector from its JSON bytes. name is used in
// errors (usually the file path).
//
// Fields are decoded one by one so that an error names the field at fault,
// for example "preconditions.variants[1].nv".
func Decode(name string, data []byte) (*Vector, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	if field, err := duplicateKey(data); err != nil {
		return nil, &Error{File: name, Field: field, Err: err}
	}
	v := &Vector{Path: name}
	tv := &v.TestVector
	fields := []struct {
		key string
		dst any
	}{
		{"class", &tv.Class},
		{"selector", &tv.Selector},
		{"hints", &tv.Hints},
		{"_meta", &tv.Meta},
		{"car", &tv.CAR},
		{"randomness", &v.Randomness},
		{"apply_messages", &tv.ApplyMessages},
		{"apply_tipsets", &tv.ApplyTipsets},
		{"diagnostics", &tv.Diagnostics},
	}
	for _, f := range fields {
		raw, ok := top[f.key]
		if !ok || isNull(raw) {
			continue
		}
		if field, err := nullElement(raw); err != nil {
			return nil, &Error{File: name, Field: f.key + field, Err: err}
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return nil, &Error{File: name, Field: subField(f.key, err), Err: cleanJSONErr(err)}
		}
	}
	pre, err := decodePre(name, top["preconditions"])
	if err != nil {
		return nil, err
	}
	tv.Pre = pre
	post, err := decodePost(name, top["postconditions"])
	if err != nil {
		return nil, err
	}
	tv.Post = post
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

func decodePre(name string, raw json.RawMessage) (*Preconditions, error) {
	if raw == nil {
		return nil, fieldErr(name, "preconditions", "missing")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &Error{File: name, Field: "preconditions", Err: cleanJSONErr(err)}
	}
	pre := &Preconditions{}
	var variants []json.RawMessage
	if r, ok := m["variants"]; ok {
		if err := json.Unmarshal(r, &variants); err != nil {
			return nil, &Error{File: name, Field: "preconditions.variants", Err: cleanJSONErr(err)}
		}
	}
	for i, r := range variants {
		var vr Variant
		f := fmt.Sprintf("preconditions.variants[%d]", i)
		if isNull(r) {
			return nil, fieldErr(name, f, "null")
		}
		if err := json.Unmarshal(r, &vr); err != nil {
			return nil, &Error{File: name, Field: elemField(f, err), Err: cleanJSONErr(err)}
		}
		pre.Variants = append(pre.Variants, vr)
	}
	st, err := decodeStateTree(name, "preconditions.state_tree", m["state_tree"])
	if err != nil {
		return nil, err
	}
	pre.StateTree = st
	if pre.BaseFee, err = decodeBigInt(name, "preconditions.basefee", m["basefee"]); err != nil {
		return nil, err
	}
	if pre.CircSupply, err = decodeBigInt(name, "preconditions.circ_supply", m["circ_supply"]); err != nil {
		return nil, err
	}
	return pre, nil
}

func decodePost(name string, raw json.RawMessage) (*Postconditions, error) {
	if raw == nil {
		return nil, fieldErr(name, "postconditions", "missing")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &Error{File: name, Field: "postconditions", Err: cleanJSONErr(err)}
	}
	post := &Postconditions{}
	st, err := decodeStateTree(name, "postconditions.state_tree", m["state_tree"])
	if err != nil {
		return nil, err
	}
	post.StateTree = st
	if r, ok := m["receipts"]; ok {
		var rs []json.RawMessage
		if err := json.Unmarshal(r, &rs); err != nil {
			return nil, &Error{File: name, Field: "postconditions.receipts", Err: cleanJSONErr(err)}
		}
		for i, rr := range rs {
			var rc Receipt
			f := fmt.Sprintf("postconditions.receipts[%d]", i)
			if isNull(rr) {
				return nil, fieldErr(name, f, "null")
			}
			if err := json.Unmarshal(rr, &rc); err != nil {
				return nil, &Error{File: name, Field: elemField(f, err), Err: cleanJSONErr(err)}
			}
			post.Receipts = append(post.Receipts, &rc)
		}
	}
	if r, ok := m["receipts_roots"]; ok {
		var rs []json.RawMessage
		if err := json.Unmarshal(r, &rs); err != nil {
			return nil, &Error{File: name, Field: "postconditions.receipts_roots", Err: cleanJSONErr(err)}
		}
		for i, rr := range rs {
			c, err := decodeCID(rr)
			if err != nil {
				return nil, &Error{File: name, Field: fmt.Sprintf("postconditions.receipts_roots[%d]", i), Err: err}
			}
			post.ReceiptsRoots = append(post.ReceiptsRoots, c)
		}
	}
	if r, ok := m["apply_message_failures"]; ok {
		if err := json.Unmarshal(r, &post.ApplyMessageFailures); err != nil {
			return nil, &Error{File: name, Field: "postconditions.apply_message_failures", Err: cleanJSONErr(err)}
		}
	}
	return post, nil
}

func decodeStateTree(name, field string, raw json.RawMessage) (*StateTree, error) {
	if raw == nil || bytes.Equal(raw, []byte("null")) {
		return nil, fieldErr(name, field, "missing")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &Error{File: name, Field: field, Err: cleanJSONErr(err)}
	}
	r, ok := m["root_cid"]
	if !ok {
		return nil, fieldErr(name, field+".root_cid", "missing")
	}
	c, err := decodeCID(r)
	if err != nil {
		return nil, &Error{File: name, Field: field + ".root_cid", Err: err}
	}
	return &StateTree{RootCID: c}, nil
}

func decodeCID(raw json.RawMessage) (cid.Cid, error) {
	var link struct {
		Slash *string `json:"/"`
	}
	if err := json.Unmarshal(raw, &link); err != nil {
		return cid.Undef, fmt.Errorf("want {\"/\": \"<cid>\"}: %w", cleanJSONErr(err))
	}
	if link.Slash == nil {
		return cid.Undef, errors.New("want {\"/\": \"<cid>\"}")
	}
	c, err := cid.Decode(*link.Slash)
	if err != nil {
		return cid.Undef, fmt.Errorf("invalid CID %q: %w", *link.Slash, err)
	}
	return c, nil
}

func decodeBigInt(name, field string, raw json.RawMessage) (*big.Int, error) {
	if raw == nil || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var n big.Int
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, &Error{File: name, Field: field, Err: cleanJSONErr(err)}
	}
	return &n, nil
}

// nullElement finds a null element of a JSON array, which encoding/json
// would decode as a zero value; it returns the element's "[i]".
func nullElement(raw json.RawMessage) (string, error) {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return "", nil // not an array: the field's own decoding says why
	}
	for i, e := range elems {
		if isNull(e) {
			return fmt.Sprintf("[%d]", i), errors.New("null")
		}
	}
	return "", nil
}

// elemField names the field inside an array element that a json error is
// about: "postconditions.receipts[0]" becomes "….receipts[0].gas_used".
func elemField(elem string, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return elem + "." + te.Field
	}
	return elem
}

// subField turns a json error inside a top-level field into a dotted path.
func subField(key string, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return key + "." + te.Field
	}
	return key
}

func cleanJSONErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("cannot use JSON %s as %s", te.Value, te.Type)
	}
	return err
}

// Validate checks what JSON decoding cannot: the class, variants and their
// network versions, receipts against messages, and the block miners of
// tipsets.
func (v *Vector) Validate() error {
	name := v.Path
	switch v.Class {
	case ClassMessage, ClassTipset:
	case "":
		return fieldErr(name, "class", "missing")
	default:
		return fieldErr(name, "class", "unsupported class %q (want %q or %q)", v.Class, ClassMessage, ClassTipset)
	}
	if len(v.CAR) == 0 {
		return fieldErr(name, "car", "missing or empty")
	}
	if v.Pre == nil || len(v.Pre.Variants) == 0 {
		return fieldErr(name, "preconditions.variants", "no variants")
	}
	seen := map[string]bool{}
	for i, vr := range v.Pre.Variants {
		f := fmt.Sprintf("preconditions.variants[%d]", i)
		if vr.ID == "" {
			return fieldErr(name, f+".id", "missing")
		}
		if seen[vr.ID] {
			return fieldErr(name, f+".id", "duplicate variant %q", vr.ID)
		}
		seen[vr.ID] = true
		if known := protocol.Mainnet(); !known.Known(network.Version(vr.NetworkVersion)) {
			return fieldErr(name, f+".nv", "unknown network version %d (tvx knows 0..%d)", vr.NetworkVersion, known.MaxVersion())
		}
		if vr.Epoch < 0 || vr.Epoch > MaxEpoch {
			return fieldErr(name, f+".epoch", "epoch %d outside 0..%d", vr.Epoch, MaxEpoch)
		}
	}
	if v.Pre.BaseFee != nil && v.Pre.BaseFee.Sign() < 0 {
		return fieldErr(name, "preconditions.basefee", "negative")
	}
	if v.Pre.CircSupply != nil && v.Pre.CircSupply.Sign() < 0 {
		return fieldErr(name, "preconditions.circ_supply", "negative")
	}
	switch v.Class {
	case ClassMessage:
		if len(v.ApplyMessages) == 0 {
			return fieldErr(name, "apply_messages", "message vector without messages")
		}
		if len(v.ApplyTipsets) != 0 {
			return fieldErr(name, "apply_tipsets", "not allowed in a message vector")
		}
		if len(v.Post.Receipts) != len(v.ApplyMessages) {
			return fieldErr(name, "postconditions.receipts", "%d receipts for %d messages", len(v.Post.Receipts), len(v.ApplyMessages))
		}
		for i, m := range v.ApplyMessages {
			if len(m.Bytes) == 0 {
				return fieldErr(name, fmt.Sprintf("apply_messages[%d].bytes", i), "empty")
			}
		}
	case ClassTipset:
		if len(v.ApplyTipsets) == 0 {
			return fieldErr(name, "apply_tipsets", "tipset vector without tipsets")
		}
		if n := len(v.Post.ReceiptsRoots); n != 0 && n != len(v.ApplyTipsets) {
			return fieldErr(name, "postconditions.receipts_roots", "%d roots for %d tipsets", n, len(v.ApplyTipsets))
		}
		for i, ts := range v.ApplyTipsets {
			for j, b := range ts.Blocks {
				if b.MinerAddr == address.Undef {
					return fieldErr(name, fmt.Sprintf("apply_tipsets[%d].blocks[%d].miner_addr", i, j), "missing")
				}
			}
		}
	}
	if err := v.checkOffsets(); err != nil {
		return err
	}
	for i, r := range v.Randomness {
		if len(r.Return) == 0 {
			return fieldErr(name, fmt.Sprintf("randomness[%d].ret", i), "empty")
		}
	}
	for i, r := range v.Post.Receipts {
		if r == nil {
			return fieldErr(name, fmt.Sprintf("postconditions.receipts[%d]", i), "null")
		}
	}
	return nil
}
