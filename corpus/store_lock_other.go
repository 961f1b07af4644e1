//go:build !unix

package corpus

import "os"

// lockStore opens the lock file. Without flock, exclusion rests on leveldb's
// own lock on the datastore directory, which makes a second process fail to
// open the store (with leveldb's message rather than ErrStoreInUse).
func lockStore(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

func unlockStore(f *os.File) error { return f.Close() }

// lockStoreShared opens the existing lock file read-only; leveldb's own
// lock, shared in its read-only mode, is what keeps writers out.
func lockStoreShared(path string) (*os.File, error) {
	return os.Open(path)
}
