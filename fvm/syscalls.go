package fvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	mbig "math/big"
	"unicode/utf8"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/fvm/gas"
)

// syscall is the Go side of one host function: it reads its arguments
// (args excludes the return pointer) and memory, and returns the bytes of
// its return value (nil when it has none). A *syscallError becomes the
// error number the actor sees; any other error aborts the invocation.
type syscall func(k *kernel, mem Memory, args []uint64) ([]byte, error)

// bind wraps a syscall in the FVM's ABI: every call is charged OnSyscall
// first; a syscall with a return value of retSize bytes takes the address
// to write it at as an extra first parameter, checked for room before the
// syscall runs.
func bind(module, name string, retSize int, params []ValueKind, f syscall) HostFunction {
	ps := params
	if retSize > 0 {
		ps = append([]ValueKind{I32}, params...)
	}
	return HostFunction{Module: module, Name: name, Params: ps, Call: func(_ context.Context, h Host, mem Memory, args []uint64) (uint32, error) {
		k, ok := h.(*kernel)
		if !ok {
			return 0, fatalf("%s::%s called with a foreign host %T", module, name, h)
		}
		if err := k.cm.gas.Charge(k.cm.m.prices.OnSyscall()); err != nil {
			return 0, err
		}
		// An i32 arrives in the low 32 bits; the engine need not clear the
		// rest.
		if len(args) != len(ps) {
			return 0, fatalf("%s::%s: %d arguments, its ABI has %d", module, name, len(args), len(ps))
		}
		norm := make([]uint64, len(args))
		for i, kind := range ps {
			norm[i] = args[i]
			if kind == I32 {
				norm[i] = uint64(uint32(args[i]))
			}
		}
		args = norm
		var ret uint32
		if retSize > 0 {
			ret = uint32(args[0])
			args = args[1:]
			if uint64(ret)+uint64(retSize) > uint64(mem.Size()) {
				return uint32(ErrIllegalArgument), nil
			}
		}
		out, err := f(k, mem, args)
		var se *syscallError
		if errors.As(err, &se) {
			return uint32(se.num), nil
		}
		if err != nil {
			return 0, err
		}
		if retSize > 0 {
			if len(out) != retSize {
				return 0, fatalf("%s::%s returned %d bytes, its ABI has %d", module, name, len(out), retSize)
			}
			mem.Write(ret, out)
		}
		return 0, nil
	}}
}

// Syscalls lists the host functions the kernel offers actors in a gas era
// ("skyr": builtin-actors v8 and v9; "hygge": v10). The list is the same
// for every invocation: each call finds its invocation's kernel in the
// Host the engine hands it.
func Syscalls(era string) []HostFunction {
	if gas.Era(era) == gas.Hygge {
		return hyggeSyscalls()
	}
	return skyrSyscalls()
}

