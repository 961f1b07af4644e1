//go:build race

package wasmhost

// raceEnabled: the race detector slows Wasm compilation several times
// over, so tests that only add gas checks on more actor code skip it.
const raceEnabled = true
