package conformance

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// ExpectedFile is the name of the shipped expected-failures list.
const ExpectedFile = "expected-failures.txt"

//go:embed expected-failures.txt
var shippedList string

// Entry is one line of an expected-failures list: a vector variant that is
// known not to pass, and why.
type Entry struct {
	// Path is where the vector sits below its corpus's root, for people
	// reading the list; matching does not use it.
	Path string
	// Variant is the variant id, or "-" for a file that does not load.
	Variant string
	// Key is the vector's VectorKey (or FileKey): what entries match on.
	Key string
	// Reason says why the variant does not pass, with its evidence.
	Reason string
	// Line is the entry's line number in its file.
	Line int
}

// String formats e as a list line.
func (e Entry) String() string {
	return e.Path + " " + e.Variant + " " + e.Key + " " + e.Reason
}

// Expected is an expected-failures list. Entries match a vector variant by
// key and variant id only, so a list keeps working whichever folder a corpus
// is copied to or run from. A nil *Expected lists nothing.
type Expected struct {
	// Name is where the list came from (a file name, or the shipped list's).
	Name    string
	entries map[string]Entry
}

// Shipped returns the list that ships with tvx: every vector variant of the
// public corpora that tvx does not pass.
func Shipped() *Expected {
	e, err := ParseExpected(strings.NewReader(shippedList), "conformance/"+ExpectedFile)
	if err != nil {
		// The embedded list is parsed by this package's tests; a broken one
		// cannot be built into a release.
		panic(err)
	}
	return e
}

// ReadExpected parses the expected-failures file at path.
func ReadExpected(path string) (*Expected, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("expected-failures list: %w", err)
	}
	defer f.Close()
	return ParseExpected(f, path)
}

// ParseExpected parses an expected-failures list read from r: one entry per
// line, "<path> <variant> <key> <reason>", blank lines and #-comments
// ignored. name is used in errors and as the list's Name.
func ParseExpected(r io.Reader, name string) (*Expected, error) {
	out := &Expected{Name: name, entries: map[string]Entry{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !validKey(f[2]) {
			return nil, fmt.Errorf("%s:%d: want \"<path> <variant> <id>@<digest> <reason>\" (the key is printed by tvx exec and -write-expected)", name, n)
		}
		e := Entry{Path: f[0], Variant: f[1], Key: f[2], Reason: strings.Join(f[3:], " "), Line: n}
		k := entryKey(e.Key, e.Variant)
		if prev, dup := out.entries[k]; dup {
			return nil, fmt.Errorf("%s:%d: %s %s already listed on line %d", name, n, e.Key, e.Variant, prev.Line)
		}
		out.entries[k] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

func entryKey(key, variant string) string { return key + " " + variant }

// Lookup returns the entry for variant of the vector with key.
func (x *Expected) Lookup(key, variant string) (Entry, bool) {
	if x == nil {
		return Entry{}, false
	}
	e, ok := x.entries[entryKey(key, variant)]
	return e, ok
}

// Len is the number of entries.
func (x *Expected) Len() int {
	if x == nil {
		return 0
	}
	return len(x.entries)
}

// Entries returns the entries in path, variant order.
func (x *Expected) Entries() []Entry {
	if x == nil {
		return nil
	}
	out := make([]Entry, 0, len(x.entries))
	for _, e := range x.entries {
		out = append(out, e)
	}
	sortEntries(out)
	return out
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Path != es[j].Path {
			return es[i].Path < es[j].Path
		}
		if es[i].Variant != es[j].Variant {
			return es[i].Variant < es[j].Variant
		}
		return es[i].Key < es[j].Key
	})
}

// listHeader opens every list this package writes.
const listHeader = `# Vector variants that do not pass, one per line:
#   <path below its corpus root> <variant id> <vector key> <reason and evidence>
# Entries match on the vector key (<_meta.id>@<first 12 hex digits of the
# SHA-256 of the vector as compact JSON>) and the variant, never on the path,
# so the list holds wherever the corpus is copied. The harness and tvx exec
# fail when an unlisted variant fails and when a listed one passes.
`

// WriteExpected writes entries (sorted) as a list, with the header that
// explains the format.
func WriteExpected(w io.Writer, entries []Entry) error {
	es := append([]Entry(nil), entries...)
	sortEntries(es)
	var b strings.Builder
	b.WriteString(listHeader)
	for _, e := range es {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
