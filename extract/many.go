package extract

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm/state"
)

// Candidate is one message to extract in a batch: a row of the CSV that
// Lotus's `tvx extract-many` reads, or one found by ScanUnique.
type Candidate struct {
	Message cid.Cid
	// ReceiverCode is the receiver's actor code name ("fil/1/account").
	ReceiverCode string
	Method       abi.MethodNum
	ExitCode     exitcode.ExitCode
	// Height is the inclusion tipset's height (informational).
	Height abi.ChainEpoch
	// Block is a block that included the message (may be undefined).
	Block cid.Cid
	// Seq tells vectors of one (code, method, exit code) apart.
	Seq string
}

// csvColumns are the leading columns of an extract-many CSV, in order;
// further columns are allowed after them and ignored.
var csvColumns = []string{"message_cid", "receiver_code", "method_num", "exit_code", "height", "block_cid", "seq"}

// ReadCSV reads the extract-many input: a header row starting with the
// seven columns message_cid, receiver_code, method_num, exit_code, height,
// block_cid and seq (in that order, more may follow), then one message a
// row.
func ReadCSV(r io.Reader) ([]Candidate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	if len(header) < len(csvColumns) {
		return nil, fmt.Errorf("csv header: %d columns, want at least %d (%s)", len(header), len(csvColumns), strings.Join(csvColumns, ","))
	}
	for i, want := range csvColumns {
		if got := strings.TrimSpace(header[i]); got != want {
			return nil, fmt.Errorf("csv header: column %d is %q, want %q", i+1, got, want)
		}
	}
	var out []Candidate
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("csv line %d: %w", line, err)
		}
		if len(row) < len(csvColumns) {
			return nil, fmt.Errorf("csv line %d: %d columns, want at least %d", line, len(row), len(csvColumns))
		}
		c, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("csv line %d: %w", line, err)
		}
		out = append(out, c)
	}
}

func parseRow(row []string) (Candidate, error) {
	var c Candidate
	var err error
	if c.Message, err = cid.Decode(strings.TrimSpace(row[0])); err != nil {
		return c, fmt.Errorf("message_cid: %w", err)
	}
	c.ReceiverCode = strings.TrimSpace(row[1])
	if c.ReceiverCode == "" {
		return c, errors.New("receiver_code: empty")
	}
	m, err := strconv.ParseUint(strings.TrimSpace(row[2]), 10, 64)
	if err != nil {
		return c, fmt.Errorf("method_num: %w", err)
	}
	c.Method = abi.MethodNum(m)
	x, err := strconv.ParseInt(strings.TrimSpace(row[3]), 10, 64)
	if err != nil {
		return c, fmt.Errorf("exit_code: %w", err)
	}
	c.ExitCode = exitcode.ExitCode(x)
	if h := strings.TrimSpace(row[4]); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil {
			return c, fmt.Errorf("height: %w", err)
		}
		c.Height = abi.ChainEpoch(n)
	}
	if b := strings.TrimSpace(row[5]); b != "" {
		if c.Block, err = cid.Decode(b); err != nil {
			return c, fmt.Errorf("block_cid: %w", err)
		}
	}
	c.Seq = strings.TrimSpace(row[6])
	return c, nil
}

