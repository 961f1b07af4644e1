//go:build race

package fvmtest

// raceEnabled: the race detector slows Wasm compilation and execution
// several times over, so tests run one network version under it.
const raceEnabled = true
