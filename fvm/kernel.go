package fvm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/fvm/state"
	"github.com/tvx-project/tvx/internal/cborseq"
	"github.com/tvx-project/tvx/vm"
)

// kernel is what one actor invocation sees: its identity, the message
// context, its block registry, and the syscalls (syscalls_*.go) through
// which it reaches the call manager and the state tree.
type kernel struct {
	cm     *callManager
	caller uint64
	self   uint64
	code   cid.Cid
	method uint64
	value  abi.TokenAmount
	blocks *blockRegistry
	// readOnly (nv18) forbids the invocation, and every send it makes,
	// to change state, transfer value or emit events.
	readOnly bool
}

func newKernel(cm *callManager, caller, self uint64, code cid.Cid, method uint64, value abi.TokenAmount) *kernel {
	return &kernel{cm: cm, caller: caller, self: self, code: code, method: method, value: value, blocks: newBlockRegistry()}
}

// run invokes the actor's code with params (nil for none) and returns the
// block it returns (nil for none).
func (k *kernel) run(wasm []byte, params *block) (*block, error) {
	paramsID := uint32(noDataBlockID)
	if params != nil {
		id, err := k.blocks.put(*params)
		if err != nil {
			return nil, err
		}
		paramsID = id
	}
	retID, err := k.cm.m.cfg.Engine.Invoke(k.cm.ctx, k.code, wasm, k, paramsID)
	if err != nil {
		var abort *actorAbort
		var fatal *fatalError
		var exit *actorExit
		switch {
		case errors.As(err, &exit):
			return k.exited(exit)
		case errors.As(err, &abort), errors.As(err, &fatal):
			return nil, err
		case errors.Is(err, gas.ErrOutOfGas):
			return nil, gas.ErrOutOfGas
		}
		// A trap: the actor broke the rules of Wasm execution.
		return nil, &actorAbort{code: exitIllegalInstruction, msg: fmt.Sprintf("actor %d trapped: %v", k.self, err)}
	}
	if retID == noDataBlockID {
		return nil, nil
	}
	b, err := k.blocks.get(retID)
	if err != nil {
		return nil, &actorAbort{code: exitMissingReturn, msg: "returned block does not exist"}
	}
	return &b, nil
}

// exited turns an actor's vm::exit into its invocation's result: a return
// block for exit code 0, else an abort that carries the block it names.
func (k *kernel) exited(e *actorExit) (*block, error) {
	var ret *block
	if e.block != noDataBlockID {
		b, err := k.blocks.get(e.block)
		if err != nil {
			return nil, fatalf("actor %d exited with block %d: %v", k.self, e.block, err)
		}
		ret = &b
	}
	if e.code == 0 {
		return ret, nil
	}
	return nil, &actorAbort{code: e.code, msg: e.msg, ret: ret}
}

// blake2b256 is the only multihash the FVM lets actors link blocks with.
const blake2b256 = 0xb220

// identityHash is the identity multihash, whose CIDs carry their data.
const identityHash = 0x00

// blockOpen loads the block c from the store into the registry.
func (k *kernel) blockOpen(c cid.Cid) (id uint32, codec uint64, size uint32, err error) {
	p := k.cm.m.prices
	if err := k.cm.gas.Charge(p.OnBlockOpenBase()); err != nil {
		return 0, 0, 0, err
	}
	var data []byte
	if c.Prefix().MhType == identityHash {
		dec, derr := mh.Decode(c.Hash())
		if derr != nil {
			return 0, 0, 0, sysErr(ErrIllegalCid, "bad identity CID: %v", derr)
		}
		data = dec.Digest
	} else {
		blk, gerr := k.cm.m.bs.Get(k.cm.ctx, c)
		if gerr != nil {
			return 0, 0, 0, fatalf("missing state: %s: %v", c, gerr)
		}
		data = blk.RawData()
	}
	if err := k.cm.gas.Charge(p.OnBlockOpenPerByte(len(data))); err != nil {
		return 0, 0, 0, err
	}
	b := block{codec: c.Prefix().Codec, data: data}
	id, err = k.blocks.put(b)
	if err != nil {
		return 0, 0, 0, err
	}
	return id, b.codec, uint32(len(data)), nil
}

// blockCreate registers a new block the actor built.
func (k *kernel) blockCreate(codec uint64, data []byte) (uint32, error) {
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockCreate(len(data))); err != nil {
		return 0, err
	}
	return k.blocks.put(block{codec: codec, data: bytes.Clone(data)})
}

