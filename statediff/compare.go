package statediff

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-bitfield"
	sbig "github.com/filecoin-project/go-state-types/big"
	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
)

// leafDiff is one differing leaf found by go-cmp in two decoded values.
type leafDiff struct {
	rel    string // path relative to the compared values, e.g. ".Info.Worker" or ".Due[3]"
	fields string // struct field names only, joined by ".", e.g. "Due"
	last   string // innermost struct field name
	x, y   reflect.Value
}

// leafCollector is a cmp.Reporter that keeps the unequal leaves. go-cmp's
// own Diff text is deliberately unstable between runs, so the report is
// rebuilt from the paths instead.
type leafCollector struct {
	path  cmp.Path
	diffs []leafDiff
}

func (c *leafCollector) PushStep(ps cmp.PathStep) { c.path = append(c.path, ps) }
func (c *leafCollector) PopStep()                 { c.path = c.path[:len(c.path)-1] }

func (c *leafCollector) Report(r cmp.Result) {
	if r.Equal() {
		return
	}
	x, y := c.path.Last().Values()
	d := leafDiff{x: x, y: y}
	var names []string
	var rel strings.Builder
	for _, st := range c.path[1:] {
		switch s := st.(type) {
		case cmp.StructField:
			rel.WriteString("." + s.Name())
			names = append(names, s.Name())
			d.last = s.Name()
		case cmp.SliceIndex:
			k := s.Key()
			if k < 0 {
				kx, ky := s.SplitKeys()
				if kx > ky {
					k = kx
				} else {
					k = ky
				}
			}
			fmt.Fprintf(&rel, "[%d]", k)
		case cmp.MapIndex:
			rel.WriteString("[" + render(s.Key(), "", unitNone) + "]")
		}
	}
	d.rel = rel.String()
	d.fields = strings.Join(names, ".")
	c.diffs = append(c.diffs, d)
}

func bitFieldsEqual(a, b bitfield.BitField) bool {
	x, err := bitfield.SubtractBitField(a, b)
	if err != nil {
		return false
	}
	y, err := bitfield.SubtractBitField(b, a)
	if err != nil {
		return false
	}
	nx, err1 := x.Count()
	ny, err2 := y.Count()
	return err1 == nil && err2 == nil && nx == 0 && ny == 0
}

// cmpOptions teaches go-cmp the value types of actor state whose internals
// are unexported or whose equality is semantic (a bitfield has several
// encodings of the same set). Anything else unexported is compared field by
// field rather than panicking.
func cmpOptions(c *leafCollector) cmp.Options {
	return cmp.Options{
		cmp.Comparer(func(a, b cid.Cid) bool { return a.Equals(b) }),
		cmp.Comparer(func(a, b address.Address) bool { return a == b }),
		cmp.Comparer(func(a, b sbig.Int) bool { return bigOf(a).Cmp(bigOf(b)) == 0 }),
		cmp.Comparer(bitFieldsEqual),
		// Byte strings (peer IDs, multiaddrs, proofs, params) are single
		// values: a per-byte edit script would be noise.
		cmp.FilterPath(func(p cmp.Path) bool {
			t := p.Last().Type()
			return t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
		}, cmp.Comparer(func(a, b any) bool {
			return bytes.Equal(reflect.ValueOf(a).Bytes(), reflect.ValueOf(b).Bytes())
		})),
		cmp.Exporter(func(reflect.Type) bool { return true }),
		cmp.Reporter(c),
	}
}

// compareValues returns the differing leaves of a and b, which must have the
// same type, in go-cmp's traversal order (struct field order, ascending
// indices), which is deterministic.
func compareValues(a, b any) (diffs []leafDiff, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compare %T: %v", a, r)
		}
	}()
	c := &leafCollector{}
	cmp.Equal(a, b, cmpOptions(c))
	return c.diffs, nil
}

// cidOf extracts a CID from a leaf value that is a cid.Cid or a pointer to
// one (nil pointer: undefined CID).
func cidOf(v reflect.Value) (cid.Cid, bool) {
	if !v.IsValid() {
		return cid.Undef, false
	}
	if v.Kind() == reflect.Ptr {
		if v.Type().Elem() != typCid {
			return cid.Undef, false
		}
		if v.IsNil() {
			return cid.Undef, true
		}
		v = v.Elem()
	}
	if v.Type() != typCid {
		return cid.Undef, false
	}
	return v.Interface().(cid.Cid), true
}
