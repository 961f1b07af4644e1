package schema

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxVectorFileSize caps the size of one vector file or stream object. The
// largest public vector is under 3 MiB.
const MaxVectorFileSize = 64 << 20

// ReadFile reads a vector file's bytes, refusing one larger than
// MaxVectorFileSize before reading any of it (and, should it grow while
// being read, after reading no more than the limit).
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	tooBig := &Error{File: path, Err: fmt.Errorf("file larger than %d bytes", MaxVectorFileSize)}
	size := int64(0)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if st.Size() > MaxVectorFileSize {
			return nil, tooBig
		}
		size = st.Size()
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := io.Copy(buf, io.LimitReader(f, MaxVectorFileSize+1)); err != nil {
		return nil, &Error{File: path, Err: err}
	}
	if buf.Len() > MaxVectorFileSize {
		return nil, tooBig
	}
	return buf.Bytes(), nil
}

// LoadFile reads and validates the vector in the JSON file at path.
func LoadFile(path string) (*Vector, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if looksLikeCAR(data) {
		return nil, &Error{File: path, Err: errors.New("a CAR file, not a vector: a chain CAR (such as a genesis CAR) is read by `tvx chain info`, `tvx extract --car` and `tvx diff --car`")}
	}
	return Decode(path, data)
}

// carV2Pragma opens every CARv2 file.
var carV2Pragma = []byte{0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x02}

// looksLikeCAR reports whether data starts as a CAR does: the CARv2 pragma,
// or a CARv1 header (a length prefix, then a CBOR map naming its version
// and roots). A vector file starts with '{' (after whitespace), which no
// CAR does, so the check cannot turn a vector away.
func looksLikeCAR(data []byte) bool {
	if bytes.HasPrefix(data, carV2Pragma) {
		return true
	}
	n, k := binary.Uvarint(data)
	if k <= 0 || n == 0 || n > uint64(len(data)-k) {
		return false
	}
	header := data[k : k+int(n)]
	return header[0]&0xe0 == 0xa0 && bytes.Contains(header, []byte("version")) && bytes.Contains(header, []byte("roots"))
}

// Walk returns the vector files under root, sorted: every *.json file found
// recursively, skipping files and directories whose names start with "_" or
// ".". A root that is a file is returned as is. A subdirectory that cannot
// be read fails the walk; WalkFound reports it and carries on.
func Walk(root string) ([]string, error) {
	found, err := WalkFound(root)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(found))
	for _, f := range found {
		if f.Err != nil {
			return nil, fmt.Errorf("walk %s: %w", root, f.Err)
		}
		out = append(out, f.Path)
	}
	return out, nil
}

// Found is one result of WalkFound: a vector file, or (Err set) a
// directory below the root that could not be read.
type Found struct {
	Path string
	Err  error
}

// WalkFound is Walk that reports each unreadable subdirectory as one entry
// with its error, in path order, instead of failing the whole walk. Only an
// unreadable root is an error.
func WalkFound(root string) ([]Found, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []Found{{Path: root}}, nil
	}
	return walkFS(os.DirFS(root), root)
}

// walkFS walks fsys, naming what it finds below root.
func walkFS(fsys fs.FS, root string) ([]Found, error) {
	var out []Found
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err != nil {
			if p == "." {
				return err
			}
			out = append(out, Found{Path: full, Err: err})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if p != "." && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(name, ".json") {
			out = append(out, Found{Path: full})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
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