// blockLink hashes a registered block, stores it and returns its CID.
func (k *kernel) blockLink(id uint32, hashFun uint64, hashLen uint32) (cid.Cid, error) {
	if hashFun != blake2b256 || hashLen != 32 {
		return cid.Undef, sysErr(ErrIllegalCid, "cids must be 32-byte blake2b")
	}
	b, err := k.blocks.get(id)
	if err != nil {
		return cid.Undef, err
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockLink(len(b.data))); err != nil {
		return cid.Undef, err
	}
	c, err := cid.Prefix{Version: 1, Codec: b.codec, MhType: mh.BLAKE2B_MIN + 31, MhLength: 32}.Sum(b.data)
	if err != nil {
		return cid.Undef, fatalf("hash block: %v", err)
	}
	blk, err := blocks.NewBlockWithCid(b.data, c)
	if err != nil {
		return cid.Undef, fatalf("block %s: %v", c, err)
	}
	if err := k.cm.m.bs.Put(k.cm.ctx, blk); err != nil {
		return cid.Undef, fatalf("store block %s: %v", c, err)
	}
	return c, nil
}

// blockRead copies from offset of block id into buf and returns how many
// bytes of the block remain beyond the buffer (negative when the buffer
// reaches past the end) and how many were copied.
func (k *kernel) blockRead(id uint32, offset uint32, buf []byte) (int32, int, error) {
	end := uint64(offset) + uint64(len(buf))
	if end > 1<<31-1 {
		return 0, 0, sysErr(ErrIllegalArgument, "offset plus buffer length did not fit into an i32")
	}
	b, err := k.blocks.get(id)
	if err != nil {
		return 0, 0, err
	}
	n := 0
	if int(offset) < len(b.data) {
		n = min(len(b.data)-int(offset), len(buf))
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockRead(n)); err != nil {
		return 0, 0, err
	}
	copy(buf, b.data[int(offset):int(offset)+n])
	return int32(int64(len(b.data)) - int64(end)), n, nil
}

// setRoot sets the actor's state root.
func (k *kernel) setRoot(c cid.Cid) error {
	a, ok, err := k.cm.m.tree.GetActor(k.self)
	if err != nil {
		return &fatalError{err: err}
	}
	if !ok {
		return sysErr(ErrIllegalOperation, "actor deleted")
	}
	a.Head = c
	k.cm.m.tree.SetActor(k.self, a)
	return nil
}

// selfDestruct deletes the actor, sending its balance to beneficiary.
func (k *kernel) selfDestruct(beneficiary address.Address) error {
	if err := k.cm.gas.Charge(k.cm.m.prices.OnDeleteActor()); err != nil {
		return err
	}
	a, ok, err := k.cm.m.tree.GetActor(k.self)
	if err != nil {
		return &fatalError{err: err}
	}
	if ok && !a.Balance.IsZero() {
		to, found, err := k.cm.m.tree.LookupID(beneficiary)
		if err != nil {
			return &fatalError{err: err}
		}
		if !found {
			return sysErr(ErrNotFound, "beneficiary doesn't exist")
		}
		if to == k.self {
			return sysErr(ErrForbidden, "benefactor cannot be beneficiary")
		}
		if err := k.cm.transfer(k.self, to, a.Balance); err != nil {
			return err
		}
	}
	k.cm.m.tree.DeleteActor(k.self)
	return nil
}

// newActorAddress derives the next actor address of the message: the hash
// of the origin's key address, the message nonce and the count of
// addresses made so far, each nonce and count big-endian.
func (k *kernel) newActorAddress() (address.Address, error) {
	key, err := k.originKeyAddress()
	if err != nil {
		return address.Undef, err
	}
	var buf bytes.Buffer
	if err := (addrBytes(key)).MarshalCBOR(&buf); err != nil {
		return address.Undef, &fatalError{err: err}
	}
	b := binary.BigEndian.AppendUint64(buf.Bytes(), k.cm.nonce)
	b = binary.BigEndian.AppendUint64(b, k.cm.created)
	k.cm.created++
	a, err := address.NewActorAddress(b)
	if err != nil {
		return address.Undef, &fatalError{err: err}
	}
	return a, nil
}

