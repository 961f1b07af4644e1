package schema

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/tvx-project/tvx/internal/fuzzwatch"
	"github.com/tvx-project/tvx/protocol"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/internal/testcorpus"
)

func sampleFile(t testing.TB) string {
	t.Helper()
	return filepath.Join("..", "corpus", "public", "transfer", "unknown_accounts--fail-unknown-sender-unknown-receiver--genesis.json")
}

// mutate loads the sample vector as generic JSON, applies f and re-encodes it.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
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

func TestLoadSample(t *testing.T) {
	v, err := LoadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Class != ClassMessage || len(v.Pre.Variants) != 4 || v.Pre.Variants[0].ID != "genesis" || v.Pre.Variants[3].NetworkVersion != 3 {
		t.Fatalf("unexpected vector: class %q variants %+v", v.Class, v.Pre.Variants)
	}
	car, err := v.CARv1(0)
	if err != nil {
		t.Fatal(err)
	}
	// A CARv1 starts with a varint header length followed by a CBOR map.
	if len(car) < 2 || car[1]&0xe0 != 0xa0 {
		t.Fatalf("decoded CAR does not look like CARv1: % x", car[:8])
	}
}

func TestBadInputs(t *testing.T) {
	gz := func(b []byte) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	full, err := os.ReadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		data  []byte
		field string // "" when the error concerns the whole document
		car   bool   // error only appears when the CAR is decoded
	}{
		{"truncated", full[:len(full)/2], "", false},
		{"bad base64", mutate(t, func(m map[string]any) { m["car"] = "!!not base64!!" }), "car", false},
		{"not gzip", mutate(t, func(m map[string]any) { m["car"] = base64.StdEncoding.EncodeToString([]byte("plain bytes, no gzip")) }), "car", true},
		{"unknown nv", mutate(t, func(m map[string]any) {
			m["preconditions"].(map[string]any)["variants"].([]any)[0].(map[string]any)["nv"] = 99
		}), "preconditions.variants[0].nv", false},
		{"bad cid", mutate(t, func(m map[string]any) {
			m["preconditions"].(map[string]any)["state_tree"] = map[string]any{"root_cid": map[string]any{"/": "bafynotacid"}}
		}), "preconditions.state_tree.root_cid", false},
		{"no variants", mutate(t, func(m map[string]any) { m["preconditions"].(map[string]any)["variants"] = []any{} }), "preconditions.variants", false},
		{"receipts count", mutate(t, func(m map[string]any) { m["postconditions"].(map[string]any)["receipts"] = []any{} }), "postconditions.receipts", false},
		{"bad class", mutate(t, func(m map[string]any) { m["class"] = "blockseq" }), "class", false},
		{"bad randomness", mutate(t, func(m map[string]any) { m["randomness"] = []any{map[string]any{"on": []any{"chain"}, "ret": ""}} }), "randomness", false},
		{"gzip of garbage", mutate(t, func(m map[string]any) { m["car"] = gz([]byte("definitely not a car")) }), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Decode("x.json", c.data)
			if err == nil && c.car {
				_, err = v.CARv1(0)
			}
			if c.field == "" && c.name == "gzip of garbage" {
				// Decodes fine: the CAR content is checked by corpus.
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *schema.Error, got %v", err)
			}
			if se.File != "x.json" || se.Field != c.field {
				t.Fatalf("error %q: file %q field %q, want field %q", err, se.File, se.Field, c.field)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ { // 64 MiB of zeros compress to ~64 KiB
		zw.Write(zeros)
	}
	zw.Close()
	v := &Vector{Path: "bomb.json"}
	v.CAR = buf.Bytes()
	_, err := v.CARv1(8 << 20)
	if !errors.Is(err, ErrCARTooLarge) {
		t.Fatalf("want ErrCARTooLarge, got %v", err)
	}
	var se *Error
	if !errors.As(err, &se) || se.Field != "car" {
		t.Fatalf("error does not name the car field: %v", err)
	}
}

func TestRandomnessForms(t *testing.T) {
	var recs []RandomnessRecord
	in := `[{"on":["chain",68976],"ret":"AQI="},{"on":["beacon",7,100,"AAE="],"ret":"AwQ="}]`
	if err := json.Unmarshal([]byte(in), &recs); err != nil {
		t.Fatal(err)
	}
	if !recs[0].Digest || recs[0].Kind != RandomnessChain || recs[0].Epoch != 68976 || !bytes.Equal(recs[0].Return, []byte{1, 2}) {
		t.Fatalf("digest form decoded wrong: %+v", recs[0])
	}
	if recs[1].Digest || recs[1].Kind != RandomnessBeacon || recs[1].DST != 7 || recs[1].Epoch != 100 || !bytes.Equal(recs[1].Entropy, []byte{0, 1}) {
		t.Fatalf("legacy form decoded wrong: %+v", recs[1])
	}
	out, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Fatalf("round trip:\n got %s\nwant %s", out, in)
	}
}

func TestRandomnessPaddedDigestForm(t *testing.T) {
	var r RandomnessRecord
	if err := json.Unmarshal([]byte(`{"on":["chain",68976,null,null],"ret":"AQI="}`), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Digest || r.Epoch != 68976 || r.DST != 0 {
		t.Fatalf("padded digest form decoded as %+v", r)
	}
}

// TestSharedCorpus decodes every public vector and its CAR, and checks the
// variants' codenames agree with the protocol table.
func TestSharedCorpus(t *testing.T) {
	files, err := Walk(testcorpus.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	variants := 0
	for _, f := range files {
		v, err := LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.CARv1(0); err != nil {
			t.Fatal(err)
		}
		for _, vr := range v.Pre.Variants {
			variants++
			p, ok := protocol.Mainnet().ByCodename(vr.ID)
			if !ok || uint(p.Version) != vr.NetworkVersion || vr.Epoch <= int64(p.Epoch) && p.Epoch != 0 {
				t.Errorf("%s: variant %+v disagrees with protocol %+v", f, vr, p)
			}
		}
	}
	if len(files) != 742 || variants != 1154 {
		t.Errorf("corpus has %d vectors and %d variants, want 742 and 1154", len(files), variants)
	}
}

func TestReadStream(t *testing.T) {
	good, err := os.ReadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	good = bytes.ReplaceAll(good, []byte("\n"), nil)
	in := string(good) + "\n\n{\"class\": \"message\"\n" + string(good) + "\n"
	var names []string
	var errs int
	err = ReadStream(strings.NewReader(in), "-", func(v *Vector, err error) error {
		if err != nil {
			errs++
			if !strings.HasPrefix(err.Error(), "-:3:") {
				t.Errorf("stream error does not name the line: %v", err)
			}
			return nil
		}
		names = append(names, v.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs != 1 || strings.Join(names, ",") != "-:1,-:4" {
		t.Fatalf("got vectors %v and %d errors", names, errs)
	}
}

func TestWalkSkipsHidden(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.json", "_b.json", ".c.json", "_d/e.json", "f/g.json", "f/h.txt"} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte("{}"), 0o644)
	}
	got, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "f/g.json")}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func FuzzDecode(f *testing.F) {
	if data, err := os.ReadFile(sampleFile(f)); err == nil {
		f.Add(data)
		f.Add(data[:len(data)/3])
	}
	f.Add([]byte(`{"class":"message","car":"H4sI","preconditions":{"variants":[{"id":"x","epoch":1,"nv":0}],"state_tree":{"root_cid":{"/":"bafy"}}},"postconditions":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer fuzzwatch.Start("schema.Decode")()
		v, err := Decode("fuzz.json", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.File != "fuzz.json" {
				t.Fatalf("error without file: %v", err)
			}
			return
		}
		if _, err := v.CARv1(1 << 20); err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Field != "car" {
				t.Fatalf("CAR error without field: %v", err)
			}
		}
	})
}

// Concatenated pretty-printed vectors, as `tvx extract` and Lotus's tvx
// write them, stream like newline-delimited ones.
func TestReadStreamConcatenatedPretty(t *testing.T) {
	good, err := os.ReadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, good, "", "  "); err != nil {
		t.Fatal(err)
	}
	compact := bytes.ReplaceAll(good, []byte("\n"), nil)
	in := pretty.String() + pretty.String() + "\n" + string(compact) + string(compact)
	n := 0
	err = ReadStream(strings.NewReader(in), "-", func(v *Vector, err error) error {
		if err != nil {
			t.Errorf("vector %d: %v", n, err)
		}
		n++
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("read %d vectors, err %v", n, err)
	}
}

// A chain CAR handed where a vector is expected is named as a CAR, not
// reported as malformed JSON.
func TestLoadFileNamesChainCAR(t *testing.T) {
	for name, path := range testcorpus.GenesisCARs(t) {
		_, err := LoadFile(path)
		if err == nil || !strings.Contains(err.Error(), "a CAR file, not a vector") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
