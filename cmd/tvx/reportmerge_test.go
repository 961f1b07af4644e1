package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		_, out, _ := runTvx(t, "", "exec", "--json", "--allow-empty", "--shard", k, sample)
		f := filepath.Join(dir, strings.ReplaceAll(k, "/", "-")+".json")
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	_, whole, _ := runTvx(t, "", "exec", sample)
	lines := strings.Split(strings.TrimSpace(whole), "\n")
	wantSummary := lines[len(lines)-1]

	code, out, errw := runTvx(t, "", append([]string{"report", "merge"}, files...)...)
	if code != exitOK || strings.TrimSpace(out) != wantSummary {
		t.Fatalf("merge: exit %d, got %q, want the whole run's summary %q\n%s", code, out, wantSummary, errw)
	}
	if code, _, errw := runTvx(t, "", "report", "merge", files[0], files[2]); code != exitBadInput || !strings.Contains(errw, "2/3 missing") {
		t.Fatalf("missing shard: exit %d, %s", code, errw)
	}
	if code, _, errw := runTvx(t, "", "report", "merge", files[0], files[1], files[1], files[2]); code != exitBadInput || !strings.Contains(errw, "given twice") {
		t.Fatalf("duplicated shard: exit %d, %s", code, errw)
	}
	truncated := filepath.Join(dir, "truncated.json")
	data, _ := os.ReadFile(files[1])
	os.WriteFile(truncated, data[:strings.LastIndex(strings.TrimSpace(string(data)), "\n")+1], 0o644)
	if code, _, errw := runTvx(t, "", "report", "merge", files[0], truncated, files[2]); code != exitBadInput || !strings.Contains(errw, "no summary") {
		t.Fatalf("unfinished shard: exit %d, %s", code, errw)
	}
}
