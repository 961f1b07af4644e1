package extract

import (
	"bytes"
	"context"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chainbuild"
	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/schema"
)

// corpusTipsetVectors returns the public corpus's tipset vectors that are
// not hinted incorrect.
func corpusTipsetVectors(t testing.TB) []*schema.Vector {
	t.Helper()
	files, err := schema.Walk(testcorpus.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	var out []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v.Class == schema.ClassTipset && !v.HasHint(schema.HintIncorrect) {
			out = append(out, v)
		}
	}
	return out
}

// buildCAR builds v's chain and returns it as chain CAR bytes.
func buildCAR(t testing.TB, v *schema.Vector) (*chainbuild.Chain, []byte) {
	t.Helper()
	b, err := chainbuild.Build(context.Background(), v, v.Pre.Variants[0])
	if err != nil {
		t.Fatalf("%s: %v", v.Path, err)
	}
	if len(b.Mismatches) > 0 {
		t.Fatalf("%s: built chain differs from the vector: %v", v.Path, b.Mismatches)
	}
	var buf bytes.Buffer
	if err := b.WriteCAR(&buf); err != nil {
		t.Fatal(err)
	}
	return b, buf.Bytes()
}

func openCAR(t testing.TB, car []byte, opts ...chain.Option) *chain.CARSource {
	t.Helper()
	src, err := chain.NewCARSource(bytes.NewReader(car), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// mustPass runs every variant of v (after a JSON round trip) and fails
// the test unless all pass.
func mustPass(t testing.TB, v *schema.Vector) {
	t.Helper()
	b, err := schema.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := schema.Decode(v.ID(), b)
	if err != nil {
		t.Fatalf("vector %s does not decode: %v", v.ID(), err)
	}
	d := driver.New()
	for _, vr := range rv.Pre.Variants {
		if out := d.Run(context.Background(), rv, vr); out.Status != driver.Pass {
			t.Fatalf("vector %s variant %s: %s: %s\n%s", v.ID(), vr.ID, out.Status, out.Reason, out.Detail)
		}
	}
}

type addressT = address.Address

func networkOf(v schema.Variant) network.Version { return network.Version(v.NetworkVersion) }

func abiEpoch(e int64) abi.ChainEpoch { return abi.ChainEpoch(e) }
