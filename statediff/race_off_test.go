//go:build !race

package statediff

// raceEnabled: see race_on_test.go.
const raceEnabled = false
