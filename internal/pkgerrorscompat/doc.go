// Package pkgerrorscompat holds the test that runs tvx's replacement for
// github.com/pkg/errors (third_party/pkgerrors) side by side with the
// original v0.9.1, which go.mod makes importable under the path
// tvx.invalid/upstream/pkgerrors for that purpose only.
package pkgerrorscompat
