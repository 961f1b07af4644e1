package fvm

import (
	"bytes"
	mbig "math/big"
	"unicode/utf8"

	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/exitcode"

	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/fvm/state"
)

// mainnetChainID is the chain ID network::context reports (FIP-0054's
// chain ID of mainnet).
const mainnetChainID = 314

// maxBlockBytes is the largest block an actor may create (nv18).
const maxBlockBytes = 1 << 20

// maxExitMessage is the longest exit message kept whole; a longer one
// keeps its first and last halves.
const maxExitMessage = 1024

// Flags of send::send and of the message context (nv18).
const (
	flagReadOnly = 1
)

// hyggeSyscalls is the nv18 surface (builtin-actors v10, the FVM's v3
// syscall interface): the Skyr modules it keeps unchanged, the vm, send,
// network and actor modules as v3 redefines them, and the gas::available,
// event and secp256k1 key recovery additions.
func hyggeSyscalls() []HostFunction {
	i32, i64 := I32, I64
	keep := map[string]bool{
		"ipld::block_open": true, "ipld::block_read": true, "ipld::block_link": true, "ipld::block_stat": true,
		"actor::get_builtin_actor_type": true, "actor::get_code_cid_for_type": true,
		"network::total_fil_circ_supply": true,
		"gas::charge":                    true,
		"rand::get_chain_randomness":     true, "rand::get_beacon_randomness": true,
		"debug::enabled": true, "debug::log": true,
		"crypto::hash": true, "crypto::compute_unsealed_sector_cid": true, "crypto::verify_post": true,
		"crypto::verify_aggregate_seals": true, "crypto::verify_replica_update": true,
		"crypto::batch_verify_seals": true, "crypto::verify_consensus_fault": true,
	}
	var out []HostFunction
	for _, f := range skyrSyscalls() {
		if keep[f.Module+"::"+f.Name] {
			out = append(out, f)
		}
	}
	return append(out,
		bind("ipld", "block_create", 4, []ValueKind{i64, i32, i32}, (*kernel).sysBlockCreateV3),

		bind("self", "root", 4, []ValueKind{i32, i32}, (*kernel).sysRootV3),
		bind("self", "set_root", 0, []ValueKind{i32}, (*kernel).sysSetRootV3),
		bind("self", "current_balance", 16, nil, (*kernel).sysCurrentBalanceV3),
		bind("self", "self_destruct", 0, []ValueKind{i32, i32}, (*kernel).sysSelfDestructV3),

		bind("actor", "resolve_address", 8, []ValueKind{i32, i32}, (*kernel).sysResolveAddressV3),
		bind("actor", "lookup_delegated_address", 4, []ValueKind{i64, i32, i32}, (*kernel).sysLookupDelegatedAddress),
		bind("actor", "get_actor_code_cid", 4, []ValueKind{i64, i32, i32}, (*kernel).sysGetActorCodeCidV3),
		bind("actor", "next_actor_address", 4, []ValueKind{i32, i32}, (*kernel).sysNextActorAddress),
		bind("actor", "create_actor", 0, []ValueKind{i64, i32, i32, i32}, (*kernel).sysCreateActorV3),
		bind("actor", "balance_of", 16, []ValueKind{i64}, (*kernel).sysBalanceOf),

		bind("network", "context", 44, nil, (*kernel).sysNetworkContext),
		bind("network", "tipset_cid", 4, []ValueKind{i64, i32, i32}, (*kernel).sysTipsetCid),

		bind("vm", "exit", 0, []ValueKind{i32, i32, i32, i32}, (*kernel).sysExit),
		bind("vm", "message_context", 80, nil, (*kernel).sysMessageContext),

		bind("send", "send", 20, []ValueKind{i32, i32, i64, i32, i64, i64, i64, i64}, (*kernel).sysSendV3),
		bind("gas", "available", 8, nil, func(k *kernel, _ Memory, _ []uint64) ([]byte, error) {
			return le64(uint64(max(k.cm.gas.AvailableMilli(), 0) / gas.Milli)), nil
		}),
		bind("event", "emit_event", 0, []ValueKind{i32, i32}, (*kernel).sysEmitEvent),

		bind("crypto", "verify_signature", 4, []ValueKind{i32, i32, i32, i32, i32, i32, i32}, (*kernel).sysVerifySignatureV3),
		bind("crypto", "recover_secp_public_key", 65, []ValueKind{i32, i32}, (*kernel).sysRecoverSecpPublicKey),
	)
}

