package schema

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxVectorFileSize caps the size of one vector file or stream line.
const MaxVectorFileSize = 512 << 20

// LoadFile reads and validates the vector in the JSON file at path.
func LoadFile(path string) (*Vector, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxVectorFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	if len(data) > MaxVectorFileSize {
		return nil, &Error{File: path, Err: fmt.Errorf("file larger than %d bytes", MaxVectorFileSize)}
	}
	return Decode(path, data)
}

// Walk returns the vector files under root, sorted: every *.json file found
// recursively, skipping files and directories whose names start with "_" or
// ".". A root that is a file is returned as is.
func Walk(root string) ([]string, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{root}, nil
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != root && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(name, ".json") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Strings(out)
	return out, nil
}

// ReadStream reads JSON vectors from r, concatenated (pretty-printed or
// not) or newline-delimited as StreamValues splits them, and calls fn with
// each vector, or with the error for input that is not a valid vector, in
// order. Vectors are named "<name>:<line>". fn's error stops the stream.
func ReadStream(r io.Reader, name string, fn func(*Vector, error) error) error {
	return StreamValues(r, name, func(label string, data []byte, err error) error {
		if err != nil {
			return fn(nil, err)
		}
		return fn(Decode(label, data))
	})
}
