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
// sharing a dagstore whose state lives in one process's memory (and a
// writer never changes a store under a read-only process's feet). The kernel
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
			if readersOnly(path) {
				return nil, fmt.Errorf("%w: open read-only by another tvx process", ErrStoreInUse)
			}
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

// readersOnly reports whether the lock on path that kept a writer out is
// held by read-only processes only: a shared lock can still be taken.
func readersOnly(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil
}

// lockStoreShared takes a shared, non-blocking flock on the existing lock
// file at path, for a read-only store: read-only processes share the store,
// and a writer's exclusive lock keeps them out (and them it). The file is
// opened read-only and neither created nor written.
func lockStoreShared(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("not a corpus store: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who != "" {
				who = " (pid " + who + ")"
			}
			return nil, fmt.Errorf("%w: being written by another tvx process%s", ErrStoreInUse, who)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// unlockStore releases the lock taken by lockStore or lockStoreShared.
func unlockStore(f *os.File) error {
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return f.Close()
}
