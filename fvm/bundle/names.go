package bundle

import (
	"fmt"

	"github.com/ipfs/go-cid"
)

// CodeName names the actor whose Wasm code is code in the carried bundles,
// as the Go actors name theirs: "fil/<actors version>/<manifest name>"
// ("fil/9/storageminer"). It loads bundles as it searches; false when no
// carried bundle has the code (or one fails to load).
func (s *Set) CodeName(code cid.Cid) (string, bool) {
	for _, v := range ActorsVersions() {
		b, err := s.Get(v)
		if err != nil {
			return "", false
		}
		if a, ok := b.ByCode(code); ok {
			return fmt.Sprintf("fil/%d/%s", v, a.Name), true
		}
	}
	return "", false
}
