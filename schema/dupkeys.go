package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// maxJSONDepth bounds the nesting duplicateKey follows; vectors nest a
// handful of levels, so anything deeper is hostile.
const maxJSONDepth = 64

// duplicateKey reports the first object key that occurs twice in one
// object of data, as the dotted path of the second occurrence. encoding/json
// keeps the last value silently, which would let a second "class" change a
// vector's class. data must be valid JSON (Decode checks first).
func duplicateKey(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string, depth int) (string, error)
	walk = func(path string, depth int) (string, error) {
		if depth > maxJSONDepth {
			return path, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
		}
		tok, err := dec.Token()
		if err != nil {
			return path, err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return path, err
				}
				k, _ := kt.(string)
				field := k
				if path != "" {
					field = path + "." + k
				}
				if seen[k] {
					return field, fmt.Errorf("duplicate key %q", k)
				}
				seen[k] = true
				if f, err := walk(field, depth+1); err != nil {
					return f, err
				}
			}
			_, err := dec.Token() // '}'
			return path, err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if f, err := walk(path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
					return f, err
				}
			}
			_, err := dec.Token() // ']'
			return path, err
		}
		return path, nil
	}
	if f, err := walk("", 0); err != nil {
		return f, err
	}
	return "", nil
}
