package schema

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

func tipsetSample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../corpus/public/reward/penalties--penalize-bad-nonce-multiple-miners--tape.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func wantField(t *testing.T, data []byte, field string) {
	t.Helper()
	_, err := Decode("x.json", data)
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want a *schema.Error naming %s, got %v", field, err)
	}
	if se.Field != field {
		t.Fatalf("error %q names field %q, want %q", err, se.Field, field)
	}
}

func mutateData(t *testing.T, data []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Offsets and epochs are range-checked at load, so no run can overflow an
// epoch, start below zero or run null rounds without end.
func TestEpochRanges(t *testing.T) {
	ts := tipsetSample(t)
	setTipsetOffset := func(i int, off any) func(m map[string]any) {
		return func(m map[string]any) { m["apply_tipsets"].([]any)[i].(map[string]any)["epoch_offset"] = off }
	}
	setVariantEpoch := func(e any) func(m map[string]any) {
		return func(m map[string]any) {
			m["preconditions"].(map[string]any)["variants"].([]any)[0].(map[string]any)["epoch"] = e
		}
	}
	for _, c := range []struct {
		name  string
		data  []byte
		field string
	}{
		{"huge tipset offset", mutateData(t, ts, setTipsetOffset(0, 1e12)), "apply_tipsets[0].epoch_offset"},
		{"offset overflowing int64", mutateData(t, ts, setTipsetOffset(0, int64(math.MaxInt64))), "apply_tipsets[0].epoch_offset"},
		{"null-round run too long", mutateData(t, ts, setTipsetOffset(0, MaxNullRounds+100)), "apply_tipsets[0].epoch_offset"},
		{"tipsets going back", mutateData(t, ts, setTipsetOffset(0, -1)), "apply_tipsets[0].epoch_offset"},
		{"epoch below zero after offset", mutateData(t, mutate(t, func(m map[string]any) {}), func(m map[string]any) {
			m["apply_messages"].([]any)[0].(map[string]any)["epoch_offset"] = -5
		}), "apply_messages[0].epoch_offset"},
		{"huge message offset", mutate(t, func(m map[string]any) { m["apply_messages"].([]any)[0].(map[string]any)["epoch_offset"] = 1e12 }), "apply_messages[0].epoch_offset"},
		{"huge variant epoch", mutate(t, setVariantEpoch(int64(math.MaxInt64))), "preconditions.variants[0].epoch"},
	} {
		t.Run(c.name, func(t *testing.T) { wantField(t, c.data, c.field) })
	}
	// The real offsets still load.
	if _, err := Decode("x.json", ts); err != nil {
		t.Fatal(err)
	}
}

// Schema gaps: null elements, duplicate keys, errors that stop at the
// element instead of naming the field.
func TestSchemaStrictness(t *testing.T) {
	good, err := os.ReadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	for _, c := range []struct {
		name  string
		data  []byte
		field string
	}{
		{"null receipt", mutate(t, func(m map[string]any) { m["postconditions"].(map[string]any)["receipts"] = []any{nil} }), "postconditions.receipts[0]"},
		{"null variant", mutate(t, func(m map[string]any) { m["preconditions"].(map[string]any)["variants"] = []any{nil} }), "preconditions.variants[0]"},
		{"null message", mutate(t, func(m map[string]any) { m["apply_messages"] = []any{nil} }), "apply_messages[0]"},
		{"receipt field type", mutate(t, func(m map[string]any) {
			m["postconditions"].(map[string]any)["receipts"].([]any)[0].(map[string]any)["gas_used"] = "lots"
		}), "postconditions.receipts[0].gas_used"},
		{"variant field type", mutate(t, func(m map[string]any) {
			m["preconditions"].(map[string]any)["variants"].([]any)[0].(map[string]any)["nv"] = "six"
		}), "preconditions.variants[0].nv"},
		{"duplicate class", []byte(strings.Replace(s, `"class": "message",`, `"class": "message", "class": "tipset",`, 1)), "class"},
		{"duplicate nested key", []byte(strings.Replace(s, `"nv": `, `"nv": 0, "nv": `, 1)), "preconditions.variants[0].nv"},
	} {
		t.Run(c.name, func(t *testing.T) { wantField(t, c.data, c.field) })
	}
}

// errFS is a directory tree in which one subdirectory cannot be read.
type errFS struct{ fstest.MapFS }

func (e errFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "locked" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return e.MapFS.ReadDir(name)
}

// One unreadable subdirectory is one error entry, not an aborted walk.
func TestWalkUnreadableSubdirectory(t *testing.T) {
	fsys := errFS{fstest.MapFS{
		"a.json":        {Data: []byte("{}")},
		"locked/b.json": {Data: []byte("{}")},
		"z/c.json":      {Data: []byte("{}")},
	}}
	found, err := walkFS(fsys, "root")
	if err != nil {
		t.Fatal(err)
	}
	var paths, bad []string
	for _, f := range found {
		paths = append(paths, f.Path)
		if f.Err != nil {
			bad = append(bad, f.Path)
		}
	}
	if strings.Join(paths, ",") != "root/a.json,root/locked,root/z/c.json" || len(bad) != 1 || bad[0] != "root/locked" {
		t.Fatalf("found %v, unreadable %v", paths, bad)
	}
}

// A file over the size limit is refused from its size, before any of it is
// buffered (a sparse file: reading it would cost the limit in memory).
func TestOversizeFileRefusedUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1 << 40)
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = LoadFile(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("want a size error, got %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("refusing the file allocated %d bytes", n)
	}
}

// A gzip bomb that states its size in the gzip trailer is refused without
// decompressing it.
func TestGzipBombRefusedFromTrailer(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 2*DefaultMaxCARSize>>20; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	v := &Vector{Path: "bomb.json"}
	v.CAR = buf.Bytes()
	_, err := v.CARv1(0)
	if !errors.Is(err, ErrCARTooLarge) || !strings.Contains(err.Error(), "gzip trailer") {
		t.Fatalf("want ErrCARTooLarge from the trailer, got %v", err)
	}
}

// Decompression asks its caller to reserve every byte past the size the
// gzip trailer states (the caller has budgeted for that size), chunk by
// chunk before holding it, and stops at the first refusal; an honest
// stream asks for nothing.
func TestCARv1ReservesWhatTheTrailerHides(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 3<<20))
	zw.Close()
	honest := &Vector{Path: "honest.json"}
	honest.CAR = buf.Bytes()
	asked := int64(0)
	reserve := func(n int64) error { asked += n; return nil }
	car, err := honest.CARv1Reserving(0, reserve)
	if err != nil || len(car) != 3<<20 || asked != 0 {
		t.Fatalf("honest stream: %d bytes, reserved %d, %v", len(car), asked, err)
	}

	lying := &Vector{Path: "lying.json"}
	lying.CAR = bytes.Clone(buf.Bytes())
	binary.LittleEndian.PutUint32(lying.CAR[len(lying.CAR)-4:], 1000)
	asked = 0
	_, err = lying.CARv1Reserving(2<<20, reserve)
	if !errors.Is(err, ErrCARTooLarge) {
		t.Fatalf("want ErrCARTooLarge, got %v", err)
	}
	if asked < 2<<20-1000 || asked > 2<<20+carChunk {
		t.Fatalf("reserved %d bytes for a stream read to a 2 MiB cap", asked)
	}
	refused := errors.New("no memory")
	_, err = lying.CARv1Reserving(0, func(int64) error { return refused })
	var se *Error
	if !errors.Is(err, refused) || !errors.As(err, &se) || se.Field != "car" {
		t.Fatalf("want the refusal on field car, got %v", err)
	}
}
