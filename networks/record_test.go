package networks

import (
	"reflect"
	"strings"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
)

// A devnet's policy survives its _meta.gen record; a vector of a known
// network replays under the table's policy whatever it records beside it;
// a malformed record is refused naming its field.
func TestPolicyRecord(t *testing.T) {
	p := Policy{
		SupportedSealProofs:     []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg8MiBV1, abi.RegisteredSealProof_StackedDrg2KiBV1},
		ConsensusMinerMinPower:  2048,
		MinVerifiedDealSize:     256,
		PreCommitChallengeDelay: 10,
	}
	rec := p.Record()
	if rec != "policy:seal-proofs=0/1,consensus-min-power=2048,min-verified-deal-size=256,pre-commit-challenge-delay=10" {
		t.Fatalf("record %q", rec)
	}
	got, err := ParsePolicyRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.SupportedSealProofs = []abi.RegisteredSealProof{0, 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parsed %+v, want %+v", got, want)
	}

	if vp, err := VectorPolicy([]string{"tvx", "network:test", rec}); err != nil || vp == nil || vp.PreCommitChallengeDelay != 10 {
		t.Errorf("devnet vector: %+v %v", vp, err)
	}
	calib, _ := ByName("calibnet")
	if vp, err := VectorPolicy([]string{"network:calibrationnet", rec}); err != nil || !reflect.DeepEqual(*vp, calib.Policy) {
		t.Errorf("calibnet vector: %+v %v", vp, err)
	}
	for _, recs := range [][]string{{"network:mainnet", rec}, {"network:test"}, nil} {
		if vp, err := VectorPolicy(recs); err != nil || vp != nil {
			t.Errorf("%v: %+v %v, want mainnet's (nil)", recs, vp, err)
		}
	}

	for field, bad := range map[string]string{
		"seal-proofs":                strings.Replace(rec, "0/1", "0/x", 1),
		"consensus-min-power":        strings.Replace(rec, "=2048", "=-1", 1),
		"pre-commit-challenge-delay": strings.Replace(rec, ",pre-commit-challenge-delay=10", "", 1),
		"bogus":                      rec + ",bogus=1",
	} {
		_, err := VectorPolicy([]string{"network:test", bad})
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v does not name the field", bad, err)
		}
	}
}

// A devnet's schedule survives its record (the protocol table made from it
// is the one the profile gives); a known network's vectors take the
// table's own table; bad records are refused naming the part at fault.
func TestScheduleRecord(t *testing.T) {
	devnet := FromNodeParams(NodeParams{Name: "test", Upgrades: Heights{"breeze": -1, "smoke": -2, "calico": -9, "ohsnap": -18, "chocolate": 40}})
	want, err := devnet.Protocol()
	if err != nil {
		t.Fatal(err)
	}
	rec := ScheduleRecord(want)
	got, err := VectorProtocol([]string{"network:test", rec})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Upgrades(), want.Upgrades()) || got.Network() != "test" {
		t.Fatalf("record %s gives %+v", rec, got.Upgrades())
	}
	if tb, err := VectorProtocol([]string{"network:calibnet", rec}); err != nil || tb.Network() != "calibrationnet" {
		t.Errorf("calibnet vector: %v %v", tb, err)
	}
	for _, recs := range [][]string{{"network:ignition"}, {rec}, nil} {
		if tb, err := VectorProtocol(recs); err != nil || tb != nil {
			t.Errorf("%v: %v %v, want the caller's default", recs, tb, err)
		}
	}
	for part, bad := range map[string]string{
		"genesis": strings.Replace(rec, "genesis=", "genesis=x", 1),
		"moon":    rec + ",moon=5",
		"smoke":   rec + ",smoke=3",
	} {
		if _, err := VectorProtocol([]string{"network:test", bad}); err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("%s: error %v does not name %s", bad, err, part)
		}
	}
}
