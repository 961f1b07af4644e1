//go:build race

package corpus

// raceEnabled shrinks the tests' corpus subsets under the race detector,
// which slows indexing several times over.
const raceEnabled = true
