//go:build !race

package fvmtest

const raceEnabled = false