// WriteCSV writes candidates in the form ReadCSV reads.
func WriteCSV(w io.Writer, cs []Candidate) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	for _, c := range cs {
		block := ""
		if c.Block.Defined() {
			block = c.Block.String()
		}
		if err := cw.Write([]string{c.Message.String(), c.ReceiverCode, strconv.FormatUint(uint64(c.Method), 10),
			strconv.FormatInt(int64(c.ExitCode), 10), strconv.FormatInt(int64(c.Height), 10), block, c.Seq}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MethodName names method m of the actor with code name code ("Send" for
// 0; the number itself when the method is unknown).
func MethodName(code string, m abi.MethodNum) string {
	if m == 0 {
		return "Send"
	}
	kind := code[strings.LastIndexByte(code, '/')+1:]
	if t := builtin.MethodNumbers(kind); t != nil {
		rv := reflect.ValueOf(t)
		for i := 0; i < rv.NumField(); i++ {
			if rv.Field(i).Interface() == m {
				return rv.Type().Field(i).Name
			}
		}
	}
	return strconv.FormatUint(uint64(m), 10)
}

// exitName is an exit code's name without its number ("Ok",
// "SysErrOutOfGas"), or the number for codes without a name.
func exitName(x exitcode.ExitCode) string {
	return strings.SplitN(x.String(), "(", 2)[0]
}

// VectorPath returns the ID and file of a batch vector, laid out as the
// public corpus's extracted vectors are:
// <outdir>/<actor>/<method>/<exit>/ext-<batch>-<actor>-<method>-<exit>-<seq>.json,
// the actor's code name with '/' turned to '_'.
func VectorPath(outdir, batch string, c Candidate) (id, path string) {
	actor := strings.ReplaceAll(c.ReceiverCode, "/", "_")
	method, exit := MethodName(c.ReceiverCode, c.Method), exitName(c.ExitCode)
	id = fmt.Sprintf("ext-%s-%s-%s-%s-%s", batch, actor, method, exit, c.Seq)
	return id, filepath.Join(outdir, actor, method, exit, id+".json")
}

// codeName reads an actor code CID's name: the Go actors' codes are
// identity CIDs of their name; a builtin-actors bundle's Wasm code is
// named by the carried bundle holding it, in the same form.
func (e *Extractor) codeName(code cid.Cid) string {
	if d, err := mh.Decode(code.Hash()); err == nil && d.Code == mh.IDENTITY {
		return string(d.Digest)
	}
	if name, ok := e.bundles.CodeName(code); ok {
		return name
	}
	return code.String()
}

// ScanUnique walks tipsets (consecutive, ascending) and returns, for each
// (receiver code, method, exit code) that their executed messages show,
// the first message in chain order: a small set of vectors that covers
// every behaviour the range exercised. The receiver's code is read from
// the state the message ran on, or, for an actor the message created, from
// the state after it.
func (e *Extractor) ScanUnique(ctx context.Context, tss []*chain.TipSet) ([]Candidate, error) {
	type key struct {
		code   string
		method abi.MethodNum
		exit   exitcode.ExitCode
	}
	seen := map[key]bool{}
	var out []Candidate
	cst := ipldcbor.NewCborStore(newStore(e.src))
	for i, ts := range tss {
		child, err := e.child(ctx, ts, tss, i)
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		msgs, err := e.src.ParentMessages(ctx, child.Cids()[0])
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		rs, err := e.src.ParentReceipts(ctx, child.Cids()[0])
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		if len(rs) != len(msgs) {
			return nil, fmt.Errorf("scan tipset %d: %d receipts for %d messages", ts.Height(), len(rs), len(msgs))
		}
		if len(msgs) == 0 {
			continue
		}
		pre, err := state.Load(ctx, cst, ts.ParentState())
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		post, err := state.Load(ctx, cst, child.ParentState())
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		blockOf, err := e.inclusionBlocks(ctx, ts)
		if err != nil {
			return nil, fmt.Errorf("scan tipset %d: %w", ts.Height(), err)
		}
		for j, pm := range msgs {
			act, err := pre.GetActor(pm.Message.To)
			if err != nil {
				if act, err = post.GetActor(pm.Message.To); err != nil {
					e.cfg.log.Logf("scan tipset %d: message %s: receiver %s exists in neither state; skipped", ts.Height(), pm.Cid, pm.Message.To)
					continue
				}
			}
			k := key{code: e.codeName(act.Code), method: pm.Message.Method, exit: rs[j].ExitCode}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Candidate{
				Message: pm.Cid, ReceiverCode: k.code, Method: k.method, ExitCode: k.exit,
				Height: ts.Height(), Block: blockOf[pm.Cid], Seq: strconv.Itoa(len(out)),
			})
		}
		if e.cfg.progress != nil {
			e.cfg.progress(i+1, len(tss))
		}
	}
	return out, nil
}

// inclusionBlocks maps each message CID of ts to the first block (in
// canonical order) that included it.
func (e *Extractor) inclusionBlocks(ctx context.Context, ts *chain.TipSet) (map[cid.Cid]cid.Cid, error) {
	out := map[cid.Cid]cid.Cid{}
	for _, b := range ts.Cids() {
		bm, err := e.src.BlockMessages(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("messages of block %s: %w", b, err)
		}
		for _, c := range bm.Cids {
			if _, ok := out[c]; !ok {
				out[c] = b
			}
		}
	}
	return out, nil
}

// ManyResult reports one batch entry.
type ManyResult struct {
	Candidate Candidate
	ID, Path  string
	// Precursors is the selection that succeeded.
	Precursors string
	Err        error
}

// Many extracts every candidate as a message vector under outdir (see
// VectorPath), as Lotus's extract-many does: with sender precursors first
// and, for those whose sanity check fails, again with all precursors.
// Vectors are written atomically as they are made; failures are reported
// per candidate and do not stop the batch.
func (e *Extractor) Many(ctx context.Context, cs []Candidate, outdir, batch string, retain string) []ManyResult {
	out := make([]ManyResult, len(cs))
	for i, c := range cs {
		id, path := VectorPath(outdir, batch, c)
		r := ManyResult{Candidate: c, ID: id, Path: path}
		for _, pre := range []string{PrecursorsSender, PrecursorsAll} {
			res, err := e.Message(ctx, MessageRequest{Message: c.Message, Block: c.Block, Precursors: pre, Retain: retain, ID: id})
			if err == nil {
				if got := res.Vector.Post.Receipts[0].ExitCode; got != int64(c.ExitCode) {
					err = fmt.Errorf("listed with exit code %d, the chain's receipt has %d", c.ExitCode, got)
				} else {
					err = schema.WriteFile(path, res.Vector)
				}
			}
			r.Precursors, r.Err = pre, err
			if err == nil || !errors.Is(err, ErrSanity) {
				break
			}
			e.cfg.log.Logf("%s: %v; retrying with all precursors", id, err)
		}
		out[i] = r
		if e.cfg.progress != nil {
			e.cfg.progress(i+1, len(cs))
		}
	}
	return out
}
