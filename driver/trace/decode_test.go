package trace

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/exitcode"

	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// corpusDir is the public test-vector corpus, kept beside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	return testcorpus.Shared(t)
}

type corpusTraces struct {
	vector *schema.Vector
	traces []*ExecutionTrace
}

// loadCorpusTraces decodes the diagnostics of every corpus vector carrying
// them.
func loadCorpusTraces(t *testing.T) []corpusTraces {
	t.Helper()
	files, err := schema.Walk(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusTraces
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if v.Diagnostics == nil {
			continue
		}
		traces, err := Decode(v.Diagnostics)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, corpusTraces{vector: v, traces: traces})
	}
	return out
}

func sumTotal(cs []Charge) int64 {
	var n int64
	for _, c := range cs {
		n += c.TotalGas
	}
	return n
}

// TestCorpusDiagnostics decodes every corpus vector's traces and checks them
// against the vector's own receipts: one trace per receipt, and the charges
// of an explicit message add up to its receipt's gas, except when it ran out
// of gas (the failing charge is traced but the receipt is capped at the gas
// limit). Implicit reward and cron messages (from f00) are traced with their
// charges but their receipts record no gas.
func TestCorpusDiagnostics(t *testing.T) {
	all := loadCorpusTraces(t)
	if len(all) != 256 {
		t.Fatalf("decoded %d vectors with diagnostics, want 256", len(all))
	}
	var explicit, implicit, outOfGas, withSubcalls int
	for _, ct := range all {
		v := ct.vector
		receipts := v.Post.Receipts
		if len(ct.traces) != len(receipts) {
			t.Fatalf("%s: %d traces for %d receipts", v.Path, len(ct.traces), len(receipts))
		}
		if v.Class == schema.ClassMessage && len(ct.traces) != len(v.ApplyMessages) {
			t.Fatalf("%s: %d traces for %d messages", v.Path, len(ct.traces), len(v.ApplyMessages))
		}
		for i, tr := range ct.traces {
			if tr == nil {
				t.Fatalf("%s: trace %d is null", v.Path, i)
			}
			if len(tr.Subcalls) > 0 {
				withSubcalls++
			}
			charges := Flatten(tr)
			for _, c := range charges {
				if c.TotalGas != c.ComputeGas+c.StorageGas {
					t.Fatalf("%s: trace %d: charge %+v does not add up", v.Path, i, c)
				}
			}
			sum, rc := sumTotal(charges), receipts[i]
			switch {
			case tr.Msg != nil && tr.Msg.From == "f00":
				implicit++
				if rc.GasUsed != 0 || sum == 0 {
					t.Fatalf("%s: implicit trace %d: charges %d, receipt gas %d", v.Path, i, sum, rc.GasUsed)
				}
			case exitcode.ExitCode(rc.ExitCode) == exitcode.SysErrOutOfGas && sum != rc.GasUsed:
				outOfGas++
				if sum <= rc.GasUsed {
					t.Fatalf("%s: out-of-gas trace %d: charges %d not above receipt gas %d", v.Path, i, sum, rc.GasUsed)
				}
			default:
				explicit++
				if sum != rc.GasUsed {
					t.Fatalf("%s: trace %d: charges add up to %d, receipt says %d", v.Path, i, sum, rc.GasUsed)
				}
				if tr.MsgRct != nil && tr.MsgRct.ExitCode != exitcode.ExitCode(rc.ExitCode) {
					t.Fatalf("%s: trace %d: exit code %d, receipt says %d", v.Path, i, tr.MsgRct.ExitCode, rc.ExitCode)
				}
			}
		}
	}
	t.Logf("traces: %d explicit matching receipt gas, %d out of gas, %d implicit; %d with subcalls",
		explicit, outOfGas, implicit, withSubcalls)
	if explicit == 0 || implicit == 0 || outOfGas == 0 || withSubcalls == 0 {
		t.Fatal("corpus no longer exercises every kind of trace")
	}
}

// TestCorpusRawStorageGas pins the storage convention Charge normalises: the
// corpus traces record storage before the ×1000 multiplier.
func TestCorpusRawStorageGas(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(corpusDir(t), "actor_creation", "addresses--sequential-10--actorsv2.json"))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := Decode(v.Diagnostics)
	if err != nil {
		t.Fatal(err)
	}
	first := traces[0].GasCharges[0]
	if first.Name != "OnChainMessage" {
		t.Fatalf("first charge %q, want OnChainMessage", first.Name)
	}
	if first.StorageGas == 0 || first.TotalGas != first.ComputeGas+1000*first.StorageGas {
		t.Fatalf("raw charge %+v: want total = compute + 1000 × storage", first)
	}
	if c := first.Charge(); c.StorageGas != 1000*first.StorageGas {
		t.Fatalf("normalised storage %d, want %d", c.StorageGas, 1000*first.StorageGas)
	}
	if traces[0].Msg == nil || traces[0].Msg.CID == nil || traces[0].Msg.To != "f01" {
		t.Fatalf("message not decoded: %+v", traces[0].Msg)
	}
}

