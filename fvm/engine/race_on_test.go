//go:build race

package engine

// raceEnabled: the race detector slows the compiler several times over,
// so tests that compile every bundle module run only without it.
const raceEnabled = true
