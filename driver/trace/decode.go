package trace

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tvx-project/tvx/schema"
)

// FormatLotusV1 is the diagnostics format holding Lotus execution traces.
const FormatLotusV1 = "Lotus-ExecutionTrace-V1"

// maxTraceJSON bounds the decompressed size of one vector's traces, so a
// corrupt or hostile file cannot exhaust memory. The largest corpus trace set
// is a few megabytes.
const maxTraceJSON = 256 << 20

// isGzip reports whether b starts with the gzip magic number.
func isGzip(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// Decode returns the execution traces in d, one per applied message (see the
// package comment for how they line up with a vector's messages).
//
// The vector generators stored the traces as base64 text of a gzip stream of
// a JSON array, and the schema encodes that text as base64 once more, so
// d.Data (already decoded once by the schema) is base64 text. The generators
// never closed the base64 stream, which drops the last few bytes of the gzip
// trailer in most files; Decode therefore accepts a gzip stream that ends
// early as long as the JSON read from it parses. It also accepts d.Data that
// is gzip already, and array entries that are JSON strings holding a trace,
// as the earliest generator wrote them.
func Decode(d *schema.Diagnostics) ([]*ExecutionTrace, error) {
	if d == nil {
		return nil, errors.New("no diagnostics")
	}
	if d.Format != FormatLotusV1 {
		return nil, fmt.Errorf("diagnostics format %q: want %q", d.Format, FormatLotusV1)
	}
	compressed := []byte(d.Data)
	if !isGzip(compressed) {
		var err error
		if compressed, err = decodeBase64Prefix(compressed); err != nil {
			return nil, fmt.Errorf("diagnostics data: %w", err)
		}
		if !isGzip(compressed) {
			return nil, errors.New("diagnostics data: not a gzip stream after base64 decoding")
		}
	}
	raw, truncated, err := gunzipTolerant(compressed)
	if err != nil {
		return nil, fmt.Errorf("diagnostics data: %w", err)
	}
	traces, err := parseTraces(raw)
	if err != nil {
		if truncated {
			return nil, fmt.Errorf("diagnostics data: gzip stream ends early after %d bytes of JSON, which do not parse: %w", len(raw), err)
		}
		return nil, fmt.Errorf("diagnostics data: %w", err)
	}
	return traces, nil
}

// decodeBase64Prefix decodes as much of text as is valid base64: whitespace is
// skipped, padding is optional, and decoding stops at the first byte that is
// not base64 or at a dangling single character. Nothing valid is an error.
func decodeBase64Prefix(text []byte) ([]byte, error) {
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		clean = append(clean, c)
	}
	// Keep the longest run of base64 alphabet characters; anything after it
	// (padding included) is not data.
	n := 0
	for n < len(clean) && isBase64Char(clean[n]) {
		n++
	}
	if n%4 == 1 {
		n-- // a lone character carries fewer than 8 bits
	}
	if n == 0 {
		return nil, errors.New("no base64 data")
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(n))
	m, err := base64.RawStdEncoding.Decode(out, clean[:n])
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	return out[:m], nil
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// gunzipTolerant inflates a gzip stream, reporting whether it ended before
// its end marker and trailer instead of failing, so the caller can judge the
// bytes read so far.
func gunzipTolerant(data []byte) (out []byte, truncated bool, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false, fmt.Errorf("gzip header: %w", err)
	}
	// Traces are one gzip member; a short trailer must not send the reader
	// looking for a next one.
	zr.Multistream(false)
	out, err = io.ReadAll(io.LimitReader(zr, maxTraceJSON+1))
	if len(out) > maxTraceJSON {
		return nil, false, fmt.Errorf("traces larger than %d bytes", maxTraceJSON)
	}
	switch {
	case err == nil:
		return out, false, nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return out, true, nil
	default:
		return nil, false, fmt.Errorf("gzip: %w", err)
	}
}

// parseTraces reads the JSON array of traces. A single trace object is
// accepted as an array of one.
func parseTraces(raw []byte) ([]*ExecutionTrace, error) {
	raw = bytes.TrimSpace(raw)
	if bytes.HasPrefix(raw, []byte("{")) {
		var t ExecutionTrace
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		return []*ExecutionTrace{&t}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("trace array: %w", err)
	}
	out := make([]*ExecutionTrace, len(items))
	for i, item := range items {
		item = bytes.TrimSpace(item)
		if bytes.Equal(item, []byte("null")) {
			continue
		}
		if bytes.HasPrefix(item, []byte(`"`)) {
			var s string
			if err := json.Unmarshal(item, &s); err != nil {
				return nil, fmt.Errorf("trace %d: %w", i, err)
			}
			item = []byte(s)
		}
		var t ExecutionTrace
		if err := json.Unmarshal(item, &t); err != nil {
			return nil, fmt.Errorf("trace %d: %w", i, err)
		}
		out[i] = &t
	}
	return out, nil
}
