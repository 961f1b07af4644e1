// Package conformance runs test-vector corpora as Go tests.
//
// `go test ./conformance` runs every vector variant of the corpora named in
// TVX_CORPUS (a path list), defaulting to the repository's corpus/ plus
// ../shared/test-vectors/corpus when it exists. Vectors that do not pass yet
// are listed, with their reasons, in expected-failures.txt; the test fails
// when an unlisted vector fails and when a listed one passes.
package conformance
