//go:build !unix

package main

import "time"

// processCPU is 0: this platform's CPU clock is not read.
func processCPU() time.Duration { return 0 }