// originKeyAddress is the key address of the message's sender: its From
// address when that is a key address, else read from its account state
// (uncharged).
func (k *kernel) originKeyAddress() (address.Address, error) {
	if p := k.cm.originAddr.Protocol(); p == address.BLS || p == address.SECP256K1 {
		return k.cm.originAddr, nil
	}
	a, ok, err := k.cm.m.tree.GetActor(k.cm.origin)
	if err != nil || !ok {
		return address.Undef, fatalf("origin %d: %v", k.cm.origin, err)
	}
	blk, err := k.cm.m.bs.Get(k.cm.ctx, a.Head)
	if err != nil {
		return address.Undef, fatalf("origin %d state: %v", k.cm.origin, err)
	}
	rd := cborseq.NewReader(bytes.NewReader(blk.RawData()))
	rd.Array("account state", 1)
	raw := rd.Bytes("account address")
	if err := rd.Err(); err != nil {
		return address.Undef, fatalf("origin %d account state: %v", k.cm.origin, err)
	}
	addr, err := address.NewFromBytes(raw)
	if err != nil {
		return address.Undef, fatalf("origin %d key address: %v", k.cm.origin, err)
	}
	return addr, nil
}

// createActor creates an actor of a builtin, non-singleton code at id.
func (k *kernel) createActor(code cid.Cid, id uint64) error {
	e, ok := k.cm.m.bundle.ByCode(code)
	if !ok {
		return sysErr(ErrForbidden, "can only create built-in actors")
	}
	if singleton(e.Name) {
		return sysErr(ErrForbidden, "can only have one instance of singleton actors")
	}
	if _, exists, err := k.cm.m.tree.GetActor(id); err == nil && exists {
		return sysErr(ErrForbidden, "Actor address already exists")
	}
	if err := k.cm.gas.Charge(k.cm.m.prices.OnCreateActor()); err != nil {
		return err
	}
	k.cm.m.tree.SetActor(id, &state.Actor{Code: code, Head: vm.EmptyObjectCID(), Balance: big.Zero()})
	return nil
}

// singleton reports whether the builtin actor named name exists once.
func singleton(name string) bool {
	switch name {
	case "system", "init", "reward", "cron", "storagepower", "storagemarket", "verifiedregistry", "datacap", "eam":
		return true
	}
	return false
}

// send runs a nested send in its own transaction and returns its exit code
// and its registered return block (from nv18 a failed send returns one
// too).
func (k *kernel) send(to address.Address, method uint64, paramsID uint32, value abi.TokenAmount, o sendOptions) (code, retID uint32, codec uint64, size uint32, err error) {
	hygge := k.cm.access != nil
	if hygge {
		o.readOnly = o.readOnly || k.readOnly
		if o.readOnly && !value.IsZero() {
			return 0, 0, 0, 0, sysErr(ErrReadOnly, "cannot transfer value when read-only")
		}
	}
	var params *block
	if paramsID != noDataBlockID {
		b, err := k.blocks.get(paramsID)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if !hygge {
			// Before nv18 every parameter block was passed on as CBOR.
			b.codec = dagCBOR
		}
		params = &b
	}
	if hygge && k.blocks.full() {
		return 0, 0, 0, 0, sysErr(ErrLimitExceeded, "cannot store return block")
	}
	ret, err := k.cm.transaction(func() (*block, error) {
		return k.cm.send(k.self, to, method, params, value, o)
	})
	var abort *actorAbort
	if errors.As(err, &abort) {
		code = uint32(abort.code)
		ret, err = abort.ret, nil
		if !hygge {
			ret = nil
		}
	}
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if ret == nil {
		return code, noDataBlockID, 0, 0, nil
	}
	if !hygge {
		ret.codec = dagCBOR
	}
	id, err := k.blocks.put(*ret)
	if err != nil {
		return 0, 0, 0, 0, &fatalError{err: err}
	}
	return code, id, ret.codec, uint32(len(ret.data)), nil
}

// randomness draws chain (ticket) or beacon randomness through the externs.
func (k *kernel) randomness(beacon bool, pers, epoch int64, entropy []byte) ([]byte, error) {
	if err := k.cm.gas.Charge(k.cm.m.prices.OnGetRandomness(len(entropy))); err != nil {
		return nil, err
	}
	r := k.cm.m.cfg.Rand
	if r == nil {
		return nil, fatalf("no randomness source")
	}
	var out []byte
	var err error
	if beacon {
		out, err = r.BeaconRandomness(k.cm.ctx, crypto.DomainSeparationTag(pers), abi.ChainEpoch(epoch), entropy)
	} else {
		out, err = r.ChainRandomness(k.cm.ctx, crypto.DomainSeparationTag(pers), abi.ChainEpoch(epoch), entropy)
	}
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "randomness: %v", err)
	}
	if len(out) != 32 {
		return nil, fatalf("randomness of %d bytes", len(out))
	}
	return out, nil
}

// abiExit converts an exit code from the ABI.
func abiExit(code uint32) exitcode.ExitCode { return exitcode.ExitCode(int64(code)) }