// skyrSyscalls is the nv16/nv17 surface (builtin-actors v8 and v9).
func skyrSyscalls() []HostFunction {
	i32, i64 := I32, I64
	return append(cryptoSyscalls(),
		bind("ipld", "block_open", 16, []ValueKind{i32}, (*kernel).sysBlockOpen),
		bind("ipld", "block_create", 4, []ValueKind{i64, i32, i32}, (*kernel).sysBlockCreate),
		bind("ipld", "block_link", 4, []ValueKind{i32, i64, i32, i32, i32}, (*kernel).sysBlockLink),
		bind("ipld", "block_read", 4, []ValueKind{i32, i32, i32, i32}, (*kernel).sysBlockRead),
		bind("ipld", "block_stat", 12, []ValueKind{i32}, (*kernel).sysBlockStat),

		bind("self", "root", 4, []ValueKind{i32, i32}, (*kernel).sysRoot),
		bind("self", "set_root", 0, []ValueKind{i32}, (*kernel).sysSetRoot),
		bind("self", "current_balance", 16, nil, (*kernel).sysCurrentBalance),
		bind("self", "self_destruct", 0, []ValueKind{i32, i32}, (*kernel).sysSelfDestruct),

		bind("actor", "resolve_address", 8, []ValueKind{i32, i32}, (*kernel).sysResolveAddress),
		bind("actor", "get_actor_code_cid", 4, []ValueKind{i64, i32, i32}, (*kernel).sysGetActorCodeCid),
		bind("actor", "new_actor_address", 4, []ValueKind{i32, i32}, (*kernel).sysNewActorAddress),
		bind("actor", "create_actor", 0, []ValueKind{i64, i32}, (*kernel).sysCreateActor),
		bind("actor", "get_builtin_actor_type", 4, []ValueKind{i32}, (*kernel).sysGetBuiltinActorType),
		bind("actor", "get_code_cid_for_type", 4, []ValueKind{i32, i32, i32}, (*kernel).sysGetCodeCidForType),

		bind("network", "base_fee", 16, nil, func(k *kernel, _ Memory, _ []uint64) ([]byte, error) { return tokenBytes(k.cm.m.cfg.BaseFee) }),
		bind("network", "total_fil_circ_supply", 16, nil, func(k *kernel, _ Memory, _ []uint64) ([]byte, error) { return tokenBytes(k.cm.m.cfg.CircSupply) }),

		bind("vm", "abort", 0, []ValueKind{i32, i32, i32}, (*kernel).sysAbort),
		bind("vm", "context", 52, nil, (*kernel).sysContext),
		bind("send", "send", 20, []ValueKind{i32, i32, i64, i32, i64, i64}, (*kernel).sysSend),
		bind("gas", "charge", 0, []ValueKind{i32, i32, i64}, (*kernel).sysChargeGas),

		bind("rand", "get_chain_randomness", 32, []ValueKind{i64, i64, i32, i32}, randomnessSyscall(false)),
		bind("rand", "get_beacon_randomness", 32, []ValueKind{i64, i64, i32, i32}, randomnessSyscall(true)),

		// Actor debugging is off, as on mainnet nodes.
		bind("debug", "enabled", 4, nil, func(*kernel, Memory, []uint64) ([]byte, error) { return le32(^uint32(0)), nil }),
		bind("debug", "log", 0, []ValueKind{i32, i32}, func(*kernel, Memory, []uint64) ([]byte, error) { return nil, nil }),
	)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// tokenBytes is the ABI's token amount: a little-endian u128 as (lo, hi).
func tokenBytes(a abi.TokenAmount) ([]byte, error) {
	if a.Sign() < 0 || a.BitLen() > 128 {
		return nil, fatalf("token amount %s does not fit the syscall ABI", a)
	}
	lo := new(mbig.Int).And(a.Int, new(mbig.Int).SetUint64(^uint64(0)))
	hi := new(mbig.Int).Rsh(a.Int, 64)
	return append(le64(lo.Uint64()), le64(hi.Uint64())...), nil
}

// slice reads n bytes at off, an IllegalArgument error when out of bounds.
func slice(mem Memory, off, n uint64) ([]byte, error) {
	b, ok := mem.Read(uint32(off), uint32(n))
	if !ok || off > 1<<32-1 || n > 1<<32-1 {
		return nil, sysErr(ErrIllegalArgument, "buffer %d (length %d) out of bounds", off, n)
	}
	return b, nil
}

// readCid parses the CID at off (reading no further than memory's end).
func readCid(mem Memory, off uint64) (cid.Cid, error) {
	if off > uint64(mem.Size()) {
		return cid.Undef, sysErr(ErrIllegalArgument, "cid at offset %d is out of bounds", off)
	}
	rest, _ := mem.Read(uint32(off), mem.Size()-uint32(off))
	_, c, err := cid.CidFromReader(bytes.NewReader(rest))
	if err != nil {
		return cid.Undef, sysErr(ErrIllegalArgument, "failed to parse cid: %v", err)
	}
	return c, nil
}

// writeCid writes c into the buffer (off, n) and returns its length.
func writeCid(mem Memory, c cid.Cid, off, n uint64) ([]byte, error) {
	if _, err := slice(mem, off, n); err != nil {
		return nil, err
	}
	b := c.Bytes()
	if uint64(len(b)) > n {
		return nil, sysErr(ErrBufferTooSmall, "cid output buffer is too small")
	}
	mem.Write(uint32(off), b)
	return le32(uint32(len(b))), nil
}

func readAddress(mem Memory, off, n uint64) (address.Address, error) {
	b, err := slice(mem, off, n)
	if err != nil {
		return address.Undef, err
	}
	a, err := address.NewFromBytes(b)
	if err != nil {
		return address.Undef, sysErr(ErrIllegalArgument, "invalid address: %v", err)
	}
	return a, nil
}

func (k *kernel) sysBlockOpen(mem Memory, args []uint64) ([]byte, error) {
	c, err := readCid(mem, args[0])
	if err != nil {
		return nil, err
	}
	id, codec, size, err := k.blockOpen(c)
	if err != nil {
		return nil, err
	}
	return append(append(le64(codec), le32(id)...), le32(size)...), nil
}

func (k *kernel) sysBlockCreate(mem Memory, args []uint64) ([]byte, error) {
	data, err := slice(mem, args[1], args[2])
	if err != nil {
		return nil, err
	}
	id, err := k.blockCreate(args[0], data)
	if err != nil {
		return nil, err
	}
	return le32(id), nil
}

func (k *kernel) sysBlockLink(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[3], args[4]); err != nil {
		return nil, err
	}
	c, err := k.blockLink(uint32(args[0]), args[1], uint32(args[2]))
	if err != nil {
		return nil, err
	}
	return writeCid(mem, c, args[3], args[4])
}

