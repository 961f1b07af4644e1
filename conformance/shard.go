package conformance

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard selects a deterministic 1/N of a corpus's vector variants, so a CI
// system can split one run over N machines. The zero Shard selects
// everything.
type Shard struct {
	// K is the shard's number, 1 to N.
	K, N int
}

// ParseShard parses "K/N" with 1 <= K <= N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("shard %q: want K/N with 1 <= K <= N", s)
	}
	return Shard{K: ki, N: ni}, nil
}

// All reports whether s selects everything.
func (s Shard) All() bool { return s.N <= 1 }

// Has reports whether the variant of the vector with key belongs to s. The
// choice hashes the key and variant only, so it is the same on every machine
// and for every copy of the corpus, and each variant is in exactly one of
// the N shards.
func (s Shard) Has(key, variant string) bool {
	if s.All() {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(variant))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

// String formats s as "K/N" ("" for the zero Shard).
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}
