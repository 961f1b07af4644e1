package extract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tvx-project/tvx/schema"
)

// Marshal renders a vector as tvx writes vector files: indented JSON with
// a trailing newline. The encoding depends only on the vector (map keys
// sorted, no timestamps), so one input always gives the same bytes.
func Marshal(v *schema.Vector) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode vector %s: %w", v.ID(), err)
	}
	return append(b, '\n'), nil
}

// WriteFile writes v to path atomically: the bytes go to a temporary file
// in the same directory, which is then renamed over path, so a reader (or
// an interrupted run) never sees half a vector. Parent directories are
// created as needed.
func WriteFile(path string, v *schema.Vector) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
