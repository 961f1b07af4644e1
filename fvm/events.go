package fvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	amt "github.com/filecoin-project/go-amt-ipld/v4"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/fvm/gas"
	"github.com/tvx-project/tvx/internal/cborseq"
)

// Limits on one event (nv18): its encoding, its entries, an entry's key
// and the entries' values together.
const (
	maxEventBytes      = 1 << 20
	maxEventEntries    = 256
	maxEventKeyBytes   = 32
	maxEventValueBytes = 8 << 10
)

// eventsAMTBitWidth is the bit width of a receipt's events AMT.
const eventsAMTBitWidth = 5

// Flags of an event entry asking for its key or value to be indexed.
const (
	eventIndexKey   = 1
	eventIndexValue = 2
)

// eventEntry is one entry of an actor event: [flags, key, codec, value].
type eventEntry struct {
	flags uint64
	key   string
	codec uint64
	value []byte
}

// stampedEvent is an event with the actor that emitted it, as a receipt's
// events AMT holds it: [emitter, [entry...]].
type stampedEvent struct {
	emitter uint64
	entries []eventEntry
}

func (e *stampedEvent) MarshalCBOR(w io.Writer) error {
	cw := cborseq.NewWriter(w)
	cw.Array(2)
	cw.Uint(e.emitter)
	cw.Array(len(e.entries))
	for _, en := range e.entries {
		cw.Array(4)
		cw.Uint(en.flags)
		cw.Text(en.key)
		cw.Uint(en.codec)
		cw.Bytes(en.value)
	}
	return cw.Err()
}

// decodeEvent reads an actor event (the list of its entries).
func decodeEvent(raw []byte) ([]eventEntry, error) {
	cr := cborseq.NewReader(bytes.NewReader(raw))
	n := cr.Array("event", -1)
	if err := cr.Err(); err != nil {
		return nil, err
	}
	out := make([]eventEntry, 0, min(n, maxEventEntries+1))
	for i := 0; i < n && cr.Err() == nil; i++ {
		cr.Array("event entry", 4)
		en := eventEntry{flags: cr.Uint("event entry flags"), key: cr.Text("event entry key"), codec: cr.Uint("event entry codec")}
		en.value = cr.Bytes("event entry value")
		out = append(out, en)
	}
	if err := cr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// emitEvent validates, charges and records an event the actor emits.
func (k *kernel) emitEvent(raw []byte) error {
	if k.readOnly {
		return sysErr(ErrReadOnly, "cannot emit events while read-only")
	}
	p := k.cm.m.prices
	if err := k.cm.gas.Charge(p.OnActorEventValidate(len(raw))); err != nil {
		return err
	}
	if len(raw) > maxEventBytes {
		return sysErr(ErrIllegalArgument, "event of %d bytes is too large", len(raw))
	}
	entries, err := decodeEvent(raw)
	if err != nil {
		return sysErr(ErrIllegalArgument, "decode event: %v", err)
	}
	if len(entries) > maxEventEntries {
		return sysErr(ErrIllegalArgument, "event exceeded max entries: %d > %d", len(entries), maxEventEntries)
	}
	var values int
	var idx gas.EventIndexing
	for _, en := range entries {
		if len(en.key) > maxEventKeyBytes {
			return sysErr(ErrIllegalArgument, "event key exceeded max size: %d > %d", len(en.key), maxEventKeyBytes)
		}
		if en.codec != ipldRaw {
			return sysErr(ErrIllegalCodec, "event codec must be IPLD_RAW, was: %d", en.codec)
		}
		values += len(en.value)
		if en.flags&eventIndexKey != 0 {
			idx.Elements++
			idx.Bytes += len(en.key)
		}
		if en.flags&eventIndexValue != 0 {
			idx.Elements++
			idx.Bytes += len(en.value)
		}
	}
	if values > maxEventValueBytes {
		return sysErr(ErrIllegalArgument, "event total values exceeded max size: %d > %d", values, maxEventValueBytes)
	}
	if err := k.cm.gas.Charge(p.OnActorEventAccept(len(raw), idx)); err != nil {
		return err
	}
	k.cm.events.append(stampedEvent{emitter: k.self, entries: entries})
	return nil
}

// eventAccumulator holds the events of one message, in transaction layers:
// a reverted transaction drops the events emitted inside it.
type eventAccumulator struct {
	events []stampedEvent
	marks  []int
}

func (a *eventAccumulator) append(e stampedEvent) { a.events = append(a.events, e) }

func (a *eventAccumulator) begin() { a.marks = append(a.marks, len(a.events)) }

func (a *eventAccumulator) end(revert bool) {
	n := len(a.marks) - 1
	if revert {
		a.events = a.events[:a.marks[n]]
	}
	a.marks = a.marks[:n]
}

// root is the CID of the AMT of the events (cid.Undef when there are
// none). Its blocks are not stored: receipts carry only the root.
func (a *eventAccumulator) root(ctx context.Context) (cid.Cid, error) {
	if len(a.marks) != 0 {
		return cid.Undef, fmt.Errorf("%d event transactions still open", len(a.marks))
	}
	if len(a.events) == 0 {
		return cid.Undef, nil
	}
	store := ipldcbor.NewCborStore(discardBlocks{})
	arr, err := amt.NewAMT(store, amt.UseTreeBitWidth(eventsAMTBitWidth))
	if err != nil {
		return cid.Undef, err
	}
	for i := range a.events {
		if err := arr.Set(ctx, uint64(i), &a.events[i]); err != nil {
			return cid.Undef, err
		}
	}
	return arr.Flush(ctx)
}

// discardBlocks is a blockstore that keeps nothing: the events AMT is
// built only for its root.
type discardBlocks struct{}

func (discardBlocks) Get(context.Context, cid.Cid) (blocks.Block, error) {
	return nil, errors.New("the events store keeps no blocks")
}

func (discardBlocks) Put(context.Context, blocks.Block) error { return nil }

var _ cbg.CBORMarshaler = (*stampedEvent)(nil)
