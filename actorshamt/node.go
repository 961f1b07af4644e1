package actorshamt

import (
	"bytes"

	hamt1 "github.com/filecoin-project/go-hamt-ipld"
	hamt2 "github.com/filecoin-project/go-hamt-ipld/v2"
	hamt3 "github.com/filecoin-project/go-hamt-ipld/v3"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Entry is one key and its raw CBOR value, held in a HAMT node's bucket.
type Entry struct {
	Key, Value []byte
}

// NodeEntries returns the entries held in the buckets of one HAMT node
// encoded in the layout's encoding (not those of its children), and
// whether data is such a node at all: a block of another kind, or with
// bytes after the node, gives false.
func (l Layout) NodeEntries(data []byte) ([]Entry, bool) {
	var out []Entry
	add := func(k []byte, v *cbg.Deferred) {
		e := Entry{Key: k}
		if v != nil {
			e.Value = v.Raw
		}
		out = append(out, e)
	}
	r := bytes.NewReader(data)
	switch l.Encoding {
	case 1:
		var n hamt1.Node
		if n.UnmarshalCBOR(r) != nil {
			return nil, false
		}
		for _, p := range n.Pointers {
			for _, kv := range p.KVs {
				add(kv.Key, kv.Value)
			}
		}
	case 2:
		var n hamt2.Node
		if n.UnmarshalCBOR(r) != nil {
			return nil, false
		}
		for _, p := range n.Pointers {
			for _, kv := range p.KVs {
				add(kv.Key, kv.Value)
			}
		}
	case 3:
		var n hamt3.Node
		if n.UnmarshalCBOR(r) != nil {
			return nil, false
		}
		for _, p := range n.Pointers {
			for _, kv := range p.KVs {
				add(kv.Key, kv.Value)
			}
		}
	default:
		return nil, false
	}
	if r.Len() != 0 {
		return nil, false
	}
	return out, true
}
