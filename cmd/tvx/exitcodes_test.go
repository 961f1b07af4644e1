package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/internal/fault"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// editedVector writes a copy of the sample vector rel with edit applied.
func editedVector(t *testing.T, rel string, edit func(m map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sample, rel))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, _ := json.Marshal(m)
	path := filepath.Join(t.TempDir(), "edited.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const msgVector = "multisig/basic--ok-create--genesis.json"

// Every row of the exit-status table, each by commands that meet that kind
// of fault: the same kind gives the same status whichever command meets it.
func TestExitStatusRows(t *testing.T) {
	badMessage := editedVector(t, msgVector, func(m map[string]any) {
		m["apply_messages"].([]any)[0].(map[string]any)["bytes"] = "AAEC" // 00 01 02: not a message
	})
	badCAR := editedVector(t, msgVector, func(m map[string]any) { m["car"] = "bm90IGd6aXA=" })
	good := filepath.Join(sample, msgVector)
	for _, tc := range []struct {
		name string
		want int
		args []string
	}{
		{"passing vector", exitOK, []string{"exec", good}},
		{"failing vector", exitFailed, []string{"exec", alteredVector(t, msgVector)}},
		{"unknown flag", exitBadArgs, []string{"exec", "--no-such-flag", good}},
		{"unknown subcommand flag", exitBadArgs, []string{"corpus", "ls", "--nope"}},
		{"diff without a mode", exitBadArgs, []string{"diff"}},
		{"undecodable message bytes", exitBadInput, []string{"exec", badMessage}},
		{"bad CAR", exitBadInput, []string{"exec", badCAR}},
		// tvx diff exits as diff(1): any trouble is 2.
		{"bad CAR in diff", diffTrouble, []string{"diff", "--vector", badCAR}},
		{"bad CAR in chain build", exitBadInput, []string{"chain", "build", badCAR, "--out", filepath.Join(t.TempDir(), "c.car")}},
		{"missing vector", exitBadInput, []string{"exec", filepath.Join(t.TempDir(), "absent.json")}},
		{"bad file among good", exitBadInput, []string{"exec", good, badMessage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errw := runTvx(t, "", tc.args...)
			if code != tc.want {
				t.Errorf("tvx %v: exit %d, want %d\n%s", tc.args, code, tc.want, errw)
			}
		})
	}
}

// A store locked by another process is machine trouble (4), not a failed
// vector (1), for every command that opens it.
func TestExitStatusStoreLocked(t *testing.T) {
	store := t.TempDir()
	s, err := corpus.OpenStore(t.Context(), store, corpus.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, args := range [][]string{
		{"corpus", "stat", "--store", store},
		{"exec", "--store", store, filepath.Join(sample, msgVector)},
	} {
		if code, _, errw := runTvx(t, "", args...); code != exitIO || !strings.Contains(errw, "in use") {
			t.Errorf("tvx %v: exit %d, want %d\n%s", args, code, exitIO, errw)
		}
	}
}

// A full disk is machine trouble (4) in chain build and in extract alike,
// and leaves no partial output.
func TestExitStatusFullDisk(t *testing.T) {
	vec := filepath.Join(testcorpus.Shared(t), "reward", "penalties--not-penalized-insufficient-gas-for-return--genesis.json")
	dir := t.TempDir()
	car := filepath.Join(dir, "chain.car")
	if code, _, errs := runTvx(t, "", "chain", "build", vec, "--out", car); code != 0 {
		t.Fatalf("chain build: exit %d\n%s", code, errs)
	}
	st, err := os.Stat(car)
	if err != nil || st.Size() <= fullDiskCLILimit {
		t.Fatalf("the chain CAR (%v, %v) must outgrow the limit to test a full disk", st.Size(), err)
	}
	v, err := schema.LoadFile(vec)
	if err != nil {
		t.Fatal(err)
	}
	h := fmt.Sprint(v.Pre.Variants[0].Epoch + v.ApplyTipsets[0].EpochOffset)
	out := t.TempDir()
	for _, args := range [][]string{
		{"chain", "build", vec, "--out", filepath.Join(out, "chain.car")},
		{"extract", "--car", car, "--class", "tipset", "--height", h + ".." + h, "--out", out},
		{"extract", "--car", car, "--class", "tipset", "--height", h, "--out", filepath.Join(out, "tipset.json")},
	} {
		code, output := runFullDisk(t, args...)
		if code != exitIO {
			t.Errorf("tvx %v on a full disk: exit %d, want %d\n%s", args, code, exitIO, output)
		}
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if info, _ := e.Info(); info != nil && info.Size() > fullDiskCLILimit {
			t.Errorf("%s grew past the limit", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

// An error no code classified is reported as a tvx bug (5); urfave/cli's
// own errors (missing required flag and the like) are usage errors (2).
func TestExitStatusUnclassified(t *testing.T) {
	if got := exitStatus(fromAction{errors.New("surprise")}); got != exitInternal {
		t.Errorf("unclassified action error: %d, want %d", got, exitInternal)
	}
	if got := exitStatus(errors.New(`Required flag "out" not set`)); got != exitBadArgs {
		t.Errorf("cli error: %d, want %d", got, exitBadArgs)
	}
	if got := exitStatus(fromAction{badInput(fmt.Errorf("wrapped: %w", fault.IOf(errors.New("disk"))))}); got != exitIO {
		t.Errorf("an inner kind must win over failAs's default: %d", got)
	}
}

// README.md's exit-status table is exitStatuses, row for row.
func TestExitStatusREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(\\d+)` \\| (.+) \\|$")
	rows := row.FindAllStringSubmatch(string(readme), -1)
	if len(rows) != len(exitStatuses) {
		t.Fatalf("README.md has %d exit-status rows, the CLI %d", len(rows), len(exitStatuses))
	}
	for i, r := range rows {
		code, _ := strconv.Atoi(r[1])
		if code != exitStatuses[i].code || r[2] != exitStatuses[i].meaning {
			t.Errorf("README row %d: %d %q, CLI: %d %q", i, code, r[2], exitStatuses[i].code, exitStatuses[i].meaning)
		}
	}
}
