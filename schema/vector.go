// Package schema reads, validates and writes Filecoin test vectors.
//
// Vectors follow the public JSON schema of github.com/filecoin-project/test-vectors
// (types re-used from its Go package), extended to accept both forms of
// randomness records. Every error names the file and the JSON field at fault.
package schema

import (
	"fmt"
	"strings"

	tvschema "github.com/filecoin-project/test-vectors/schema"
)

// Re-exported schema types, so callers need not import two schema packages.
type (
	Variant        = tvschema.Variant
	Message        = tvschema.Message
	Tipset         = tvschema.Tipset
	Block          = tvschema.Block
	Receipt        = tvschema.Receipt
	Preconditions  = tvschema.Preconditions
	Postconditions = tvschema.Postconditions
	StateTree      = tvschema.StateTree
	Metadata       = tvschema.Metadata
	GenerationData = tvschema.GenerationData
	Diagnostics    = tvschema.Diagnostics
	Class          = tvschema.Class
	Selector       = tvschema.Selector
	Bytes          = tvschema.Base64EncodedBytes
)

// Vector classes and hints.
const (
	ClassMessage  = tvschema.ClassMessage
	ClassTipset   = tvschema.ClassTipset
	HintIncorrect = tvschema.HintIncorrect
	HintNegate    = tvschema.HintNegate
)

// Vector is one test vector. It embeds the public schema's TestVector and
// shadows its Randomness field with records that accept both JSON forms.
type Vector struct {
	tvschema.TestVector
	Randomness []RandomnessRecord `json:"randomness,omitempty"`

	// Path is the file the vector was read from ("-" plus a line number for
	// a stream). It is not part of the JSON.
	Path string `json:"-"`
}

// HasHint reports whether the vector carries hint h.
func (v *Vector) HasHint(h string) bool {
	for _, x := range v.Hints {
		if x == h {
			return true
		}
	}
	return false
}

// Network returns the network a vector was extracted from, as its
// _meta.gen records it ("network:X"), or "" for a vector made off-chain.
func (v *Vector) Network() string {
	if v.Meta == nil {
		return ""
	}
	for _, g := range v.Meta.Gen {
		if name, ok := strings.CutPrefix(g.Source, "network:"); ok {
			return name
		}
	}
	return ""
}

// ID returns the vector's _meta.id, or "" when absent.
func (v *Vector) ID() string {
	if v.Meta == nil {
		return ""
	}
	return v.Meta.ID
}

// Variant returns the variant with the given id.
func (v *Vector) Variant(id string) (Variant, bool) {
	for _, x := range v.Pre.Variants {
		if x.ID == id {
			return x, true
		}
	}
	return Variant{}, false
}

// ChaosActor reports whether the vector asks for the chaos actor.
func (v *Vector) ChaosActor() bool {
	return v.Selector[tvschema.SelectorChaosActor] == "true"
}

// Error is a problem with a vector, located by file and JSON field.
type Error struct {
	File  string
	Field string
	Err   error
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: field %s: %v", e.File, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func fieldErr(file, field string, format string, args ...any) *Error {
	return &Error{File: file, Field: field, Err: fmt.Errorf(format, args...)}
}
