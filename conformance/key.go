package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// digestLen is the number of hex digits of a vector's content digest kept in
// its key: 48 bits, far more than any corpus needs to stay collision-free,
// short enough to read.
const digestLen = 12

// VectorKey identifies a vector by what every copy of it keeps, wherever the
// copy sits: "<_meta.id>@<digest>", the digest being the first 12 hex digits
// of the SHA-256 of the vector's JSON with insignificant whitespace removed
// (so re-indenting keeps it too). data is the vector's JSON as read. The id
// alone is not enough: the public corpora have vectors that share an id and
// a CAR and differ in their messages. Bytes that are not JSON are hashed as
// they are, and a vector without a readable id gets "-", so a broken file
// can be listed as well.
func VectorKey(data []byte) string {
	key, _ := inspect(data)
	return key
}

// inspect returns data's VectorKey, and whether data looks like a JSON
// Schema document (it names a "$schema" near its top, which no vector does),
// as an upstream checkout of the public corpus carries beside its vectors.
// The check is textual: that upstream schema.json is not strict JSON.
func inspect(data []byte) (key string, jsonSchema bool) {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	jsonSchema = bytes.Contains(head, []byte(`"$schema"`))
	var compact bytes.Buffer
	sum := sha256.Sum256(data)
	if json.Compact(&compact, data) == nil {
		sum = sha256.Sum256(compact.Bytes())
	}
	var meta struct {
		Meta struct {
			ID string `json:"id"`
		} `json:"_meta"`
	}
	_ = json.Unmarshal(data, &meta) // a vector without an id is keyed "-"
	return keyID(meta.Meta.ID) + "@" + hex.EncodeToString(sum[:])[:digestLen], jsonSchema
}

// keyID makes an id usable as one field of a list line.
func keyID(id string) string {
	if id == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '@' || r == ' ' || r == '\t' || r < 0x20 {
			return '_'
		}
		return r
	}, id)
}

// validKey reports whether s has the form VectorKey and FileKey give.
func validKey(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 1 || len(s)-at-1 != digestLen {
		return false
	}
	_, err := hex.DecodeString(s[at+1:])
	return err == nil
}
