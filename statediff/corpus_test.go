package statediff

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	states0 "github.com/filecoin-project/specs-actors/actors/states"
	adt0 "github.com/filecoin-project/specs-actors/actors/util/adt"
	states2 "github.com/filecoin-project/specs-actors/v2/actors/states"
	adt2 "github.com/filecoin-project/specs-actors/v2/actors/util/adt"
	"github.com/ipfs/go-cid"
	cbor "github.com/ipfs/go-ipld-cbor"
)

// TestActorTypesOnCorpus diffs real pre/post states and checks, for every
// builtin actor type of actors v0.9 and v2, that the change the vector makes
// is reported at the decoded field where it happens.
func TestActorTypesOnCorpus(t *testing.T) {
	cases := []struct {
		vector string
		code   string // actor type and version as reported
		op     Op
		path   string // regexp one change path must match
	}{
		{"actor_creation/on_transfer--ok-create-bls--genesis.json", "account v0.9", OpAdded, `^State$`},
		{"actor_creation/on_transfer--ok-create-bls--actorsv2.json", "account v2", OpAdded, `^State$`},
		{"actor_creation/addresses--sequential-10--genesis.json", "init v0.9", OpChanged, `^State\.AddressMap\[f2\w+\]$`},
		{"actor_creation/addresses--sequential-10--actorsv2.json", "init v2", OpChanged, `^State\.NextID$`},
		{"actor_creation/addresses--sequential-10--genesis.json", "paymentchannel v0.9", OpAdded, `^State$`},
		{"actor_creation/addresses--sequential-10--actorsv2.json", "paymentchannel v2", OpAdded, `^State$`},
		{"extracted/0002-init-actor/fil_1_init/Exec/Ok/ext-0002-fil_1_init-Exec-Ok-1.json", "multisig v0.9", OpAdded, `^State$`},
		{"multisig/basic--ok-add-signer--actorsv2.json", "multisig v2", OpAdded, `^State$`},
		{"extracted/0001-initial-extraction/fil_1_storageminer/PreCommitSector/Ok/ext-0001-fil_1_storageminer-PreCommitSector-Ok-1.json", "storageminer v0.9", OpChanged, `^State\.PreCommittedSectors\[\d+\]$`},
		{"extracted/0001-initial-extraction/fil_1_storageminer/DeclareFaults/Ok/ext-0001-fil_1_storageminer-DeclareFaults-Ok-10.json", "storageminer v0.9", OpChanged, `^State\.Deadlines\.Due\[\d+\]\.Partitions\[\d+\]\.Faults$`},
		{"msg_application/duplicates--messages-deduplicated--actorsv2.json", "storageminer v2", OpChanged, `^State\.VestingFunds\.Funds`},
		{"extracted/0001-initial-extraction/fil_1_storagemarket/AddBalance/Ok/ext-0001-fil_1_storagemarket-AddBalance-Ok-1.json", "storagemarket v0.9", OpChanged, `^State\.EscrowTable\[f0\d+\]$`},
		{"msg_application/duplicates--messages-deduplicated--actorsv2.json", "storagemarket v2", OpChanged, `^State\.LastCron$`},
		{"extracted/0001-initial-extraction/fil_1_storagepower/CreateMiner/Ok/ext-0001-fil_1_storagepower-CreateMiner-Ok-6.json", "storagepower v0.9", OpChanged, `^State\.Claims\[f0\d+\]$`},
		{"extracted/0001-initial-extraction/fil_1_storagepower/CreateMiner/Ok/ext-0001-fil_1_storagepower-CreateMiner-Ok-6.json", "storagepower v0.9", OpChanged, `^State\.CronEventQueue\[\d+\]\[0\]$`},
		{"msg_application/duplicates--messages-deduplicated--actorsv2.json", "storagepower v2", OpChanged, `^State\.TotalPledgeCollateral$`},
		{"msg_application/duplicates--messages-deduplicated--breeze.json", "reward v0.9", OpChanged, `^State\.ThisEpochRewardSmoothed\.PositionEstimate$`},
		{"msg_application/duplicates--messages-deduplicated--actorsv2.json", "reward v2", OpChanged, `^State\.TotalStoragePowerReward$`},
		{"transfer/system_receiver--to-cron-actor--genesis.json", "cron v0.9", OpChanged, `^Balance$`},
		{"transfer/system_receiver--to-cron-actor--actorsv2.json", "cron v2", OpChanged, `^Balance$`},
		{"transfer/system_receiver--to-verified-registry-actor--genesis.json", "verifiedregistry v0.9", OpChanged, `^Balance$`},
		{"transfer/system_receiver--to-verified-registry-actor--actorsv2.json", "verifiedregistry v2", OpChanged, `^Balance$`},
		{"transfer/system_receiver--to-system-actor--genesis.json", "system v0.9", OpChanged, `^Balance$`},
		{"transfer/system_receiver--to-system-actor--actorsv2.json", "system v2", OpChanged, `^Balance$`},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.code+"/"+filepath.Base(tc.vector), func(t *testing.T) {
			v := loadVector(t, tc.vector)
			res, err := Diff(ctx, v.store, v.pre, v.post)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) != 0 {
				t.Fatalf("problems: %+v", res.Problems)
			}
			re := regexp.MustCompile(tc.path)
			for _, ad := range res.Actors {
				if ad.Code != tc.code || ad.Op != tc.op {
					continue
				}
				for _, c := range ad.Changes {
					if re.MatchString(c.Path) && c.Op != OpProblem {
						if strings.Contains(c.A+c.B+c.Note, "cannot decode") {
							t.Fatalf("undecoded value: %+v", c)
						}
						return
					}
				}
			}
			t.Fatalf("no %c %s actor with a change at %s in:\n%s", tc.op, tc.code, tc.path, strings.Join(res.Lines(), "\n"))
		})
	}
}