// charge applies a charge of the price list.
func (k *kernel) charge(c gas.Charge) error { return k.cm.gas.Charge(c) }

// self reads the invocation's own actor through the call manager (a
// first read is charged).
func (k *kernel) selfActor() (*state.Actor, bool, error) { return k.cm.getActor(k.self) }

func (k *kernel) sysBlockCreateV3(mem Memory, args []uint64) ([]byte, error) {
	data, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	if len(data) > maxBlockBytes {
		return nil, sysErr(ErrLimitExceeded, "blocks may not be larger than 1MiB")
	}
	switch args[0] {
	case dagCBOR, cborCodec, ipldRaw:
	default:
		return nil, sysErr(ErrIllegalCodec, "codec %d is not allowed", args[0])
	}
	id, err := k.blockCreate(args[0], data)
	if err != nil {
		return nil, err
	}
	return le32(id), nil
}

func (k *kernel) sysRootV3(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[0], args[1]); err != nil {
		return nil, err
	}
	a, ok, err := k.selfActor()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sysErr(ErrIllegalOperation, "state root requested after actor deletion")
	}
	return writeCid(mem, a.Head, args[0], args[1])
}

func (k *kernel) sysSetRootV3(mem Memory, args []uint64) ([]byte, error) {
	c, err := readCid(mem, args[0])
	if err != nil {
		return nil, err
	}
	if k.readOnly {
		return nil, sysErr(ErrReadOnly, "cannot update the state-root while read-only")
	}
	a, ok, err := k.selfActor()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sysErr(ErrIllegalOperation, "actor deleted")
	}
	a.Head = c
	return nil, k.cm.setActor(k.self, a)
}

// balanceV3 is the actor's own balance (zero once deleted).
func (k *kernel) balanceV3() (abi.TokenAmount, error) {
	if err := k.charge(k.cm.m.prices.OnSelfBalance()); err != nil {
		return abi.TokenAmount{}, err
	}
	a, ok, err := k.selfActor()
	if err != nil {
		return abi.TokenAmount{}, err
	}
	if !ok {
		return big.Zero(), nil
	}
	return a.Balance, nil
}

func (k *kernel) sysCurrentBalanceV3(Memory, []uint64) ([]byte, error) {
	b, err := k.balanceV3()
	if err != nil {
		return nil, err
	}
	return tokenBytes(b)
}

func (k *kernel) sysSelfDestructV3(mem Memory, args []uint64) ([]byte, error) {
	beneficiary, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	if k.readOnly {
		return nil, sysErr(ErrReadOnly, "cannot self-destruct when read-only")
	}
	if err := k.charge(k.cm.m.prices.OnDeleteActor()); err != nil {
		return nil, err
	}
	bal, err := k.balanceV3()
	if err != nil {
		return nil, err
	}
	if !bal.IsZero() {
		to, err := k.resolveV3(beneficiary)
		if err != nil {
			return nil, err
		}
		if to == k.self {
			return nil, sysErr(ErrForbidden, "benefactor cannot be beneficiary")
		}
		if err := k.cm.transfer(k.self, to, bal); err != nil {
			return nil, err
		}
	}
	return nil, k.cm.deleteActor(k.self)
}

// resolveV3 resolves an address to an actor ID, NotFound when it names
// none.
func (k *kernel) resolveV3(addr address.Address) (uint64, error) {
	if err := k.charge(k.cm.m.prices.OnResolveAddress()); err != nil {
		return 0, err
	}
	id, ok, err := k.cm.resolve(addr)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, sysErr(ErrNotFound, "actor not found")
	}
	return id, nil
}

func (k *kernel) sysResolveAddressV3(mem Memory, args []uint64) ([]byte, error) {
	addr, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	id, err := k.resolveV3(addr)
	if err != nil {
		return nil, err
	}
	return le64(id), nil
}

// otherActor reads actor id through the call manager after charge c,
// NotFound when it does not exist.
func (k *kernel) otherActor(c gas.Charge, id uint64) (*state.Actor, error) {
	if err := k.charge(c); err != nil {
		return nil, err
	}
	a, ok, err := k.cm.getActor(id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sysErr(ErrNotFound, "actor not found")
	}
	return a, nil
}