func (k *kernel) sysBlockRead(mem Memory, args []uint64) ([]byte, error) {
	buf, err := slice(mem, args[2], args[3])
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(buf))
	remaining, n, err := k.blockRead(uint32(args[0]), uint32(args[1]), out)
	if err != nil {
		return nil, err
	}
	mem.Write(uint32(args[2]), out[:n])
	return le32(uint32(remaining)), nil
}

func (k *kernel) sysBlockStat(mem Memory, args []uint64) ([]byte, error) {
	if err := k.cm.gas.Charge(k.cm.m.prices.OnBlockStat()); err != nil {
		return nil, err
	}
	b, err := k.blocks.get(uint32(args[0]))
	if err != nil {
		return nil, err
	}
	return append(le64(b.codec), le32(uint32(len(b.data)))...), nil
}

func (k *kernel) sysRoot(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[0], args[1]); err != nil {
		return nil, err
	}
	a, ok, err := k.cm.m.tree.GetActor(k.self)
	if err != nil {
		return nil, &fatalError{err: err}
	}
	if !ok {
		return nil, sysErr(ErrIllegalOperation, "state root requested after actor deletion")
	}
	return writeCid(mem, a.Head, args[0], args[1])
}

func (k *kernel) sysSetRoot(mem Memory, args []uint64) ([]byte, error) {
	c, err := readCid(mem, args[0])
	if err != nil {
		return nil, err
	}
	return nil, k.setRoot(c)
}

func (k *kernel) sysCurrentBalance(Memory, []uint64) ([]byte, error) {
	a, ok, err := k.cm.m.tree.GetActor(k.self)
	if err != nil {
		return nil, &fatalError{err: err}
	}
	if !ok {
		return tokenBytes(big.Zero())
	}
	return tokenBytes(a.Balance)
}

func (k *kernel) sysSelfDestruct(mem Memory, args []uint64) ([]byte, error) {
	addr, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	return nil, k.selfDestruct(addr)
}

func (k *kernel) sysResolveAddress(mem Memory, args []uint64) ([]byte, error) {
	addr, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	id, ok, err := k.cm.m.tree.LookupID(addr)
	if err != nil {
		return nil, &fatalError{err: err}
	}
	if !ok {
		return nil, sysErr(ErrNotFound, "actor not found")
	}
	return le64(id), nil
}

func (k *kernel) sysGetActorCodeCid(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[1], args[2]); err != nil {
		return nil, err
	}
	a, ok, err := k.cm.m.tree.GetActor(args[0])
	if err != nil {
		return nil, &fatalError{err: err}
	}
	if !ok {
		return nil, sysErr(ErrNotFound, "target actor not found")
	}
	return writeCid(mem, a.Code, args[1], args[2])
}

