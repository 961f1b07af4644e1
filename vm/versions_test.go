package vm_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/tvx-project/tvx/builtin"
	"strings"
	"testing"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	builtin0 "github.com/filecoin-project/specs-actors/actors/builtin"
	account0 "github.com/filecoin-project/specs-actors/actors/builtin/account"
	init0 "github.com/filecoin-project/specs-actors/actors/builtin/init"
	multisig0 "github.com/filecoin-project/specs-actors/actors/builtin/multisig"
	paych0 "github.com/filecoin-project/specs-actors/actors/builtin/paych"
	power0 "github.com/filecoin-project/specs-actors/actors/builtin/power"
	multisig2 "github.com/filecoin-project/specs-actors/v2/actors/builtin/multisig"
	power3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/power"
	reward3 "github.com/filecoin-project/specs-actors/v3/actors/builtin/reward"
	power4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/power"
	reward4 "github.com/filecoin-project/specs-actors/v4/actors/builtin/reward"
	power5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/power"
	reward5 "github.com/filecoin-project/specs-actors/v5/actors/builtin/reward"
	power6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/power"
	reward6 "github.com/filecoin-project/specs-actors/v6/actors/builtin/reward"
	multisig7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/multisig"
	power7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/power"
	reward7 "github.com/filecoin-project/specs-actors/v7/actors/builtin/reward"

	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/statediff"
	"github.com/tvx-project/tvx/vm"
	"github.com/tvx-project/tvx/vm/actors"
	"github.com/tvx-project/tvx/vm/chaos"
	"github.com/tvx-project/tvx/vm/gas"
	"github.com/tvx-project/tvx/vm/state"
	"github.com/tvx-project/tvx/vm/syscalls"
	"github.com/tvx-project/tvx/vm/vmtest"
)

// calico holds the Calico price list's figures used to derive expected gas
// by hand (Lotus v1.15.3 chain/vm/gas.go), independently of vm/gas.
var calico = struct {
	storageMulti, onChainBase, onChainStorageBase              int64
	sendBase, sendTransfer, sendTransferOnly, sendInvokeMethod int64
	createActorCompute, createActorStorage                     int64
	ipldPutBase                                                int64
}{1300, 38863, 36, 29233, 27500, 159672, -5377, 1108454, 36 + 40, 353640}

// genesisEra holds the same figures for the genesis price list.
var genesisEra = struct {
	storageMulti, onChainBase, onChainStorageBase              int64
	sendBase, sendTransfer, sendTransferOnly, sendInvokeMethod int64
	createActorCompute, createActorStorage                     int64
	ipldPutBase                                                int64
}{1000, 38863, 36, 29233, 27500, 159672, -5377, 1108454, 36 + 40, 84070}

// gasToNewAccount is the gas a value transfer to a key address with no
// actor uses: inclusion of chainLen bytes, account creation, the account
// constructor's invocation and its one state write (stateLen bytes), then
// the transfer itself.
func gasToNewAccount(chainLen, stateLen int64) int64 {
	p := calico
	onChain := p.onChainBase + (p.onChainStorageBase+chainLen)*p.storageMulti
	create := p.createActorCompute + p.createActorStorage*p.storageMulti
	ctor := p.sendBase + p.sendInvokeMethod + p.ipldPutBase + stateLen*p.storageMulti
	send := p.sendBase + p.sendTransfer + p.sendTransferOnly
	return onChain + create + ctor + send
}

// accountStateLen is the size of an account's state: a one-field tuple
// holding the key address bytes (1 protocol byte + 20 for secp256k1, 48 for
// BLS) behind a byte-string header.
func accountStateLen(key address.Address) int64 {
	n := int64(len(key.Bytes()))
	hdr := int64(1)
	if n >= 24 {
		hdr = 2
	}
	return 1 + hdr + n
}

// flowVersions are the network versions whose actors (v3 to v7) the flow
// tests run, each with the price list mainnet had then.
var flowVersions = []network.Version{
	network.Version10, network.Version11, // actors v3
	network.Version12, // actors v4
	network.Version13, // actors v5
	network.Version14, // actors v6
	network.Version15, // actors v7
}

// flow is one actors version's test world and the accounts in it.
type flow struct {
	t     *testing.T
	ctx   context.Context
	w     *vmtest.World
	nonce map[address.Address]uint64
	// actorBurns allows messages to burn funds beyond gas (actors burning
	// network fees from their own balance).
	actorBurns bool
}