func (k *kernel) sysLookupDelegatedAddress(mem Memory, args []uint64) ([]byte, error) {
	buf, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	a, err := k.otherActor(k.cm.m.prices.OnLookupAddress(), args[0])
	if err != nil {
		return nil, err
	}
	if a.Delegated == nil {
		return le32(0), nil
	}
	if len(a.Delegated) > len(buf) {
		return nil, sysErr(ErrBufferTooSmall, "address output buffer is too small")
	}
	mem.Write(uint32(args[1]), a.Delegated)
	return le32(uint32(len(a.Delegated))), nil
}

func (k *kernel) sysGetActorCodeCidV3(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[1], args[2]); err != nil {
		return nil, err
	}
	a, err := k.otherActor(k.cm.m.prices.OnGetActorCodeCid(), args[0])
	if err != nil {
		return nil, err
	}
	return writeCid(mem, a.Code, args[1], args[2])
}

func (k *kernel) sysBalanceOf(_ Memory, args []uint64) ([]byte, error) {
	a, err := k.otherActor(k.cm.m.prices.OnBalanceOf(), args[0])
	if err != nil {
		return nil, err
	}
	return tokenBytes(a.Balance)
}

func (k *kernel) sysNextActorAddress(mem Memory, args []uint64) ([]byte, error) {
	buf, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	if len(buf) < 21 {
		return nil, sysErr(ErrBufferTooSmall, "output buffer must have a minimum capacity of 21 bytes")
	}
	addr, err := k.cm.nextActorAddress()
	if err != nil {
		return nil, err
	}
	b := addr.Bytes()
	if len(b) > len(buf) {
		return nil, fatalf("created a %d byte actor address", len(b))
	}
	mem.Write(uint32(args[0]), b)
	return le32(uint32(len(b))), nil
}

func (k *kernel) sysCreateActorV3(mem Memory, args []uint64) ([]byte, error) {
	code, err := readCid(mem, args[1])
	if err != nil {
		return nil, err
	}
	var delegated []byte
	if args[3] > 0 {
		addr, err := readAddress(mem, args[2], args[3])
		if err != nil {
			return nil, err
		}
		delegated = addr.Bytes()
	}
	if k.self != initActorID {
		return nil, sysErr(ErrForbidden, "create_actor is restricted to InitActor. Called by %d", k.self)
	}
	if k.readOnly {
		return nil, sysErr(ErrReadOnly, "create_actor cannot be called while read-only")
	}
	return nil, k.cm.createActor(code, args[0], delegated)
}

func (k *kernel) sysNetworkContext(Memory, []uint64) ([]byte, error) {
	if err := k.charge(k.cm.m.prices.OnNetworkContext()); err != nil {
		return nil, err
	}
	cfg := k.cm.m.cfg
	fee, err := tokenBytes(cfg.BaseFee)
	if err != nil {
		return nil, err
	}
	out := le64(uint64(cfg.Epoch))
	out = append(out, le64(cfg.Timestamp)...)
	out = append(out, fee...)
	out = append(out, le64(mainnetChainID)...)
	return append(out, le32(uint32(cfg.NetworkVersion))...), nil
}

// finality is how far back tipset CIDs can be looked up.
const finality = 900

func (k *kernel) sysTipsetCid(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[1], args[2]); err != nil {
		return nil, err
	}
	epoch := int64(args[0])
	if epoch < 0 {
		return nil, sysErr(ErrIllegalArgument, "epoch is negative")
	}
	offset := int64(k.cm.m.cfg.Epoch) - epoch
	switch {
	case offset < 0:
		return nil, sysErr(ErrIllegalArgument, "epoch %d is in the future", epoch)
	case offset == 0:
		return nil, sysErr(ErrIllegalArgument, "cannot lookup the tipset cid for the current epoch")
	case offset >= finality:
		return nil, sysErr(ErrIllegalArgument, "epoch %d is too far in the past", epoch)
	}
	// The FVM ignores running out of gas here and fails on the lookup.
	_ = k.charge(k.cm.m.prices.OnTipsetCid(offset > 1))
	return nil, fatalf("tipset CID of epoch %d: no tipset CIDs are recorded for this message", epoch)
}

