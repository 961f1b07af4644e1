// Package process speaks the executor process protocol
// (docs/executor-protocol.md): newline-delimited JSON over a child
// process's stdin and stdout, through which tvx drives an implementation
// written in any language. Client is an executor.Executor backed by such a
// process; Serve puts any executor.Executor behind the protocol (it is what
// `tvx executor serve` runs).
package process

import (
	"encoding/json"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/trace"
)

// Version is the protocol version this package speaks.
const Version = 1

// Message types.
const (
	typeHello        = "hello"
	typeApplyMessage = "apply_message"
	typeApplyTipset  = "apply_tipset"
	typeGetBlock     = "get_block"
	typeBlock        = "block"
	typeRandomness   = "randomness"
	typeResult       = "result"
	typeFailure      = "failure"
)

// envelope is every line of the protocol: the type and request id that
// route it, and the fields of whichever message it is. Unknown fields are
// ignored so that later versions can add some.
type envelope struct {
	Type string `json:"type"`
	ID   uint64 `json:"id,omitempty"`

	// hello
	Protocol       int    `json:"protocol,omitempty"`
	Implementation string `json:"implementation,omitempty"`

	// apply_message and apply_tipset
	Params      *wireParams     `json:"params,omitempty"`
	Root        string          `json:"root,omitempty"`
	ParentRoot  string          `json:"parent_root,omitempty"`
	ParentEpoch *abi.ChainEpoch `json:"parent_epoch,omitempty"`
	Epoch       *abi.ChainEpoch `json:"epoch,omitempty"`
	BaseFee     string          `json:"base_fee,omitempty"`
	Message     []byte          `json:"message,omitempty"`
	TraceGas    bool            `json:"trace_gas,omitempty"`
	Blocks      []wireBlock     `json:"blocks,omitempty"`

	// get_block and block
	CID     string `json:"cid,omitempty"`
	Data    []byte `json:"data,omitempty"`
	Missing bool   `json:"missing,omitempty"`

	// randomness (request: kind, dst, epoch, entropy; answer: data or error)
	Kind    string `json:"kind,omitempty"`
	DST     int64  `json:"dst,omitempty"`
	Entropy []byte `json:"entropy,omitempty"`

	// result
	Receipt       *wireReceipt          `json:"receipt,omitempty"`
	PostRoot      string                `json:"post_root,omitempty"`
	ReceiptsRoot  string                `json:"receipts_root,omitempty"`
	ActorError    string                `json:"actor_error,omitempty"`
	MinerTip      string                `json:"miner_tip,omitempty"`
	MinerPenalty  string                `json:"miner_penalty,omitempty"`
	Applied       []wireApplied         `json:"applied,omitempty"`
	Written       []wireBlockData       `json:"written,omitempty"`
	Trace         *trace.ExecutionTrace `json:"trace,omitempty"`
	AssumedProofs int                   `json:"assumed_proofs,omitempty"`

	// failure, and a randomness answer that could not be drawn
	Error string `json:"error,omitempty"`
}

type wireParams struct {
	NetworkVersion uint   `json:"network_version"`
	CircSupply     string `json:"circ_supply"`
	ChaosActor     bool   `json:"chaos_actor,omitempty"`
	OnChain        bool   `json:"on_chain,omitempty"`
	// Network and Policy: executor.Params' (absent for mainnet's policy).
	Network string      `json:"network,omitempty"`
	Policy  *wirePolicy `json:"policy,omitempty"`
	// Schedule is the upgrade schedule of Params.Protocol when that is not
	// mainnet's table.
	Schedule *wireSchedule `json:"schedule,omitempty"`
}

// wireSchedule is a protocol.Schedule: the genesis network version and the
// upgrade heights by codename (negative: before genesis).
type wireSchedule struct {
	GenesisVersion uint             `json:"genesis_version"`
	Heights        map[string]int64 `json:"heights"`
}

// wirePolicy is a networks.Policy: seal proof types by number, sizes in
// bytes (decimal strings, as amounts are), the delay in epochs.
type wirePolicy struct {
	SealProofs              []int64 `json:"seal_proofs"`
	ConsensusMinerMinPower  string  `json:"consensus_miner_min_power"`
	MinVerifiedDealSize     string  `json:"min_verified_deal_size"`
	PreCommitChallengeDelay int64   `json:"pre_commit_challenge_delay"`
}

type wireBlock struct {
	Miner    string   `json:"miner"`
	WinCount int64    `json:"win_count"`
	Messages [][]byte `json:"messages"`
}

type wireReceipt struct {
	ExitCode int64  `json:"exit_code"`
	Return   []byte `json:"return"`
	GasUsed  int64  `json:"gas_used"`
}

type wireApplied struct {
	Kind         string         `json:"kind"`
	Epoch        abi.ChainEpoch `json:"epoch"`
	Block        int            `json:"block"`
	CID          string         `json:"cid"`
	Receipt      wireReceipt    `json:"receipt"`
	ActorError   string         `json:"actor_error,omitempty"`
	MinerTip     string         `json:"miner_tip,omitempty"`
	MinerPenalty string         `json:"miner_penalty,omitempty"`
}

type wireBlockData struct {
	CID  string `json:"cid"`
	Data []byte `json:"data"`
}

func encode(e *envelope) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// parseCID reads a CID field, naming the field when it is not one.
func parseCID(field, s string) (cid.Cid, error) {
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("field %s: %q is not a CID: %v", field, s, err)
	}
	return c, nil
}