func (k *kernel) sysNewActorAddress(mem Memory, args []uint64) ([]byte, error) {
	buf, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	if len(buf) < 21 {
		return nil, sysErr(ErrBufferTooSmall, "output buffer must have a minimum capacity of 21 bytes")
	}
	addr, err := k.newActorAddress()
	if err != nil {
		return nil, err
	}
	b := addr.Bytes()
	mem.Write(uint32(args[0]), b)
	return le32(uint32(len(b))), nil
}

func (k *kernel) sysCreateActor(mem Memory, args []uint64) ([]byte, error) {
	code, err := readCid(mem, args[1])
	if err != nil {
		return nil, err
	}
	return nil, k.createActor(code, args[0])
}

func (k *kernel) sysGetBuiltinActorType(mem Memory, args []uint64) ([]byte, error) {
	code, err := readCid(mem, args[0])
	if err != nil {
		return nil, err
	}
	e, _ := k.cm.m.bundle.ByCode(code)
	return le32(uint32(e.Type)), nil
}

func (k *kernel) sysGetCodeCidForType(mem Memory, args []uint64) ([]byte, error) {
	if _, err := slice(mem, args[1], args[2]); err != nil {
		return nil, err
	}
	e, ok := k.cm.m.bundle.ByType(int(int32(args[0])))
	if !ok {
		return nil, sysErr(ErrIllegalArgument, "tried to resolve CID of unrecognized actor type %d", int32(args[0]))
	}
	return writeCid(mem, e.Code, args[1], args[2])
}

func (k *kernel) sysAbort(mem Memory, args []uint64) ([]byte, error) {
	code := uint32(args[0])
	if code < 16 {
		// From nv16 on, an actor may not exit with a system exit code.
		return nil, &actorAbort{code: exitIllegalExitCode, msg: "actor aborted with a system exit code"}
	}
	msg := "actor aborted"
	if args[2] != 0 {
		b, ok := mem.Read(uint32(args[1]), uint32(args[2]))
		if !ok || !utf8.Valid(b) {
			return nil, &actorAbort{code: abiExit(code), msg: "abort message out of bounds or not UTF-8"}
		}
		msg = string(b)
	}
	return nil, &actorAbort{code: abiExit(code), msg: msg}
}

func (k *kernel) sysContext(Memory, []uint64) ([]byte, error) {
	v, err := tokenBytes(k.value)
	if err != nil {
		return nil, err
	}
	out := append(v, le64(k.caller)...)
	out = append(out, le64(k.self)...)
	out = append(out, le64(k.method)...)
	out = append(out, le64(uint64(k.cm.m.cfg.Epoch))...)
	return append(out, le32(uint32(k.cm.m.cfg.NetworkVersion))...), nil
}

func (k *kernel) sysSend(mem Memory, args []uint64) ([]byte, error) {
	to, err := readAddress(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	v := new(mbig.Int).Lsh(new(mbig.Int).SetUint64(args[4]), 64)
	value := big.NewFromGo(v.Or(v, new(mbig.Int).SetUint64(args[5])))
	code, retID, codec, size, err := k.send(to, args[2], uint32(args[3]), value, sendOptions{})
	if err != nil {
		return nil, err
	}
	out := append(le32(code), le32(retID)...)
	out = append(out, le64(codec)...)
	return append(out, le32(size)...), nil
}

func (k *kernel) sysChargeGas(mem Memory, args []uint64) ([]byte, error) {
	name, err := slice(mem, args[0], args[1])
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(name) {
		return nil, sysErr(ErrIllegalArgument, "gas charge name is not UTF-8")
	}
	return nil, k.cm.gas.ChargeMilli(string(name), int64(args[2])*gas.Milli)
}

func randomnessSyscall(beacon bool) syscall {
	return func(k *kernel, mem Memory, args []uint64) ([]byte, error) {
		entropy, err := slice(mem, args[2], args[3])
		if err != nil {
			return nil, err
		}
		return k.randomness(beacon, int64(args[0]), int64(args[1]), entropy)
	}
}
