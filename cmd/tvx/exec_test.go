package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "../../corpus/public"

func runTvx(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errw syncBuffer
	code := run(append([]string{"tvx"}, args...), strings.NewReader(stdin), &out, &errw)
	return code, out.String(), errw.String()
}

func countVariants(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v struct {
			Pre struct {
				Variants []json.RawMessage `json:"variants"`
			} `json:"preconditions"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		n += len(v.Pre.Variants)
		return nil
	})
	return n
}

func TestExecDirectoryLinesAndSummary(t *testing.T) {
	code, out, _ := runTvx(t, "", "exec", "--parallel", "2", sample)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := countVariants(t, sample)
	var results int
	for _, l := range lines[:len(lines)-1] {
		for _, s := range []string{"PASS ", "FAIL ", "SKIP ", "ERROR"} {
			if strings.HasPrefix(l, s) {
				results++
			}
		}
	}
	if results != want {
		t.Fatalf("%d result lines for %d variants:\n%s", results, want, out)
	}
	last := lines[len(lines)-1]
	if !strings.HasSuffix(last, "skipped") || !strings.Contains(last, " passed, ") {
		t.Fatalf("last line is not the summary: %q", last)
	}
	failed := strings.Contains(out, "\nFAIL ") || strings.HasPrefix(out, "FAIL ") || strings.Contains(out, "\nERROR")
	if failed != (code == exitFailed) || (!failed && code != exitOK) {
		t.Fatalf("exit status %d does not match the results:\n%s", code, out)
	}
}

func TestExecJSON(t *testing.T) {
	_, out, errw := runTvx(t, "", "exec", "--json", sample)
	want := countVariants(t, sample)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != want+1 {
		t.Fatalf("%d JSON lines for %d variants and a summary", len(lines), want)
	}
	var sum struct {
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[want]), &sum); err != nil || sum.Summary["verdict"] == nil {
		t.Fatalf("last line is not the summary object: %q", lines[want])
	}
	for _, l := range lines[:want] {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, k := range []string{"file", "key", "id", "class", "variant", "nv", "epoch", "status", "verdict", "reason", "duration_ms"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("field %s missing in %s", k, l)
			}
		}
		switch m["status"] {
		case "pass", "fail", "skip", "error":
		default:
			t.Fatalf("bad status in %s", l)
		}
	}
	if !strings.Contains(errw, " passed, ") {
		t.Fatalf("summary missing from stderr: %q", errw)
	}
}

func TestExecDeterministicOrder(t *testing.T) {
	strip := stripDurations
	_, a, _ := runTvx(t, "", "exec", "--parallel", "1", sample)
	_, b, _ := runTvx(t, "", "exec", "--parallel", "4", sample)
	if strip(a) != strip(b) {
		t.Fatalf("output depends on parallelism:\n%s\n---\n%s", a, b)
	}
}

func TestExecBadSingleFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"class": "message", "car": "###"`), 0o644)
	code, out, errw := runTvx(t, "", "exec", bad)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	if out != "" || !strings.Contains(errw, bad) || strings.Count(strings.TrimSpace(errw), "\n") != 0 {
		t.Fatalf("want one stderr line naming the file, got stdout %q stderr %q", out, errw)
	}
}

func TestExecBadFileInDirectory(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(sample, "transfer", "unknown_accounts--fail-unknown-sender-unknown-receiver--genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.json"), good, 0o644)
	var v map[string]any
	json.Unmarshal(good, &v)
	v["preconditions"].(map[string]any)["variants"].([]any)[0].(map[string]any)["nv"] = 42
	badData, _ := json.Marshal(v)
	os.WriteFile(filepath.Join(dir, "b.json"), badData, 0o644)
	code, out, _ := runTvx(t, "", "exec", dir)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	if !strings.Contains(out, "ERROR "+filepath.Join(dir, "b.json")) || !strings.Contains(out, "preconditions.variants[0].nv") {
		t.Fatalf("no ERROR line naming file and field:\n%s", out)
	}
	if !strings.Contains(out, filepath.Join(dir, "a.json")) {
		t.Fatalf("the good vector did not run:\n%s", out)
	}
}

func TestExecStdinAndFileFlag(t *testing.T) {
	file := filepath.Join(sample, "transfer", "unknown_accounts--fail-unknown-sender-unknown-receiver--genesis.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.ReplaceAll(string(data), "\n", "")
	_, out, _ := runTvx(t, line+"\nnot json\n", "exec", "-")
	if !strings.Contains(out, "-:1") || !strings.Contains(out, "ERROR -:2") {
		t.Fatalf("stdin run:\n%s", out)
	}
	_, out2, _ := runTvx(t, "", "exec", "--file", file)
	if !strings.Contains(out2, file) {
		t.Fatalf("--file run:\n%s", out2)
	}
}

func TestExecUsageErrors(t *testing.T) {
	if code, _, _ := runTvx(t, "", "exec", "/does/not/exist"); code != exitBadInput {
		t.Fatalf("missing path: exit %d", code)
	}
	if code, _, _ := runTvx(t, "", "exec", "--no-such-flag", sample); code != exitBadArgs {
		t.Fatalf("unknown flag: exit %d", code)
	}
	if code, _, _ := runTvx(t, "", "exec", "--parallel", "0", sample); code != exitBadArgs {
		t.Fatalf("--parallel 0: exit %d", code)
	}
}

func TestExecBadCARSingleFile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(sample, "multisig", "basic--ok-create--genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"not gzip": func(m map[string]any) { m["car"] = "bm90IGd6aXA=" },
		"no pre-state root": func(m map[string]any) {
			m["preconditions"].(map[string]any)["state_tree"] = map[string]any{
				"root_cid": map[string]any{"/": "bafy2bzacecaagsjzlqmnuxzjrui7tmefdg7g6mdwcvrnhsitdchcf2lwdyeae"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			data, _ := json.Marshal(m)
			path := filepath.Join(t.TempDir(), "v.json")
			os.WriteFile(path, data, 0o644)
			code, out, errw := runTvx(t, "", "exec", path)
			if code != exitBadInput || out != "" || !strings.Contains(errw, path+": field ") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errw)
			}
		})
	}
}
