// Package conformance gives a run of test vectors its verdict, the same one
// for every front end: Runner runs vectors through a driver and judges each
// variant against an expected-failures list (Expected, keyed by VectorKey so
// a list holds wherever a corpus is copied), Totals.Check turns the counts
// into the run's verdict (an empty run is not green), and Shard splits a
// corpus deterministically over machines. `tvx exec` and this package's
// test harness are front ends of Runner.
//
// `go test ./conformance` runs every vector variant of the corpora named in
// TVX_CORPUS (a path list), defaulting to the repository's corpus/ plus
// ../shared/test-vectors/corpus (required in CI or with
// TVX_REQUIRE_CORPUS=1) and, beside it, specs-actors-v6/corpus and the
// fvm-test-vectors sets nv14-chocolate, nv15-ohsnap, nv17-shark and
// nv18-hygge. The shipped list, expected-failures.txt, is built into tvx;
// the harness fails when an unlisted variant fails, when a listed one
// passes and when nothing ran.
package conformance
