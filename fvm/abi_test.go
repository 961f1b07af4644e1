package fvm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
)

// wasmImports lists the function imports of a Wasm module as
// "module::name" → parameter kinds, from its type and import sections.
func wasmImports(t *testing.T, m []byte) map[string][]ValueKind {
	t.Helper()
	leb := func(i *int) uint64 {
		var r uint64
		for s := 0; ; s += 7 {
			b := m[*i]
			*i++
			r |= uint64(b&0x7f) << s
			if b < 0x80 {
				return r
			}
		}
	}
	var types [][]ValueKind
	out := map[string][]ValueKind{}
	for i := 8; i < len(m); {
		id := m[i]
		i++
		size := int(leb(&i))
		end := i + size
		j := i
		switch id {
		case 1:
			for n := leb(&j); n > 0; n-- {
				j++ // 0x60
				var ps []ValueKind
				for np := leb(&j); np > 0; np-- {
					switch m[j] {
					case 0x7f:
						ps = append(ps, I32)
					case 0x7e:
						ps = append(ps, I64)
					default: // floats: no syscall takes them
						ps = append(ps, ValueKind(0xff))
					}
					j++
				}
				nr := leb(&j)
				j += int(nr)
				types = append(types, ps)
			}
		case 2:
			for n := leb(&j); n > 0; n-- {
				l := int(leb(&j))
				mod := string(m[j : j+l])
				j += l
				l = int(leb(&j))
				name := string(m[j : j+l])
				j += l
				kind := m[j]
				j++
				if kind != 0 {
					t.Fatalf("%s::%s: non-function import", mod, name)
				}
				out[mod+"::"+name] = types[leb(&j)]
			}
		}
		i = end
	}
	return out
}

// TestKernelCoversBundleImports checks that the kernel offers every host
// function the builtin actors of each gas era import (v8 and v9 at Skyr,
// v10 at Hygge), with the parameter types they import it with (the
// return-pointer convention included).
func TestKernelCoversBundleImports(t *testing.T) {
	for era, versions := range map[string][]int{"skyr": {8, 9}, "hygge": {10}} {
		checkImports(t, era, versions)
	}
}

func checkImports(t *testing.T, era string, versions []int) {
	have := map[string][]ValueKind{}
	for _, f := range Syscalls(era) {
		if _, dup := have[f.Module+"::"+f.Name]; dup {
			t.Errorf("%s offers %s::%s twice", era, f.Module, f.Name)
		}
		have[f.Module+"::"+f.Name] = f.Params
	}
	for _, v := range versions {
		b, err := testBundles.Get(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range b.Actors {
			mod, _ := b.Module(a.Code)
			for name, want := range wasmImports(t, mod) {
				got, ok := have[name]
				if !ok {
					t.Errorf("v%d %s imports %s, which the kernel lacks", v, a.Name, name)
					continue
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("v%d %s imports %s with %v, kernel has %v", v, a.Name, name, want, got)
				}
			}
		}
	}
}

func TestHashSyscall(t *testing.T) {
	m := builtMachine(t)
	k := testKernel(t, m)
	mem := make(flatMemory, 1024)
	copy(mem[100:], "abc")
	used := k.cm.gas.UsedMilli()
	if e := call(t, k, mem, "crypto", "hash", 0, 0x12, 100, 3, 200, 64); e != 0 {
		t.Fatalf("hash errno %d", e)
	}
	want := sha256.Sum256([]byte("abc"))
	if n := binary.LittleEndian.Uint32(mem[0:]); n != 32 || string(mem[200:232]) != string(want[:]) {
		t.Errorf("sha256 digest %x (%d bytes)", mem[200:232], n)
	}
	if got := k.cm.gas.UsedMilli() - used; got != m.prices.OnSyscall().Total()+m.prices.OnHashing(0x12, 3).Total() {
		t.Errorf("hash charged %d", got)
	}
	if e := call(t, k, mem, "crypto", "hash", 0, 0x99, 100, 3, 200, 64); e != uint32(ErrIllegalArgument) {
		t.Errorf("unknown hash: errno %d", e)
	}
	// Evidence that does not decode proves no fault: an all-zero answer.
	copy(mem[300:320], bytes.Repeat([]byte{0xff}, 20))
	errno, err := hostFn(t, k, "crypto", "verify_consensus_fault").Call(context.Background(), k, mem, []uint64{300, 0, 0, 0, 0, 0, 0})
	if err != nil || errno != 0 || !bytes.Equal(mem[300:320], make([]byte, 20)) {
		t.Errorf("verify_consensus_fault on empty evidence: errno %d, %v, answer %x", errno, err, mem[300:320])
	}
}
