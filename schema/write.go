package schema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tvx-project/tvx/internal/atomicfile"
)

// Marshal renders a vector as tvx writes vector files: indented JSON with
// a trailing newline. The encoding depends only on the vector (map keys
// sorted, no timestamps), so one input always gives the same bytes.
func Marshal(v *Vector) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode vector %s: %w", v.ID(), err)
	}
	return append(b, '\n'), nil
}

// WriteFile writes v to path atomically (see internal/atomicfile), so a
// reader, an interrupted run or a full disk never sees half a vector.
// Parent directories are created as needed.
func WriteFile(path string, v *Vector) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}
