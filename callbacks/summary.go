package callbacks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tvx-project/tvx/driver"
)

// TipsetSummaryName is the name of the tipset-summary callback.
const TipsetSummaryName = "tipset-summary"

// NewTipsetSummary returns the tipset-summary callback: one JSON object per
// line and tipset, with fields in a fixed order (see Summary).
func NewTipsetSummary(path string) *Collector {
	return newCollector(TipsetSummaryName, path, renderSummary, nil)
}

// Summary is one line of the tipset-summary file. Token amounts are decimal
// strings of attoFIL, since they exceed what JSON numbers carry exactly.
type Summary struct {
	File         string `json:"file"`
	Variant      string `json:"variant"`
	Tipset       int    `json:"tipset"`
	Epoch        int64  `json:"epoch"`
	ParentEpoch  int64  `json:"parent_epoch"`
	StateRoot    string `json:"state_root"`
	ReceiptsRoot string `json:"receipts_root"`
	BaseFee      string `json:"base_fee"`
	GasUsed      int64  `json:"gas_used"`
	Messages     int    `json:"messages"`
	MinerTips    string `json:"miner_tips"`
	Penalties    string `json:"penalties"`
}

func renderSummary(_ context.Context, ev *driver.TipsetEvent) ([]string, error) {
	b, err := json.Marshal(Summary{
		File:         ev.Vector.Path,
		Variant:      ev.Variant.ID,
		Tipset:       ev.Index,
		Epoch:        int64(ev.Epoch),
		ParentEpoch:  int64(ev.ParentEpoch),
		StateRoot:    ev.PostStateRoot.String(),
		ReceiptsRoot: ev.ReceiptsRoot.String(),
		BaseFee:      ev.BaseFee.String(),
		GasUsed:      ev.GasUsed,
		Messages:     ev.Messages,
		MinerTips:    ev.MinerTips.String(),
		Penalties:    ev.Penalties.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	return []string{string(b)}, nil
}