func newFlow(t *testing.T, nv network.Version) *flow {
	t.Helper()
	ctx := context.Background()
	w, err := vmtest.New(ctx, nv, vmtest.Options{Epoch: 0, MainnetPrices: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Epoch = 1
	return &flow{t: t, ctx: ctx, w: w, nonce: map[address.Address]uint64{}}
}

func (f *flow) account(key address.Address, bal abi.TokenAmount) address.Address {
	f.t.Helper()
	id, err := f.w.NewAccount(f.ctx, key, bal)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *flow) code(kind string) cid.Cid {
	f.t.Helper()
	c, err := f.w.Code(kind)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *flow) balance(a address.Address) abi.TokenAmount {
	f.t.Helper()
	b, err := f.w.Balance(f.ctx, a)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *flow) total() abi.TokenAmount {
	f.t.Helper()
	b, err := f.w.TotalBalance(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *flow) load(a address.Address, out cbg.CBORUnmarshaler) {
	f.t.Helper()
	if err := f.w.Load(f.ctx, a, out); err != nil {
		f.t.Fatalf("load state of %s: %v", a, err)
	}
}

func (f *flow) codeOf(a address.Address) cid.Cid {
	f.t.Helper()
	act, err := f.w.Actor(f.ctx, a)
	if err != nil {
		f.t.Fatal(err)
	}
	return act.Code
}

func (f *flow) idOf(a address.Address) address.Address {
	f.t.Helper()
	tree, err := f.w.Tree(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	id, err := tree.LookupID(a)
	if err != nil {
		f.t.Fatalf("resolve %s: %v", a, err)
	}
	return id
}

func encode(t *testing.T, v cbg.CBORMarshaler) []byte {
	t.Helper()
	b, err := vmtest.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, b []byte, out cbg.CBORUnmarshaler) {
	t.Helper()
	if err := out.UnmarshalCBOR(bytes.NewReader(b)); err != nil {
		t.Fatalf("decode %T: %v", out, err)
	}
}

// send applies a message from the account with key from and checks the
// money around it: the sender pays exactly the value (if the message
// succeeds) plus base-fee burn, tip and over-estimation burn, which reach
// the burnt-funds and reward actors, the settlement matches the gas
// arithmetic, and no token is created or destroyed.
func (f *flow) send(from, to address.Address, value abi.TokenAmount, method abi.MethodNum, params []byte, wantExit exitcode.ExitCode) *vm.ApplyResult {
	f.t.Helper()
	msg := &vm.Message{
		From: from, To: to, Nonce: f.nonce[from], Value: value, Method: method, Params: params,
		GasLimit: 3_000_000_000, GasFeeCap: abi.NewTokenAmount(300), GasPremium: abi.NewTokenAmount(7),
	}
	// A send to oneself (by key or by ID) moves no value.
	tree, err := f.w.Tree(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	fromID, err1 := tree.LookupID(from)
	toID, err2 := tree.LookupID(to)
	selfSend := err1 == nil && err2 == nil && fromID == toID
	before := struct{ from, burnt, reward, total abi.TokenAmount }{
		f.balance(from), f.balance(vmtest.BurntFundsAddr), f.balance(vmtest.RewardAddr), f.total(),
	}
	res, err := f.w.Apply(f.ctx, msg)
	if err != nil {
		f.t.Fatalf("method %d to %s: %v", method, to, err)
	}
	if res.ExitCode != wantExit {
		f.t.Fatalf("method %d to %s: exit %d (%s), want %d", method, to, res.ExitCode, res.Error, wantExit)
	}
	f.nonce[from]++
	out := res.Outputs
	want := gas.ComputeOutputs(res.GasUsed, msg.GasLimit, vm.DefaultBaseFee, msg.GasFeeCap, msg.GasPremium, true)
	if fmt.Sprint(out) != fmt.Sprint(want) {
		f.t.Errorf("outputs %+v, want %+v", out, want)
	}
	paid := big.Sum(out.BaseFeeBurn, out.MinerTip, out.OverEstimationBurn)
	if wantExit == exitcode.Ok && !selfSend {
		paid = big.Add(paid, value)
	}
	if got := big.Sub(before.from, f.balance(from)); !got.Equals(paid) {
		f.t.Errorf("sender paid %s, want %s", got, paid)
	}
	gasBurn := big.Add(out.BaseFeeBurn, out.OverEstimationBurn)
	burnt := big.Sub(f.balance(vmtest.BurntFundsAddr), before.burnt)
	if extra := big.Sub(burnt, gasBurn); extra.Sign() < 0 || (extra.Sign() > 0 && !f.actorBurns) {
		f.t.Errorf("burnt %s, gas burns %s", burnt, gasBurn)
	}
	if got := big.Sub(f.balance(vmtest.RewardAddr), before.reward); !got.Equals(out.MinerTip) {
		f.t.Errorf("reward actor got %s, want the tip %s", got, out.MinerTip)
	}
	if got := f.total(); !got.Equals(before.total) {
		f.t.Errorf("total balance went from %s to %s", before.total, got)
	}
	return res
}

func TestActorsVersionFlows(t *testing.T) {
	for _, nv := range flowVersions {
		nv := nv
		t.Run(fmt.Sprintf("nv%d", nv), func(t *testing.T) {
			t.Parallel()
			runFlows(t, nv)
		})
	}
}

func runFlows(t *testing.T, nv network.Version) {
	f := newFlow(t, nv)
	av := f.w.Rules.ActorsVersion
	genesis := f.w.Root

	aliceKey, bobKey := vmtest.SecpAddress(1), vmtest.SecpAddress(2)
	alice := f.account(aliceKey, vmtest.FIL(1000))
	bob := f.account(bobKey, vmtest.FIL(1000))

	// 1. Value transfers creating accounts implicitly, by secp and BLS key,
	// with exactly the gas the Calico price list gives.
	for i, newKey := range []address.Address{vmtest.SecpAddress(10), vmtest.BLSAddress(11)} {
		value := abi.NewTokenAmount(int64(1000 + i))
		res := f.send(aliceKey, newKey, value, 0, nil, exitcode.Ok)
		msg := &vm.Message{From: aliceKey, To: newKey, Nonce: uint64(i), Value: value,
			GasLimit: 3_000_000_000, GasFeeCap: abi.NewTokenAmount(300), GasPremium: abi.NewTokenAmount(7)}
		n, err := msg.ChainLength()
		if err != nil {
			t.Fatal(err)
		}
		if want := gasToNewAccount(int64(n), accountStateLen(newKey)); res.GasUsed != want {
			t.Errorf("transfer to new %s account: gas %d, want %d", newKey, res.GasUsed, want)
		}
		if !f.balance(newKey).Equals(value) {
			t.Errorf("new account holds %s, want %s", f.balance(newKey), value)
		}
		if got := f.codeOf(newKey); got != f.code(builtin.KindAccount) {
			t.Errorf("implicit account has code %s", got)
		}
		var st account0.State
		f.load(newKey, &st)
		if st.Address != newKey {
			t.Errorf("account state holds %s", st.Address)
		}
	}
	// The same transfer to an existing account: inclusion and one send.
	{
		res := f.send(aliceKey, bob, abi.NewTokenAmount(5), 0, nil, exitcode.Ok)
		msg := &vm.Message{From: aliceKey, To: bob, Nonce: 2, Value: abi.NewTokenAmount(5),
			GasLimit: 3_000_000_000, GasFeeCap: abi.NewTokenAmount(300), GasPremium: abi.NewTokenAmount(7)}
		n, _ := msg.ChainLength()
		p := calico
		want := p.onChainBase + (p.onChainStorageBase+int64(n))*p.storageMulti + p.sendBase + p.sendTransfer + p.sendTransferOnly
		if res.GasUsed != want {
			t.Errorf("transfer to existing account: gas %d, want %d", res.GasUsed, want)
		}
	}
	// A transfer beyond the balance fails after escrow, as a system error.
	f.send(bobKey, aliceKey, vmtest.FIL(5000), 0, nil, exitcode.SysErrInsufficientFunds)

	// 2. Multisig: alice creates a 2-of-2 wallet with bob through the init
	// actor, proposes paying a new key address, bob approves with the
	// proposal hash, and the payment executes (creating the payee's account
	// from inside the multisig's send).
	msigCtor := encode(t, &multisig2.ConstructorParams{Signers: []address.Address{alice, bob}, NumApprovalsThreshold: 2})
	res := f.send(aliceKey, vmtest.InitAddr, vmtest.FIL(10), builtin0.MethodsInit.Exec,
		encode(t, &init0.ExecParams{CodeCID: f.code(builtin.KindMultisig), ConstructorParams: msigCtor}), exitcode.Ok)
	var msigAddr init0.ExecReturn
	decode(t, res.Return, &msigAddr)
	if f.codeOf(msigAddr.IDAddress) != f.code(builtin.KindMultisig) || f.idOf(msigAddr.RobustAddress) != msigAddr.IDAddress {
		t.Fatalf("multisig created as %+v with code %s", msigAddr, f.codeOf(msigAddr.IDAddress))
	}
	payee := vmtest.SecpAddress(20)
	proposal := &multisig0.ProposeParams{To: payee, Value: vmtest.FIL(1)}
	res = f.send(aliceKey, msigAddr.RobustAddress, big.Zero(), builtin0.MethodsMultisig.Propose, encode(t, proposal), exitcode.Ok)
	var proposed multisig0.ProposeReturn
	decode(t, res.Return, &proposed)
	if proposed.Applied || proposed.TxnID != 0 {
		t.Fatalf("proposal %+v", proposed)
	}
	hash, err := multisig7.ComputeProposalHash(&multisig7.Transaction{To: payee, Value: vmtest.FIL(1), Approved: []address.Address{alice}}, syscalls.HashBlake2b)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong hash is refused by the actor itself.
	f.send(bobKey, msigAddr.IDAddress, big.Zero(), builtin0.MethodsMultisig.Approve,
		encode(t, &multisig0.TxnIDParams{ID: 0, ProposalHash: make([]byte, 32)}), exitcode.ErrIllegalArgument)
	res = f.send(bobKey, msigAddr.IDAddress, big.Zero(), builtin0.MethodsMultisig.Approve,
		encode(t, &multisig0.TxnIDParams{ID: 0, ProposalHash: hash}), exitcode.Ok)
	var approved multisig0.ApproveReturn
	decode(t, res.Return, &approved)
	if !approved.Applied || approved.Code != exitcode.Ok {
		t.Fatalf("approval %+v", approved)
	}
	if !f.balance(payee).Equals(vmtest.FIL(1)) || !f.balance(msigAddr.IDAddress).Equals(vmtest.FIL(9)) {
		t.Errorf("after approval: payee %s, multisig %s", f.balance(payee), f.balance(msigAddr.IDAddress))
	}
	if f.codeOf(payee) != f.code(builtin.KindAccount) {
		t.Errorf("payee created with code %s", f.codeOf(payee))
	}

	// 3. Payment channel from alice to bob, funded at creation.
	res = f.send(aliceKey, vmtest.InitAddr, vmtest.FIL(5), builtin0.MethodsInit.Exec,
		encode(t, &init0.ExecParams{CodeCID: f.code(builtin.KindPaych), ConstructorParams: encode(t, &paych0.ConstructorParams{From: aliceKey, To: bobKey})}), exitcode.Ok)
	var chAddr init0.ExecReturn
	decode(t, res.Return, &chAddr)
	if f.codeOf(chAddr.IDAddress) != f.code(builtin.KindPaych) || !f.balance(chAddr.IDAddress).Equals(vmtest.FIL(5)) {
		t.Fatalf("payment channel %+v: code %s balance %s", chAddr, f.codeOf(chAddr.IDAddress), f.balance(chAddr.IDAddress))
	}
	var ch paych0.State // v3 to v7 keep v0.9's channel state layout
	f.load(chAddr.IDAddress, &ch)
	if ch.From != alice || ch.To != bob {
		t.Errorf("channel from %s to %s, want %s to %s", ch.From, ch.To, alice, bob)
	}
	// Only the init actor may construct a channel.
	f.send(aliceKey, chAddr.IDAddress, big.Zero(), builtin0.MethodConstructor,
		encode(t, &paych0.ConstructorParams{From: aliceKey, To: bobKey}), exitcode.SysErrForbidden)

	// 4. A miner, created by the power actor through init: owner alice,
	// worker a BLS account (actors v3 on require BLS workers).
	workerKey := vmtest.BLSAddress(30)
	worker := f.account(workerKey, vmtest.FIL(10))
	minersBefore := f.powerMinerCount(av)
	res = f.send(aliceKey, vmtest.PowerAddr, big.Zero(), builtin0.MethodsPower.CreateMiner,
		encode(t, &power3.CreateMinerParams{Owner: alice, Worker: workerKey,
			WindowPoStProofType: abi.RegisteredPoStProof_StackedDrgWindow32GiBV1, Peer: abi.PeerID("tvx")}), exitcode.Ok)
	var miner power0.CreateMinerReturn
	decode(t, res.Return, &miner)
	if f.codeOf(miner.IDAddress) != f.code(builtin.KindMiner) {
		t.Fatalf("miner %+v has code %s", miner, f.codeOf(miner.IDAddress))
	}
	if got := f.powerMinerCount(av); got != minersBefore+1 {
		t.Errorf("power actor counts %d miners, want %d", got, minersBefore+1)
	}
	minerAct, err := f.w.Actor(f.ctx, miner.IDAddress)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := builtin.MinerWorker(f.ctx, ipldcbor.NewCborStore(f.w.Blocks), minerAct.Code, minerAct.Head); err != nil || w != worker {
		t.Errorf("miner worker %s (%v), want %s", w, err, worker)
	}
	// A secp worker is refused by the miner constructor, and the failed
	// creation leaves no actor behind.
	f.send(aliceKey, vmtest.PowerAddr, big.Zero(), builtin0.MethodsPower.CreateMiner,
		encode(t, &power3.CreateMinerParams{Owner: alice, Worker: aliceKey,
			WindowPoStProofType: abi.RegisteredPoStProof_StackedDrgWindow32GiBV1}), exitcode.ErrIllegalArgument)
	if got := f.powerMinerCount(av); got != minersBefore+1 {
		t.Errorf("failed creation changed the miner count to %d", got)
	}

	// 5. Cron through an implicit message: power's end-of-epoch tick
	// updates the reward actor, which catches up to the current epoch and
	// steps one past it.
	rewardEpoch := f.rewardEpoch(av)
	res, err = f.w.ApplyImplicit(f.ctx, vm.CronMessage(f.w.Epoch))
	if err != nil || res.ExitCode != 0 || res.GasUsed != 0 {
		t.Fatalf("cron: %v exit %d gas %d: %s", err, res.ExitCode, res.GasUsed, res.Error)
	}
	if got := f.rewardEpoch(av); got <= rewardEpoch || got != f.w.Epoch+1 {
		t.Errorf("reward epoch %d after cron at %d (was %d)", got, f.w.Epoch, rewardEpoch)
	}

	// 6. A tipset mined by the new miner: its message, the block reward
	// (paid to the miner from the reward actor's funds) and cron.
	f.tipset(miner.IDAddress, aliceKey, bob)

	f.checkRoundTrip(genesis, []address.Address{msigAddr.IDAddress, chAddr.IDAddress, miner.IDAddress, f.idOf(payee)})
}

// powerMinerCount reads MinerCount from the power actor's state.
func (f *flow) powerMinerCount(av protocol.ActorsVersion) int64 {
	f.t.Helper()
	n, _ := f.powerState(av)
	return n
}

// powerState reads the power actor's miner count and claims table, decoding
// its state with the actors version's own type.
func (f *flow) powerState(av protocol.ActorsVersion) (int64, cid.Cid) {
	f.t.Helper()
	switch av {
	case 3:
		var st power3.State
		f.load(vmtest.PowerAddr, &st)
		return st.MinerCount, st.Claims
	case 4:
		var st power4.State
		f.load(vmtest.PowerAddr, &st)
		return st.MinerCount, st.Claims
	case 5:
		var st power5.State
		f.load(vmtest.PowerAddr, &st)
		return st.MinerCount, st.Claims
	case 6:
		var st power6.State
		f.load(vmtest.PowerAddr, &st)
		return st.MinerCount, st.Claims
	case 7:
		var st power7.State
		f.load(vmtest.PowerAddr, &st)
		return st.MinerCount, st.Claims
	}
	f.t.Fatalf("no power state for actors v%d", av)
	return 0, cid.Undef
}

// rewardEpoch reads the epoch the reward actor has reached.
func (f *flow) rewardEpoch(av protocol.ActorsVersion) abi.ChainEpoch {
	f.t.Helper()
	switch av {
	case 3:
		var st reward3.State
		f.load(vmtest.RewardAddr, &st)
		return st.Epoch
	case 4:
		var st reward4.State
		f.load(vmtest.RewardAddr, &st)
		return st.Epoch
	case 5:
		var st reward5.State
		f.load(vmtest.RewardAddr, &st)
		return st.Epoch
	case 6:
		var st reward6.State
		f.load(vmtest.RewardAddr, &st)
		return st.Epoch
	case 7:
		var st reward7.State
		f.load(vmtest.RewardAddr, &st)
		return st.Epoch
	}
	f.t.Fatalf("no reward state for actors v%d", av)
	return 0
}

// tipset executes a tipset whose one block, mined by miner, carries a
// transfer from payer to payee, one epoch after the World's.
func (f *flow) tipset(miner, payer, payee address.Address) {
	f.t.Helper()
	msg := &vm.Message{From: payer, To: payee, Nonce: f.nonce[payer], Value: abi.NewTokenAmount(77),
		GasLimit: 1_000_000, GasFeeCap: abi.NewTokenAmount(300), GasPremium: abi.NewTokenAmount(7)}
	n, err := msg.ChainLength()
	if err != nil {
		f.t.Fatal(err)
	}
	minerBefore, rewardBefore, total := f.balance(miner), f.balance(vmtest.RewardAddr), f.total()
	cfg := f.w.Config()
	res, err := vm.ApplyTipset(f.ctx, f.w.Blocks, vm.Tipset{
		ParentState: f.w.Root, ParentEpoch: f.w.Epoch, Epoch: f.w.Epoch + 1,
		Blocks: []vm.TipsetBlock{{Miner: miner, WinCount: 1, SecpMessages: []vm.BlockMessage{{Message: msg, ChainLength: n}}}},
	}, cfg)
	if err != nil {
		f.t.Fatalf("tipset: %v", err)
	}
	f.nonce[payer]++
	f.w.Root, f.w.Epoch = res.StateRoot, f.w.Epoch+1
	kinds := []vm.AppliedKind{}
	for _, a := range res.Applied {
		kinds = append(kinds, a.Kind)
		if a.Result.ExitCode != 0 {
			f.t.Errorf("%s: exit %d: %s", a.Kind, a.Result.ExitCode, a.Result.Error)
		}
	}
	if fmt.Sprint(kinds) != "[message reward cron]" {
		f.t.Fatalf("applied %v", kinds)
	}
	tip := res.Applied[0].Result.Outputs.MinerTip
	paid := big.Sub(rewardBefore, f.balance(vmtest.RewardAddr))
	got := big.Sub(f.balance(miner), minerBefore)
	// The reward actor forwards the tip it just received plus the block
	// reward; the miner's balance grows by exactly what the reward actor lost
	// and the tip.
	if paid.Sign() <= 0 || !got.Equals(big.Add(paid, tip)) {
		f.t.Errorf("miner got %s; reward actor paid out %s beyond the tip %s", got, paid, tip)
	}
	if now := f.total(); !now.Equals(total) {
		f.t.Errorf("tipset changed the total balance from %s to %s", total, now)
	}
}

// checkRoundTrip reloads the final state and flushes it unchanged (same
// root, same state-tree version as the network version prescribes), and
// diffs it against genesis: every actor the flows created is reported with
// its actors version and nothing fails to decode.
func (f *flow) checkRoundTrip(genesis cid.Cid, created []address.Address) {
	f.t.Helper()
	tree, err := f.w.Tree(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if tree.Version() != f.w.Rules.StateTreeVersion {
		f.t.Errorf("state tree version %d, want %d", tree.Version(), f.w.Rules.StateTreeVersion)
	}
	again, err := tree.Flush(f.ctx)
	if err != nil || again != f.w.Root {
		f.t.Errorf("reloaded tree flushes to %s (%v), want %s", again, err, f.w.Root)
	}
	d, err := statediff.Diff(f.ctx, f.w.Blocks, genesis, f.w.Root)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(d.Problems) != 0 {
		f.t.Errorf("statediff could not read everything: %+v", d.Problems)
	}
	wantTree := fmt.Sprintf("v%d", f.w.Rules.StateTreeVersion)
	if !strings.Contains(d.TreeB, wantTree) {
		f.t.Errorf("statediff describes the tree as %q", d.TreeB)
	}
	added := map[address.Address]string{}
	for _, a := range d.Actors {
		if a.Op == statediff.OpAdded {
			added[a.Addr] = a.Code
		}
	}
	suffix := fmt.Sprintf(" v%d", f.w.Rules.ActorsVersion)
	for _, a := range created {
		if code, ok := added[a]; !ok || !strings.HasSuffix(code, suffix) {
			f.t.Errorf("statediff: %s added as %q (present %v), want actors%s", a, code, ok, suffix)
		}
	}
}

// The gas oracle above, checked once by hand: a 133-byte secp message
// creating a secp account at Calico prices costs 38863 + (36+133)*1300
// (inclusion) + 1108454 + 76*1300 (creation) + 29233 - 5377 + 353640 +
// 23*1300 (constructor and its state) + 29233 + 27500 + 159672 (transfer).
func TestGasOracleByHand(t *testing.T) {
	if got := gasToNewAccount(133, 23); got != 2089618 {
		t.Fatalf("oracle gives %d", got)
	}
	if got := accountStateLen(vmtest.SecpAddress(1)); got != 23 {
		t.Fatalf("secp account state is %d bytes", got)
	}
	if got := accountStateLen(vmtest.BLSAddress(1)); got != 52 {
		t.Fatalf("BLS account state is %d bytes", got)
	}
}

// Each network version, run at the epoch after its mainnet upgrade, picks
// the actors version, the state-tree version and the price list the network
// used (Lotus v1.15.3: actors.VersionForNetwork, state.VersionForNetwork,
// PricelistByEpoch; upgrade heights from build/params_mainnet.go). The
// expectations are literal tables, and each is observed in effect: the
// account a transfer creates has that actors version's code, the flushed
// root records that state-tree version, and the transfer costs what that
// price list charges.
func TestNetworkVersionSelection(t *testing.T) {
	activation := []abi.ChainEpoch{0, 41280, 51000, 94000, 138720, 140760, 170000, 265200,
		272400, 336458, 550321, 665280, 712320, 892800, 1231620, 1594680}
	actorsVersion := []int{0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7}
	treeVersion := []protocol.StateTreeVersion{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 4, 4}
	ctx := context.Background()
	for nv := network.Version0; nv <= network.Version15; nv++ {
		epoch := activation[nv] + 1
		if got, ok := protocol.Mainnet().Activation(nv); !ok || got.Epoch != activation[nv] {
			t.Errorf("nv%d: upgrade epoch %d, want %d", nv, got.Epoch, activation[nv])
		}
		w, err := vmtest.New(ctx, nv, vmtest.Options{Epoch: epoch})
		if err != nil {
			t.Fatalf("nv%d: %v", nv, err)
		}
		if int(w.Rules.ActorsVersion) != actorsVersion[nv] || w.Rules.StateTreeVersion != treeVersion[nv] {
			t.Errorf("nv%d: rules name actors v%d, state tree v%d", nv, w.Rules.ActorsVersion, w.Rules.StateTreeVersion)
		}
		from := vmtest.SecpAddress(1)
		if _, err := w.NewAccount(ctx, from, vmtest.FIL(1)); err != nil {
			t.Fatal(err)
		}
		to := vmtest.SecpAddress(2)
		msg := &vm.Message{From: from, To: to, Value: abi.NewTokenAmount(1),
			GasLimit: 10_000_000, GasFeeCap: abi.NewTokenAmount(200), GasPremium: abi.NewTokenAmount(1)}
		res, err := w.Apply(ctx, msg)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("nv%d: transfer: %v %+v", nv, err, res)
		}

		// Actors version: the implicit account's code names it.
		n := actorsVersion[nv]
		if n == 0 {
			n = 1 // specs-actors v0.9 codes are named fil/1/...
		}
		name := fmt.Sprintf("fil/%d/account", n)
		wantCode := cid.NewCidV1(cid.Raw, mustIdentity(t, name))
		act, err := w.Actor(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		if act.Code != wantCode {
			t.Errorf("nv%d: account created with code %s, want %s", nv, act.Code, name)
		}

		// State-tree version: recorded in the root (version 0 has none).
		tree, err := w.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Version() != treeVersion[nv] {
			t.Errorf("nv%d: state tree version %d, want %d", nv, tree.Version(), treeVersion[nv])
		}
		blk, err := w.Blocks.Get(ctx, w.Root)
		if err != nil {
			t.Fatal(err)
		}
		versioned := len(blk.RawData()) > 1 && blk.RawData()[0] == 0x83 && int(blk.RawData()[1]) == int(treeVersion[nv])
		if versioned != (treeVersion[nv] > 0) {
			t.Errorf("nv%d: root block %x does not match state tree version %d", nv, blk.RawData()[:2], treeVersion[nv])
		}

		// Price list: genesis prices until Calico (epoch 265200), then Calico's.
		era := genesisEra
		if epoch >= 265200 {
			era = calico
		}
		chainLen, err := msg.ChainLength()
		if err != nil {
			t.Fatal(err)
		}
		p := era
		want := p.onChainBase + (p.onChainStorageBase+int64(chainLen))*p.storageMulti +
			p.createActorCompute + p.createActorStorage*p.storageMulti +
			p.sendBase + p.sendInvokeMethod + p.ipldPutBase + accountStateLen(to)*p.storageMulti +
			p.sendBase + p.sendTransfer + p.sendTransferOnly
		if res.GasUsed != want {
			t.Errorf("nv%d at epoch %d: gas %d, want %d", nv, epoch, res.GasUsed, want)
		}
		wantEra := "genesis"
		if nv >= network.Version7 {
			wantEra = "calico"
		}
		if got := protocol.Mainnet().PricesAt(epoch); got != wantEra {
			t.Errorf("nv%d: price era %s, want %s", nv, got, wantEra)
		}
	}
}

func mustIdentity(t *testing.T, s string) []byte {
	t.Helper()
	h, err := mh.Sum([]byte(s), mh.IDENTITY, -1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The chaos actor runs under every actors version (vectors may select it at
// any network version), and through it the runtime's version checks can be
// driven directly: an actor may create actors of the version in force only,
// and code of another version cannot run (Lotus v1.15.3 registers each
// version's actors behind a network-version predicate).
func TestChaosAndForeignCodeUnderEachVersion(t *testing.T) {
	for _, nv := range flowVersions {
		nv := nv
		t.Run(fmt.Sprintf("nv%d", nv), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			base, err := actors.NewBuiltinRegistry()
			if err != nil {
				t.Fatal(err)
			}
			reg := base.Clone()
			if err := reg.Register(0, true, chaos.Actor{}); err != nil {
				t.Fatal(err)
			}
			w, err := vmtest.New(ctx, nv, vmtest.Options{MainnetPrices: true, Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			w.Epoch = 5
			f := &flow{t: t, ctx: ctx, w: w, nonce: map[address.Address]uint64{}}
			av := w.Rules.ActorsVersion
			prev := av - 1
			if prev == 1 {
				prev = 0
			}
			foreignAccount, err := builtin.Code(prev, builtin.KindAccount)
			if err != nil {
				t.Fatal(err)
			}

			key := vmtest.SecpAddress(1)
			sender := f.account(key, vmtest.FIL(10))
			tree, err := w.Tree(ctx)
			if err != nil {
				t.Fatal(err)
			}
			oldKey := vmtest.SecpAddress(2)
			oldHead, err := ipldcbor.NewCborStore(w.Blocks).Put(ctx, &account0.State{Address: oldKey})
			if err != nil {
				t.Fatal(err)
			}
			oldID := mustIDAddr(t, 500)
			for _, a := range []struct {
				addr       address.Address
				code, head cid.Cid
			}{{chaos.Address, chaos.CodeCID, vm.EmptyObjectCID()}, {oldID, foreignAccount, oldHead}} {
				if err := tree.SetActor(a.addr, &state.Actor{Code: a.code, Head: a.head, Balance: big.Zero()}); err != nil {
					t.Fatal(err)
				}
			}
			if w.Root, err = tree.Flush(ctx); err != nil {
				t.Fatal(err)
			}

			f.send(key, chaos.Address, big.Zero(), chaos.MethodCreateState, nil, exitcode.Ok)
			res := f.send(key, chaos.Address, abi.NewTokenAmount(3), chaos.MethodInspectRuntime, nil, exitcode.Ok)
			var seen chaos.InspectRuntimeReturn
			decode(t, res.Return, &seen)
			if seen.Caller != sender || seen.Receiver != chaos.Address || seen.CurrEpoch != 5 || !seen.ValueReceived.Equals(abi.NewTokenAmount(3)) {
				t.Errorf("chaos saw %+v", seen)
			}

			// Creating actors: this version's code, yes; another's, no.
			msig := f.code(builtin.KindMultisig)
			oldMsig, err := builtin.Code(prev, builtin.KindMultisig)
			if err != nil {
				t.Fatal(err)
			}
			f.send(key, chaos.Address, big.Zero(), chaos.MethodCreateActor,
				encode(t, &chaos.CreateActorArgs{ActorCID: msig, Address: mustIDAddr(t, 1000)}), exitcode.Ok)
			if got := f.codeOf(mustIDAddr(t, 1000)); got != msig {
				t.Errorf("created actor has code %s", got)
			}
			f.send(key, chaos.Address, big.Zero(), chaos.MethodCreateActor,
				encode(t, &chaos.CreateActorArgs{ActorCID: oldMsig, Address: mustIDAddr(t, 1001)}), exitcode.SysErrorIllegalArgument)

			// Running foreign code: a method call fails as an illegal actor,
			// both from a message and from inside an actor; a plain value
			// send runs no code and succeeds.
			f.send(key, oldID, big.Zero(), builtin0.MethodsAccount.PubkeyAddress, nil, exitcode.SysErrorIllegalActor)
			res = f.send(key, chaos.Address, big.Zero(), chaos.MethodSend,
				encode(t, &chaos.SendArgs{To: oldID, Value: big.Zero(), Method: builtin0.MethodsAccount.PubkeyAddress}), exitcode.Ok)
			var inner chaos.SendReturn
			decode(t, res.Return, &inner)
			if inner.Code != exitcode.SysErrorIllegalActor {
				t.Errorf("inner call to foreign code: exit %d", inner.Code)
			}
			f.send(key, oldID, abi.NewTokenAmount(1), 0, nil, exitcode.Ok)
			// This version's account code does run.
			res = f.send(key, sender, big.Zero(), builtin0.MethodsAccount.PubkeyAddress, nil, exitcode.Ok)
			var pk address.Address
			decode(t, res.Return, &pk)
			if pk != key {
				t.Errorf("PubkeyAddress returned %s", pk)
			}
		})
	}
}

func mustIDAddr(t *testing.T, id uint64) address.Address {
	t.Helper()
	a, err := address.NewIDAddress(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// At Calico's height mainnet still ran nv6 but already charged Calico
// prices; a vector made off-chain at that epoch uses the prices nv6
// activated with. Both sides of the edge, in both modes, observed in the
// gas of a transfer that creates an account.
func TestCalicoPriceEdge(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		nv      network.Version
		epoch   abi.ChainEpoch
		onChain bool
		calico  bool
	}{
		{network.Version6, 265199, true, false},
		{network.Version6, 265200, true, true},
		{network.Version6, 265200, false, false},
		{network.Version7, 265201, true, true},
		{network.Version7, 265201, false, true},
		{network.Version7, 200, false, true},
		{network.Version6, 200, true, false},
	} {
		w, err := vmtest.New(ctx, c.nv, vmtest.Options{Epoch: c.epoch, OnChain: c.onChain})
		if err != nil {
			t.Fatal(err)
		}
		from, to := vmtest.SecpAddress(1), vmtest.SecpAddress(2)
		if _, err := w.NewAccount(ctx, from, vmtest.FIL(1)); err != nil {
			t.Fatal(err)
		}
		msg := &vm.Message{From: from, To: to, Value: abi.NewTokenAmount(1),
			GasLimit: 10_000_000, GasFeeCap: abi.NewTokenAmount(200), GasPremium: abi.NewTokenAmount(1)}
		res, err := w.Apply(ctx, msg)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("nv%d at %d: transfer: %v %+v", c.nv, c.epoch, err, res)
		}
		chainLen, err := msg.ChainLength()
		if err != nil {
			t.Fatal(err)
		}
		p := genesisEra
		if c.calico {
			p = calico
		}
		want := p.onChainBase + (p.onChainStorageBase+int64(chainLen))*p.storageMulti +
			p.createActorCompute + p.createActorStorage*p.storageMulti +
			p.sendBase + p.sendInvokeMethod + p.ipldPutBase + accountStateLen(to)*p.storageMulti +
			p.sendBase + p.sendTransfer + p.sendTransferOnly
		if res.GasUsed != want {
			t.Errorf("nv%d at %d (on chain %v): gas %d, want %d (calico prices: %v)", c.nv, c.epoch, c.onChain, res.GasUsed, want, c.calico)
		}
	}
}
