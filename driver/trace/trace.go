// Package trace reads the execution traces some vectors carry as diagnostics
// and compares gas charges, so a gas mismatch can be reported as the first
// charge where tvx's VM and the recording implementation parted ways.
//
// A vector's diagnostics, in format FormatLotusV1, hold one Lotus execution
// trace per message the vector applies: for a message-class vector one per
// apply_messages entry; for a tipset-class vector one per postcondition
// receipt, which includes the implicit block-reward and cron messages, in
// receipt order. A message rejected before execution has a trace with no
// message, receipt or charges.
//
// A trace keeps each call frame's own charges apart from the frames it sent
// to, so the order of charges across frames is not recorded; Flatten lists a
// frame's charges before its subcalls', and anything compared with a flattened
// Lotus trace must be flattened the same way (Recorder builds such a tree).
package trace

import (
	"encoding/json"
	"time"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
)

// ExecutionTrace is one call frame of a Lotus execution trace: the message
// that invoked it, its receipt, and the gas charged while it ran. Field names
// follow the JSON the trace is stored in.
type ExecutionTrace struct {
	Msg    *Message
	MsgRct *Receipt
	// Error is the actor error text of a failed call, empty otherwise.
	Error string
	// Duration is wall-clock time; the vector generators zero it.
	Duration   time.Duration
	GasCharges []GasCharge
	// Subcalls are the frames this one sent to, in the order it sent them.
	Subcalls []ExecutionTrace
}

// Message is the message of a call frame as the trace shows it. Amounts and
// addresses stay in their textual form (decimal attoFIL, "f0123"): the trace
// is read for diagnosis, and keeping them as text means an unusual value
// cannot make a whole trace unreadable.
type Message struct {
	Version    uint64
	To         string
	From       string
	Nonce      uint64
	Value      string
	GasLimit   int64
	GasFeeCap  string
	GasPremium string
	Method     abi.MethodNum
	Params     []byte
	CID        *cid.Cid
}

// Receipt is the outcome of a call frame. For the top frame GasUsed is the
// gas the message used; for a subcall it is the running total of the whole
// message when the subcall returned.
type Receipt struct {
	ExitCode exitcode.ExitCode
	Return   []byte
	GasUsed  int64
}

// GasCharge is one gas charge as Lotus traced it.
//
// Traces in the public corpus record StorageGas before the storage multiplier
// (TotalGas = ComputeGas + 1000 × StorageGas on every charge), while later
// Lotus versions record it after (TotalGas = ComputeGas + StorageGas). Charge
// normalises this; read the raw fields only to show what the file says.
type GasCharge struct {
	Name              string
	Location          []Loc `json:"loc"`
	TotalGas          int64 `json:"tg"`
	ComputeGas        int64 `json:"cg"`
	StorageGas        int64 `json:"sg"`
	TotalVirtualGas   int64 `json:"vtg"`
	VirtualComputeGas int64 `json:"vcg"`
	VirtualStorageGas int64 `json:"vsg"`
	// TimeTaken is wall-clock time; the vector generators zero it.
	TimeTaken time.Duration `json:"tt"`
	// Extra is charge-specific detail (block size, "ti" for a method
	// invocation), kept as raw JSON since its shape varies by charge.
	Extra json.RawMessage `json:"ex,omitempty"`
}

// Loc is one stack frame of the code that made a charge.
type Loc struct {
	File     string
	Line     int
	Function string
}

// Charge is one gas charge reduced to what gas accounting depends on.
// StorageGas is in gas units, after the storage multiplier, so TotalGas =
// ComputeGas + StorageGas for every charge Flatten returns.
type Charge struct {
	Name       string
	TotalGas   int64
	ComputeGas int64
	StorageGas int64
}

// Charge reduces g to a Charge. The storage part is derived from the total so
// that traces recording storage before or after the multiplier agree.
func (g GasCharge) Charge() Charge {
	return Charge{
		Name:       g.Name,
		TotalGas:   g.TotalGas,
		ComputeGas: g.ComputeGas,
		StorageGas: g.TotalGas - g.ComputeGas,
	}
}

// Flatten lists every charge of t depth-first: a frame's own charges in the
// order they were made, then each subcall's, recursively, in the order the
// subcalls were made. A nil trace has no charges.
func Flatten(t *ExecutionTrace) []Charge {
	if t == nil {
		return nil
	}
	var out []Charge
	var walk func(*ExecutionTrace)
	walk = func(f *ExecutionTrace) {
		for _, g := range f.GasCharges {
			out = append(out, g.Charge())
		}
		for i := range f.Subcalls {
			walk(&f.Subcalls[i])
		}
	}
	walk(t)
	return out
}

// Billable drops the zero charges (no total, compute or storage gas) that
// Lotus records only as timing markers, such as OnActorExec and
// OnIpldGetEnd, so a VM that does not emit markers can be compared charge by
// charge. Indices into the result no longer match the unfiltered list.
func Billable(cs []Charge) []Charge {
	out := make([]Charge, 0, len(cs))
	for _, c := range cs {
		if c.TotalGas != 0 || c.ComputeGas != 0 || c.StorageGas != 0 {
			out = append(out, c)
		}
	}
	return out
}
