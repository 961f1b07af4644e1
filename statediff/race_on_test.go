//go:build race

package statediff

// raceEnabled thins the FVM-era vector sets under the race detector, which
// slows the walks several times over; the plain run reads every vector.
const raceEnabled = true
