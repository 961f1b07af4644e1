//go:build race

package process

// raceEnabled shrinks the corpus round trip under the race detector, which
// slows the VM several times over.
const raceEnabled = true
