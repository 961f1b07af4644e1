package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A written vector reads back as the same vector: writing what was read
// gives the file tvx wrote, byte for byte, in directories it creates.
func TestWriteFileRoundTrip(t *testing.T) {
	v, err := LoadFile(sampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a", "b", "v.json")
	if err := WriteFile(path, v); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 || first[len(first)-1] != '\n' {
		t.Fatal("a written vector ends without a newline")
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatalf("the written vector does not load: %v", err)
	}
	again, err := Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Fatal("writing a vector read back from tvx's own file changes it")
	}
	if back.Pre.StateTree.RootCID != v.Pre.StateTree.RootCID || len(back.ApplyMessages) != len(v.ApplyMessages) {
		t.Fatal("the written vector lost its pre-state or messages")
	}
}