func (k *kernel) sysExit(mem Memory, args []uint64) ([]byte, error) {
	code, blk := exitcode.ExitCode(int64(uint32(args[0]))), uint32(args[1])
	if code != 0 && code < exitcode.FirstActorErrorCode {
		return nil, &actorExit{code: exitIllegalExitCode, block: blk, msg: "actor aborted with code " + code.String()}
	}
	msg := "actor aborted"
	if n := args[3]; n != 0 {
		b, ok := mem.Read(uint32(args[2]), uint32(n))
		switch {
		case !ok:
			msg = "failed to extract error message: buffer out of bounds"
		case len(b) > maxExitMessage:
			msg = lossy(b[:maxExitMessage/2]) + " ... (skipped bytes) ... " + lossy(b[len(b)-maxExitMessage/2:])
		default:
			msg = lossy(b)
		}
	}
	return nil, &actorExit{code: code, block: blk, msg: msg}
}

// lossy is b as text, invalid UTF-8 replaced.
func lossy(b []byte) string { return string(bytes.ToValidUTF8(b, []byte(string(utf8.RuneError)))) }

func (k *kernel) sysMessageContext(Memory, []uint64) ([]byte, error) {
	if err := k.charge(k.cm.m.prices.OnMessageContext()); err != nil {
		return nil, err
	}
	value, err := tokenBytes(k.value)
	if err != nil {
		return nil, err
	}
	premium, err := tokenBytes(k.cm.premium)
	if err != nil {
		return nil, err
	}
	var flags uint64
	if k.readOnly {
		flags |= flagReadOnly
	}
	out := le64(k.cm.origin)
	out = append(out, le64(k.cm.nonce)...)
	out = append(out, le64(k.caller)...)
	out = append(out, le64(k.self)...)
	out = append(out, le64(k.method)...)
	out = append(out, value...)
	out = append(out, premium...)
	return append(out, le64(flags)...), nil
}

func (k *kernel) sysSendV3(mem Memory, args []uint64) ([]byte, error) {
	to, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	v := new(mbig.Int).Lsh(new(mbig.Int).SetUint64(args[4]), 64)
	value := big.NewFromGo(v.Or(v, new(mbig.Int).SetUint64(args[5])))
	var o sendOptions
	if args[6] != ^uint64(0) {
		o.limited = true
		o.gasLimit = int64(min(args[6], uint64(1<<63-1)))
	}
	if args[7]&^flagReadOnly != 0 {
		return nil, sysErr(ErrIllegalArgument, "invalid send flags: %d", args[7])
	}
	o.readOnly = args[7]&flagReadOnly != 0
	code, retID, codec, size, err := k.send(to, args[2], uint32(args[3]), value, o)
	if err != nil {
		return nil, err
	}
	out := append(le32(code), le32(retID)...)
	out = append(out, le64(codec)...)
	return append(out, le32(size)...), nil
}

func (k *kernel) sysEmitEvent(mem Memory, args []uint64) ([]byte, error) {
	raw, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	return nil, k.emitEvent(bytes.Clone(raw))
}

// sysVerifySignatureV3 verifies against a key address only: from nv18
// the signer is not resolved through the state tree.
func (k *kernel) sysVerifySignatureV3(mem Memory, args []uint64) ([]byte, error) {
	return k.verifySignature(mem, args, func(signer address.Address) (address.Address, error) {
		if p := signer.Protocol(); p != address.BLS && p != address.SECP256K1 {
			return address.Undef, sysErr(ErrIllegalArgument, "address protocol %d not supported", p)
		}
		return signer, nil
	})
}

// Sizes of secp256k1 key recovery's input and output.
const (
	secpHashBytes = 32
	secpSigBytes  = 65
)

func (k *kernel) sysRecoverSecpPublicKey(mem Memory, args []uint64) ([]byte, error) {
	hash, err := slice(mem, args[0], secpHashBytes)
	if err != nil {
		return nil, err
	}
	sig, err := slice(mem, args[1], secpSigBytes)
	if err != nil {
		return nil, err
	}
	if err := k.charge(k.cm.m.prices.OnRecoverSecpPublicKey()); err != nil {
		return nil, err
	}
	// Filecoin signatures are r || s || v; the library wants the
	// recovery byte first, offset as for an uncompressed key.
	if sig[64] > 3 {
		return nil, sysErr(ErrIllegalArgument, "public key recovery failed: invalid recovery id %d", sig[64])
	}
	compact := append([]byte{27 + sig[64]}, sig[:64]...)
	pub, _, err := ecdsa.RecoverCompact(compact, bytes.Clone(hash))
	if err != nil {
		return nil, sysErr(ErrIllegalArgument, "public key recovery failed: %v", err)
	}
	return pub.SerializeUncompressed(), nil
}