// TestCorpusTruncatedStreams counts the corpus files whose gzip stream lost
// its trailer to the unclosed base64 encoder, so the tolerant path is known
// to be exercised by TestCorpusDiagnostics.
func TestCorpusTruncatedStreams(t *testing.T) {
	files, err := schema.Walk(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	truncated, whole := 0, 0
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v.Diagnostics == nil {
			continue
		}
		gz, err := decodeBase64Prefix(v.Diagnostics.Data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_, cut, err := gunzipTolerant(gz)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cut {
			truncated++
		} else {
			whole++
		}
	}
	if truncated != 157 || whole != 99 {
		t.Fatalf("truncated %d, whole %d; want 157 and 99", truncated, whole)
	}
}

// encode builds diagnostics the way the vector generators did, optionally
// closing the base64 stream as they should have.
func encode(t *testing.T, payload []byte, closeBase64 bool) *schema.Diagnostics {
	t.Helper()
	var text bytes.Buffer
	b64 := base64.NewEncoder(base64.StdEncoding, &text)
	zw := gzip.NewWriter(b64)
	if _, err := zw.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if closeBase64 {
		if err := b64.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return &schema.Diagnostics{Format: FormatLotusV1, Data: text.Bytes()}
}

const sampleTraces = `[{"Msg":{"To":"f01","From":"f0100","Method":2,"Value":"0"},"MsgRct":{"ExitCode":0,"GasUsed":30},
"GasCharges":[{"Name":"OnChainMessage","tg":10,"cg":5,"sg":5}],
"Subcalls":[{"GasCharges":[{"Name":"OnMethodInvocation","tg":20,"cg":20,"sg":0,"ex":"ti"}],"Subcalls":null}]},
{"Msg":null,"MsgRct":null,"GasCharges":null,"Subcalls":null}]`

func TestDecodeForms(t *testing.T) {
	// Pad the payload so the gzip stream length is not a multiple of 3 and an
	// unclosed base64 encoder really drops bytes.
	var payload []byte
	for pad := 0; ; pad++ {
		p := append([]byte(sampleTraces), bytes.Repeat([]byte(" "), pad)...)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(p)
		zw.Close()
		if gz.Len()%3 != 0 {
			payload = p
			break
		}
	}
	closed := encode(t, payload, true)
	unclosed := encode(t, payload, false)
	if len(unclosed.Data) >= len(closed.Data) {
		t.Fatal("unclosed encoding did not lose its tail")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(payload)
	zw.Close()
	wrapped := strings.Join(strings.SplitAfter(string(closed.Data), "AAAA"), "\n")

	var asStrings []string
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(sampleTraces), &items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		asStrings = append(asStrings, string(it))
	}
	stringsJSON, _ := json.Marshal(asStrings)

	for name, d := range map[string]*schema.Diagnostics{
		"closed base64":          closed,
		"unclosed base64":        unclosed,
		"unpadded":               {Format: FormatLotusV1, Data: bytes.TrimRight(closed.Data, "=")},
		"line-wrapped":           {Format: FormatLotusV1, Data: []byte(wrapped)},
		"raw gzip":               {Format: FormatLotusV1, Data: gz.Bytes()},
		"entries as json string": encode(t, stringsJSON, true),
	} {
		t.Run(name, func(t *testing.T) {
			traces, err := Decode(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != 2 {
				t.Fatalf("%d traces, want 2", len(traces))
			}
			got := Flatten(traces[0])
			want := []Charge{{"OnChainMessage", 10, 5, 5}, {"OnMethodInvocation", 20, 20, 0}}
			if _, msg, diverged := FirstDivergence(want, got); diverged {
				t.Fatal(msg)
			}
			if string(traces[0].Subcalls[0].GasCharges[0].Extra) != `"ti"` {
				t.Fatalf("extra = %s", traces[0].Subcalls[0].GasCharges[0].Extra)
			}
			if traces[1].Msg != nil || len(Flatten(traces[1])) != 0 {
				t.Fatalf("rejected message trace = %+v", traces[1])
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, []byte(sampleTraces), true)
	gzText, err := base64.StdEncoding.DecodeString(string(good.Data))
	if err != nil {
		t.Fatal(err)
	}
	cut := []byte(base64.StdEncoding.EncodeToString(gzText[:len(gzText)/2]))
	for name, tc := range map[string]struct {
		d    *schema.Diagnostics
		want string
	}{
		"nil":            {nil, "no diagnostics"},
		"other format":   {&schema.Diagnostics{Format: "FVM-Trace", Data: good.Data}, "format"},
		"not base64":     {&schema.Diagnostics{Format: FormatLotusV1, Data: []byte("%%%%")}, "no base64"},
		"not gzip":       {&schema.Diagnostics{Format: FormatLotusV1, Data: []byte(base64.StdEncoding.EncodeToString([]byte("[]")))}, "not a gzip"},
		"cut in half":    {&schema.Diagnostics{Format: FormatLotusV1, Data: cut}, "ends early"},
		"not json":       {encode(t, []byte("hello"), true), "trace array"},
		"bad trace item": {encode(t, []byte(`[{"GasCharges":{}}]`), true), "trace 0"},
	} {
		t.Run(name, func(t *testing.T) {
			traces, err := Decode(tc.d)
			if err == nil {
				t.Fatalf("decoded %d traces, want an error", len(traces))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
