package corpus

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/filecoin-project/dagstore/mount"
)

// carMountScheme is the URL scheme under which the dagstore persists a
// vector CAR mount.
const carMountScheme = "tvxcar"

// carMount is the dagstore mount of one vector's CARv1, kept in the store's
// cars directory under the shard key. Only the key is serialized: the
// directory comes from the template registered with the dagstore (which
// copies exported fields into each instance), so a store directory can be
// moved without rewriting its state.
type carMount struct {
	// Dir is the store's cars directory.
	Dir string
	// Key is the shard key, the hex SHA-256 of the CAR.
	Key string
}

var _ mount.Mount = (*carMount)(nil)

func carFileName(key string) string { return key + ".car" }

func (m *carMount) path() string { return filepath.Join(m.Dir, carFileName(m.Key)) }

// Fetch opens the CAR file. Returning the *os.File lets the dagstore's
// accessor memory-map it.
func (m *carMount) Fetch(context.Context) (mount.Reader, error) {
	f, err := os.Open(m.path())
	if err != nil {
		return nil, fmt.Errorf("open CAR of shard %s: %w", m.Key, err)
	}
	return f, nil
}

// Info reports a local file with every access pattern, so the dagstore reads
// it in place and never copies it into a transient.
func (m *carMount) Info() mount.Info {
	return mount.Info{Kind: mount.KindLocal, AccessSequential: true, AccessSeek: true, AccessRandom: true}
}

// Stat implements mount.Mount.
func (m *carMount) Stat(context.Context) (mount.Stat, error) {
	st, err := os.Stat(m.path())
	if os.IsNotExist(err) {
		return mount.Stat{}, nil
	}
	if err != nil {
		return mount.Stat{}, err
	}
	return mount.Stat{Exists: true, Size: st.Size(), Ready: true}, nil
}

// Serialize implements mount.Mount; the registry fills in the scheme.
func (m *carMount) Serialize() *url.URL {
	return &url.URL{Host: m.Key}
}

// Deserialize implements mount.Mount.
func (m *carMount) Deserialize(u *url.URL) error {
	if !validShardKey(u.Host) {
		return fmt.Errorf("tvx CAR mount: bad shard key %q", u.Host)
	}
	m.Key = u.Host
	return nil
}

// Close implements mount.Mount; the mount holds nothing open.
func (m *carMount) Close() error { return nil }

// validShardKey reports whether k has the form of a shard key: 64 lower-case
// hex digits.
func validShardKey(k string) bool {
	if len(k) != 64 {
		return false
	}
	for _, c := range k {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
