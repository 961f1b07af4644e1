package statediff

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-bitfield"
	sbig "github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Formatting rules, chosen so two runs over the same data print the same
// bytes: mainnet address prefix regardless of any process-wide setting,
// exact integers, no maps printed without sorting, no pointers printed.

var (
	typCid      = reflect.TypeOf(cid.Cid{})
	typAddress  = reflect.TypeOf(address.Address{})
	typBigInt   = reflect.TypeOf(sbig.Int{})
	typBitField = reflect.TypeOf(bitfield.BitField{})
	typCborCid  = reflect.TypeOf(cbg.CborCid{})
)

// attoPerFIL is 10^18; read-only.
var attoPerFIL = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// maxBytesShown bounds how much of a byte string (proofs, signatures) is
// printed; the length is always given.
const maxBytesShown = 32

// maxRunsShown bounds how many runs of a bitfield are printed.
const maxRunsShown = 64

func formatAddress(a address.Address) string {
	if a == address.Undef {
		return "<undef address>"
	}
	// String uses go-address's process-wide network prefix; the diff always
	// prints the mainnet form so output does not depend on that setting.
	s := a.String()
	if len(s) < 2 || s[0] != 't' && s[0] != 'f' {
		return fmt.Sprintf("<bad address %x>", a.Bytes())
	}
	return "f" + s[1:]
}

// formatDelegated prints an actor's f4 address, or "none".
func formatDelegated(a address.Address) string {
	if a == address.Undef {
		return "none"
	}
	return formatAddress(a)
}

func formatCid(c cid.Cid) string {
	if !c.Defined() {
		return "<undef cid>"
	}
	return c.String()
}

func bigOf(v sbig.Int) *big.Int {
	if v.Int == nil {
		return new(big.Int)
	}
	return v.Int
}

// formatFIL prints an attoFIL amount as a decimal FIL figure followed by the
// exact attoFIL value, e.g. "1.5 FIL (1500000000000000000 attoFIL)".
func formatFIL(v *big.Int) string {
	return fmt.Sprintf("%s (%s attoFIL)", filDecimal(v), v.String())
}

