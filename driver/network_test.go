package driver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/internal/testcorpus"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/schema"
)

// paramsRecorder is an executor that records the parameters of the runs it
// is asked for and applies nothing.
type paramsRecorder struct {
	mu  sync.Mutex
	got []executor.Params
}

var errRecorded = errors.New("recorded")

func (r *paramsRecorder) ApplyMessage(_ context.Context, req *executor.Message) (*executor.MessageResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req.Params)
	return nil, errRecorded
}

func (r *paramsRecorder) ApplyTipset(_ context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req.Params)
	return nil, errRecorded
}

// The network a vector records chooses what its executor runs under: its
// protocol table (calibnet's, butterfly's, a devnet's from its schedule
// record), whether the vector is on that table's chain, and the network's
// actor policy; no record, an old codename record or mainnet's give
// mainnet's table and policy. WithProtocol overrides the table; a broken
// schedule record is an error naming _meta.gen.
func TestVectorNetworkChoosesProtocolAndPolicy(t *testing.T) {
	v, err := schema.LoadFile(filepath.Join(testcorpus.Shared(t), "transfer", "basic--ok--actorsv2.json"))
	if err != nil {
		t.Fatal(err)
	}
	devnetTable, err := protocol.FromSchedule(protocol.Schedule{Network: "test", GenesisVersion: 15, Heights: map[string]abi.ChainEpoch{"calico": -9}})
	if err != nil {
		t.Fatal(err)
	}
	devnetPolicy := networks.Policy{SupportedSealProofs: []abi.RegisteredSealProof{abi.RegisteredSealProof_StackedDrg2KiBV1}, PreCommitChallengeDelay: 10}
	calib, _ := networks.ByName("calibnet")
	butterfly, _ := networks.ByName("butterfly")
	for _, c := range []struct {
		name    string
		records []string
		opts    []driver.Option
		table   string
		onChain bool
		policy  *networks.Policy
		err     string
	}{
		{"none", nil, nil, "mainnet", false, nil, ""},
		{"codename", []string{"network:ignition"}, nil, "mainnet", true, nil, ""},
		{"mainnet", []string{"network:mainnet"}, nil, "mainnet", true, nil, ""},
		{"calibnet", []string{"network:calibrationnet"}, nil, "calibrationnet", true, &calib.Policy, ""},
		{"butterfly alias", []string{"network:butterfly"}, nil, "butterflynet", true, &butterfly.Policy, ""},
		{"devnet", []string{"network:test", networks.ScheduleRecord(devnetTable), devnetPolicy.Record()}, nil, "test", true, &devnetPolicy, ""},
		{"devnet without records", []string{"network:test"}, nil, "mainnet", false, nil, ""},
		{"override", []string{"network:calibrationnet"}, []driver.Option{driver.WithProtocol(protocol.Mainnet())}, "mainnet", false, &calib.Policy, ""},
		{"bad schedule", []string{"network:test", "schedule:genesis=15,moon=3"}, nil, "", false, nil, "_meta.gen"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vc := *v
			meta := *v.Meta
			meta.Gen = nil
			for _, r := range c.records {
				meta.Gen = append(meta.Gen, schema.GenerationData{Source: r})
			}
			vc.Meta = &meta
			rec := &paramsRecorder{}
			out := driver.New(append([]driver.Option{driver.WithExecutor(rec)}, c.opts...)...).Run(context.Background(), &vc, vc.Pre.Variants[0])
			if c.err != "" {
				if !strings.Contains(out.Reason, c.err) || len(rec.got) != 0 {
					t.Fatalf("%s: %s", out.Status, out.Reason)
				}
				return
			}
			if len(rec.got) == 0 {
				t.Fatalf("the executor was not asked: %s", out.Reason)
			}
			p := rec.got[0]
			if p.Protocol == nil || p.Protocol.Network() != c.table || p.OnChain != c.onChain {
				t.Errorf("table %v on chain %v, want %s %v", p.Protocol, p.OnChain, c.table, c.onChain)
			}
			if (p.Policy == nil) != (c.policy == nil) || (p.Policy != nil && p.Policy.Record() != c.policy.Record()) {
				t.Errorf("policy %+v, want %+v", p.Policy, c.policy)
			}
		})
	}
}
