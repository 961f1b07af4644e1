package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// alteredVector writes a copy of a sample vector whose expected post-state
// root is replaced by its pre-state root: a real root, so the run fails on
// the state root alone.
func alteredVector(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sample, rel))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	pre := m["preconditions"].(map[string]any)["state_tree"]
	m["postconditions"].(map[string]any)["state_tree"] = pre
	out, _ := json.Marshal(m)
	path := filepath.Join(t.TempDir(), "altered.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExecStateDiffOnFailure(t *testing.T) {
	for _, rel := range []string{
		"multisig/basic--ok-create--genesis.json",                         // message class, actors v0.9
		"reward/penalties--penalize-bad-nonce-multiple-miners--tape.json", // tipset class, actors v2
	} {
		t.Run(rel, func(t *testing.T) {
			path := alteredVector(t, rel)
			code, out, _ := runTvx(t, "", "exec", "--variant", firstVariant(t, path), path)
			if code != exitFailed {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			for _, marker := range []string{
				"\n-----BEGIN STATEDIFF-----\n",
				"\n----------BEGIN STATEDIFF A----------\n", "\n----------END STATEDIFF A----------\n",
				"\n----------BEGIN STATEDIFF B----------\n", "\n----------END STATEDIFF B----------\n",
				"\n----------BEGIN STATEDIFF C----------\n", "\n----------END STATEDIFF C----------\n",
				"\n-----END STATEDIFF-----\n",
			} {
				if !strings.Contains(out, marker) {
					t.Fatalf("marker %q missing:\n%s", strings.TrimSpace(marker), out)
				}
			}
			if strings.Contains(out, "\x1b[") {
				t.Fatal("colour codes in non-terminal output")
			}
			// The run changes actors' balances and nonces: the diff names them.
			if !strings.Contains(out, "~ f0") || !strings.Contains(out, "Balance:") {
				t.Fatalf("diff names no changed actor or field:\n%s", out)
			}
			_, again, _ := runTvx(t, "", "exec", "--variant", firstVariant(t, path), path)
			if stripDurations(again) != stripDurations(out) {
				t.Fatal("two runs of the same vector differ")
			}

			// tvx diff --extract cuts the block back out of the log.
			dir := t.TempDir()
			code, _, errw := runTvx(t, out, "diff", "--extract", dir)
			if code != exitOK {
				t.Fatalf("diff --extract: exit %d: %s", code, errw)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			if len(files) != 1 {
				t.Fatalf("want one extracted block, got %v", files)
			}
			got, _ := os.ReadFile(files[0])
			begin := strings.Index(out, "-----BEGIN STATEDIFF-----")
			end := strings.Index(out, "-----END STATEDIFF-----") + len("-----END STATEDIFF-----\n")
			if string(got) != out[begin:end] {
				t.Fatalf("extracted block differs from the log's:\n%s\n---\n%s", got, out[begin:end])
			}
		})
	}
}

func TestExecStateDiffOffForDirectories(t *testing.T) {
	path := alteredVector(t, "multisig/basic--ok-create--genesis.json")
	_, out, _ := runTvx(t, "", "exec", filepath.Dir(path))
	if strings.Contains(out, "BEGIN STATEDIFF") {
		t.Fatal("directory runs print no state diff unless asked")
	}
	_, out, _ = runTvx(t, "", "exec", "--statediff", "on", filepath.Dir(path))
	if !strings.Contains(out, "BEGIN STATEDIFF") {
		t.Fatal("--statediff on prints the diff in directory runs")
	}
	if code, _, _ := runTvx(t, "", "exec", "--statediff", "maybe", path); code != exitBadArgs {
		t.Fatalf("--statediff maybe: exit %d", code)
	}
}

func firstVariant(t *testing.T, path string) string {
	t.Helper()
	data, _ := os.ReadFile(path)
	var v struct {
		Pre struct {
			Variants []struct {
				ID string `json:"id"`
			} `json:"variants"`
		} `json:"preconditions"`
	}
	json.Unmarshal(data, &v)
	return v.Pre.Variants[0].ID
}

func stripDurations(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, " ("); i > 0 {
			if j := strings.Index(l[i:], "ms)"); j > 0 {
				l = l[:i] + l[i+j+3:]
			}
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestDiffVector(t *testing.T) {
	path := alteredVector(t, "multisig/basic--ok-create--genesis.json")
	code, out, errw := runTvx(t, "", "diff", "--vector", path)
	if code != diffDiffer || !strings.HasPrefix(out, "-----BEGIN STATEDIFF-----\n----------BEGIN STATEDIFF A----------\n") {
		t.Fatalf("exit %d, stderr %q, output:\n%s", code, errw, out)
	}
	if !strings.Contains(out, "+ f0101 multisig v0.9") {
		t.Fatalf("the diff does not name the multisig the vector creates:\n%s", out)
	}
	good := filepath.Join(sample, "multisig", "basic--ok-create--genesis.json")
	code, out, _ = runTvx(t, "", "diff", "--vector", good)
	if code != diffSame || !strings.Contains(out, "no state differences") {
		t.Fatalf("a passing vector should have no differences:\n%s", out)
	}
	code, pre, _ := runTvx(t, "", "diff", "--vector", good, "--pre")
	if code != diffDiffer || !strings.Contains(pre, "+ f0101 multisig v0.9") {
		t.Fatalf("--pre diffs pre-state and expected post-state:\n%s", pre)
	}
	if code, _, _ := runTvx(t, "", "diff", "--vector", good, "--variant", "nope"); code != exitBadArgs {
		t.Fatalf("unknown variant: exit %d", code)
	}
	if code, _, _ := runTvx(t, "", "diff"); code != exitBadArgs {
		t.Fatalf("no mode: exit %d", code)
	}
}