func filDecimal(v *big.Int) string {
	neg := v.Sign() < 0
	abs := new(big.Int).Abs(v)
	whole, frac := new(big.Int).QuoRem(abs, attoPerFIL, new(big.Int))
	s := whole.String()
	if frac.Sign() != 0 {
		f := fmt.Sprintf("%018s", frac.String())
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s + " FIL"
}

// filDelta prints b-a with an explicit sign.
func filDelta(a, b *big.Int) string {
	d := new(big.Int).Sub(b, a)
	s := filDecimal(d)
	if d.Sign() >= 0 {
		s = "+" + s
	}
	return s
}

func formatBytes(b []byte) string {
	if len(b) == 0 {
		return "0x"
	}
	if len(b) <= maxBytesShown {
		return "0x" + hex.EncodeToString(b)
	}
	return fmt.Sprintf("0x%s…(%d bytes)", hex.EncodeToString(b[:maxBytesShown]), len(b))
}

func formatBitField(bf bitfield.BitField) string {
	it, err := bf.RunIterator()
	if err != nil {
		return fmt.Sprintf("<bad bitfield: %v>", err)
	}
	var parts []string
	var pos uint64
	var count uint64
	for it.HasNext() {
		r, err := it.NextRun()
		if err != nil {
			return fmt.Sprintf("<bad bitfield: %v>", err)
		}
		if r.Val {
			count += r.Len
			if len(parts) < maxRunsShown {
				if r.Len == 1 {
					parts = append(parts, strconv.FormatUint(pos, 10))
				} else {
					parts = append(parts, fmt.Sprintf("%d-%d", pos, pos+r.Len-1))
				}
			} else if len(parts) == maxRunsShown {
				parts = append(parts, "…")
			}
		}
		pos += r.Len
	}
	if len(parts) > maxRunsShown {
		return fmt.Sprintf("{%s} (%d set)", strings.Join(parts, ","), count)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// bitFieldDelta describes which bits b gained and lost relative to a.
func bitFieldDelta(a, b bitfield.BitField) string {
	added, err1 := bitfield.SubtractBitField(b, a)
	removed, err2 := bitfield.SubtractBitField(a, b)
	if err1 != nil || err2 != nil {
		return ""
	}
	var parts []string
	if n, err := added.Count(); err == nil && n > 0 {
		parts = append(parts, "+"+formatBitField(added))
	}
	if n, err := removed.Count(); err == nil && n > 0 {
		parts = append(parts, "-"+formatBitField(removed))
	}
	return strings.Join(parts, " ")
}

// nonTokenFields lists name fragments of big-integer fields that hold
// powers, weights, data caps or fixed-point estimates rather than attoFIL.
// Every other big integer in actor state is a token amount.
var nonTokenFields = []string{"Power", "Bytes", "Weight", "Baseline", "Cumsum", "Estimate", "DataCap", "Allowance"}

// powerPairFields are the exact names of the two halves of a PowerPair.
var powerPairFields = []string{"Raw", "QA"}

func isTokenField(field string) bool {
	for _, f := range powerPairFields {
		if field == f {
			return false
		}
	}
	for _, f := range nonTokenFields {
		if strings.Contains(field, f) {
			return false
		}
	}
	return true
}

// render prints v on one line. field is the name of the struct field v was
// read from (empty if none); it decides whether a big integer is shown as
// FIL. u overrides that decision for bare collection values.
func render(v reflect.Value, field string, u unit) string {
	if !v.IsValid() {
		return "<absent>"
	}
	switch v.Type() {
	case typCid:
		return formatCid(v.Interface().(cid.Cid))
	case typCborCid:
		return formatCid(cid.Cid(v.Interface().(cbg.CborCid)))
	case typAddress:
		return formatAddress(v.Interface().(address.Address))
	case typBitField:
		return formatBitField(v.Interface().(bitfield.BitField))
	case typBigInt:
		n := bigOf(v.Interface().(sbig.Int))
		if u == unitToken || (u == unitNone && isTokenField(field)) {
			return formatFIL(n)
		}
		return n.String()
	}
	switch v.Kind() {
	case reflect.Ptr, reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		return render(v.Elem(), field, u)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if u == unitActorID {
			return fmt.Sprintf("f0%d", v.Int())
		}
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			return formatBytes(b)
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return "[]"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i), field, u)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Struct:
		var parts []string
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			parts = append(parts, f.Name+": "+render(v.Field(i), f.Name, unitNone))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Map:
		// Not produced by actor state decoding; printed sorted for safety.
		keys := v.MapKeys()
		strs := make([]string, len(keys))
		for i, k := range keys {
			strs[i] = render(k, "", unitNone) + ": " + render(v.MapIndex(k), field, u)
		}
		sort.Strings(strs)
		return "map{" + strings.Join(strs, ", ") + "}"
	}
	return fmt.Sprintf("<%s>", v.Type())
}

// formatKey prints a collection key as it appears between brackets.
func formatKey(k keyKind, e entry) string {
	switch k {
	case keyIndex:
		return strconv.FormatUint(e.index, 10)
	case keyAddr:
		if a, err := address.NewFromBytes(e.key); err == nil {
			return formatAddress(a)
		}
	case keyUint:
		if v, n := binary.Uvarint(e.key); n == len(e.key) && n > 0 {
			return strconv.FormatUint(v, 10)
		}
	case keyInt:
		if v, n := binary.Varint(e.key); n == len(e.key) && n > 0 {
			return strconv.FormatInt(v, 10)
		}
	case keyCID:
		if _, c, err := cid.CidFromBytes(e.key); err == nil {
			return c.String()
		}
	}
	return formatBytes(e.key)
}

// keyLess orders collection keys for output: numerically for integer and
// ID-address keys, by bytes otherwise.
func keyLess(k keyKind, x, y entry) bool {
	switch k {
	case keyIndex:
		return x.index < y.index
	case keyUint:
		vx, nx := binary.Uvarint(x.key)
		vy, ny := binary.Uvarint(y.key)
		if nx > 0 && ny > 0 && vx != vy {
			return vx < vy
		}
	case keyInt:
		vx, nx := binary.Varint(x.key)
		vy, ny := binary.Varint(y.key)
		if nx > 0 && ny > 0 && vx != vy {
			return vx < vy
		}
	case keyAddr:
		return addrKeyLess(x.key, y.key)
	}
	return bytes.Compare(x.key, y.key) < 0
}

// addrKeyLess orders address bytes by protocol, then ID addresses by number
// (f02 before f010), others by payload bytes.
func addrKeyLess(x, y []byte) bool {
	if len(x) > 0 && len(y) > 0 && x[0] == y[0] && x[0] == byte(address.ID) {
		vx, nx := binary.Uvarint(x[1:])
		vy, ny := binary.Uvarint(y[1:])
		if nx > 0 && ny > 0 {
			return vx < vy
		}
	}
	return bytes.Compare(x, y) < 0
}
