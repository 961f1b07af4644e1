package conformance

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Expected is the list of vector variants known not to pass, keyed by
// "<path relative to its corpus root> <variant id>". A load failure of a
// whole vector uses "-" as its variant.
type Expected map[string]string

// ExpectedKey builds the key of a vector variant.
func ExpectedKey(rel, variant string) string { return rel + " " + variant }

// ReadExpected parses an expected-failures file: one failure per line,
// "<path> <variant> <reason>", with blank lines and #-comments ignored.
func ReadExpected(path string) (Expected, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseExpected(f, path)
}

// ParseExpected parses an expected-failures list read from r; name is used
// in errors.
func ParseExpected(r io.Reader, name string) (Expected, error) {
	out := Expected{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want \"<path> <variant> <reason>\"", name, n)
		}
		key := ExpectedKey(fields[0], fields[1])
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s listed twice", name, n, key)
		}
		out[key] = strings.Join(fields[2:], " ")
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}