// independentActors lists a complete state tree with specs-actors' own
// state-tree code, to check the raw walker against.
func independentActors(t *testing.T, s Store, root cid.Cid) map[address.Address]states0.Actor {
	t.Helper()
	ctx := context.Background()
	w := &walker{ctx: ctx, store: s, problem: func(side, error) {}}
	tr, err := w.loadTreeRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[address.Address]states0.Actor{}
	cst := cbor.NewCborStore(readOnly{s})
	switch tr.version {
	case 0:
		tree, err := states0.LoadTree(adt0.WrapStore(ctx, cst), tr.actors)
		if err != nil {
			t.Fatal(err)
		}
		err = tree.ForEach(func(a address.Address, act *states0.Actor) error { out[a] = *act; return nil })
		if err != nil {
			t.Fatal(err)
		}
	case 1:
		tree, err := states2.LoadTree(adt2.WrapStore(ctx, cst), tr.actors)
		if err != nil {
			t.Fatal(err)
		}
		err = tree.ForEach(func(a address.Address, act *states2.Actor) error { out[a] = states0.Actor(*act); return nil })
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("state-tree v%d not in corpus test", tr.version)
	}
	return out
}

// TestActorSetMatchesStateTree checks, on every complete (non-extracted)
// vector of the corpus, that the actors reported added, removed and changed
// and their header fields are exactly those found by enumerating both trees
// with specs-actors.
func TestActorSetMatchesStateTree(t *testing.T) {
	var files []string
	err := filepath.Walk(corpusDir(t), func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".json") && !strings.Contains(p, "/extracted/") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not available: %v", err)
	}
	ctx := context.Background()
	checked := 0
	for _, f := range files {
		rel, _ := filepath.Rel(corpusDir(t), f)
		v := loadVector(t, rel)
		if !v.post.Defined() {
			continue
		}
		res, err := Diff(ctx, v.store, v.pre, v.post)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(res.Problems) != 0 {
			t.Fatalf("%s: problems %+v", rel, res.Problems)
		}
		pre := independentActors(t, v.store, v.pre)
		post := independentActors(t, v.store, v.post)
		want := map[address.Address]Op{}
		for a, x := range pre {
			y, ok := post[a]
			switch {
			case !ok:
				want[a] = OpRemoved
			case !x.Code.Equals(y.Code) || !x.Head.Equals(y.Head) || x.CallSeqNum != y.CallSeqNum || !x.Balance.Equals(y.Balance):
				want[a] = OpChanged
			}
		}
		for a := range post {
			if _, ok := pre[a]; !ok {
				want[a] = OpAdded
			}
		}
		if len(res.Actors) != len(want) {
			t.Fatalf("%s: %d actors reported, specs-actors finds %d differing", rel, len(res.Actors), len(want))
		}
		for i, ad := range res.Actors {
			if want[ad.Addr] != ad.Op {
				t.Fatalf("%s: %s reported %c, want %c", rel, formatAddress(ad.Addr), ad.Op, want[ad.Addr])
			}
			if i > 0 && !addrKeyLess(res.Actors[i-1].Addr.Bytes(), ad.Addr.Bytes()) {
				t.Fatalf("%s: actors out of order at %s", rel, formatAddress(ad.Addr))
			}
			if ad.Op == OpChanged {
				x, y := pre[ad.Addr], post[ad.Addr]
				for _, c := range ad.Changes {
					switch c.Path {
					case "Nonce":
						if c.A == c.B || x.CallSeqNum == y.CallSeqNum {
							t.Fatalf("%s: %s nonce line %+v but nonces %d/%d", rel, formatAddress(ad.Addr), c, x.CallSeqNum, y.CallSeqNum)
						}
					case "Balance":
						if c.A != formatFIL(bigOf(x.Balance)) || c.B != formatFIL(bigOf(y.Balance)) {
							t.Fatalf("%s: %s balance line %+v", rel, formatAddress(ad.Addr), c)
						}
					}
				}
			}
		}
		checked++
	}
	t.Logf("checked %d complete vectors against specs-actors state-tree enumeration", checked)
}

// readOnly adapts a Store for go-ipld-cbor, which wants Put as well.
type readOnly struct{ Store }

func (readOnly) Put(context.Context, blocksBlock) error { return errReadOnly }
