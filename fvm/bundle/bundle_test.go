package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestLoadChecksManifests loads every carried bundle (which verifies its
// CAR digest and its mainnet manifest CID) and checks the actor lists
// against what each builtin-actors version is known to contain.
func TestLoadChecksManifests(t *testing.T) {
	want := map[int][]string{
		8:  {"system", "init", "cron", "account", "storagepower", "storageminer", "storagemarket", "paymentchannel", "multisig", "reward", "verifiedregistry"},
		9:  {"system", "init", "cron", "account", "storagepower", "storageminer", "storagemarket", "paymentchannel", "multisig", "reward", "verifiedregistry", "datacap"},
		10: {"system", "init", "cron", "account", "storagepower", "storageminer", "storagemarket", "paymentchannel", "multisig", "reward", "verifiedregistry", "datacap", "placeholder", "evm", "eam", "ethaccount"},
	}
	for _, v := range ActorsVersions() {
		b, err := Load(v)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for i, a := range b.Actors {
			names = append(names, a.Name)
			if a.Type != i+1 {
				t.Errorf("v%d %s: type %d at position %d", v, a.Name, a.Type, i)
			}
			m, ok := b.Module(a.Code)
			if !ok || !bytes.HasPrefix(m, []byte("\x00asm")) {
				t.Errorf("v%d %s: module %s is not Wasm", v, a.Name, a.Code)
			}
			if got, _ := b.ByType(a.Type); got != a {
				t.Errorf("v%d: ByType(%d) = %v", v, a.Type, got)
			}
		}
		if strings.Join(names, ",") != strings.Join(want[v], ",") {
			t.Errorf("v%d actors %v, want %v", v, names, want[v])
		}
	}
}

// TestProvenanceMatchesFiles keeps PROVENANCE, the embedded files and the
// release table in agreement.
func TestProvenanceMatchesFiles(t *testing.T) {
	prov, err := os.ReadFile("mainnet/PROVENANCE")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range releases {
		if !strings.Contains(string(prov), r.sha256+"  "+r.manifest) {
			t.Errorf("PROVENANCE lacks v%d's CAR digest and manifest", r.actorsVersion)
		}
		z, err := files.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(z)
		name := strings.TrimPrefix(r.file, "mainnet/")
		if !strings.Contains(string(prov), hex.EncodeToString(sum[:])+"  "+name) {
			t.Errorf("PROVENANCE lacks the compressed digest of %s", name)
		}
	}
}

func TestSetFindsBundleByData(t *testing.T) {
	s := NewSet()
	b9, err := s.Get(9)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ForData(b9.Data)
	if err != nil || got != b9 {
		t.Fatalf("ForData(v9 data) = %v, %v", got, err)
	}
	if _, err := s.ForData(b9.Manifest); err == nil {
		t.Fatal("ForData accepted a manifest root CID")
	}
	if _, err := Load(7); err == nil {
		t.Fatal("Load(7) succeeded")
	}
}

func TestParseRejectsTampering(t *testing.T) {
	raw, err := decompress(releases[0].file)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(raw)
	bad[len(bad)-10] ^= 0xff // inside the last block's payload
	if _, err := parse(bad); err == nil {
		t.Fatal("parse accepted a CAR with a corrupted block")
	}
}
