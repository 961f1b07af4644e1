package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is tvx's default GOGC. Replaying vectors allocates fast over a
// small live heap, so at Go's default of 100 the collector runs very often.
// Measured over the shared nv0–5 corpus (tvx exec, two paired rounds, user+sys
// CPU / peak RSS): GOGC=100 11.6 s / 92 MiB, 200 10.6 s / 110–123 MiB,
// 400 9.5 s / 143–163 MiB, 800 8.9 s / 162–182 MiB. 200 takes the first
// tenth of CPU off while peak memory stays near Lotus's runner (120 MiB).
const gcPercent = 200

// setGC applies gcPercent unless the user chose GOGC themselves.
func setGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
