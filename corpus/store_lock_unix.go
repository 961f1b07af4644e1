//go:build unix

package corpus

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// lockStore takes an exclusive, non-blocking flock on path, so a second tvx
// process on the same store fails at once with a clear message instead of
// sharing a dagstore whose state lives in one process's memory. The kernel
// drops the lock when the process exits, however it exits, so a crash never
// leaves a stale lock behind.
func lockStore(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who != "" {
				who = " (pid " + who + ")"
			}
			return nil, fmt.Errorf("%w: locked by another tvx process%s", ErrStoreInUse, who)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Record the holder for the message above; the lock, not this content,
	// is what excludes.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return f, nil
}

// unlockStore releases the lock taken by lockStore.
func unlockStore(f *os.File) error {
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return f.Close()
}
