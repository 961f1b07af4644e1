package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/exitcode"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/protocol"
)

// DefaultTimeout bounds one request, the blocks and randomness it asks for
// included.
const DefaultTimeout = 2 * time.Minute

// Client is an executor.Executor backed by a child process speaking the
// protocol. The process starts on first use and serves every request;
// requests of concurrent runs are sent without waiting for each other. A
// process that exits, hangs past the timeout or writes something that is
// not the protocol fails the requests it was serving with an error wrapping
// executor.ErrBroken, and a new one is started for the next request.
type Client struct {
	argv    []string
	timeout time.Duration
	stderr  io.Writer

	ids atomic.Uint64

	mu   sync.Mutex
	p    *proc
	done bool
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout bounds each request (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithStderr sends the process's standard error to w (default os.Stderr).
func WithStderr(w io.Writer) Option {
	return func(c *Client) {
		if w != nil {
			c.stderr = w
		}
	}
}

// NewClient returns a client for the command line cmdline (a program and
// its arguments, separated by spaces; no shell quoting).
func NewClient(cmdline string, opts ...Option) (*Client, error) {
	argv := strings.Fields(cmdline)
	if len(argv) == 0 {
		return nil, errors.New("executor command: empty")
	}
	c := &Client{argv: argv, timeout: DefaultTimeout, stderr: os.Stderr}
	for _, o := range opts {
		o(c)
	}
	// A restarted executor can start writing while the killed one's last
	// output still drains, each through its own copier: one lock for every
	// process this client starts keeps their writes apart.
	c.stderr = &lockedWriter{w: c.stderr}
	return c, nil
}

var _ executor.Executor = (*Client)(nil)

// Close stops the process, if one is running. Requests after Close fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	if c.p != nil {
		c.p.stop(errors.New("client closed"))
		c.p = nil
	}
	return nil
}

// Implementation is the name the running process gave in its handshake,
// starting one if none runs.
func (c *Client) Implementation(ctx context.Context) (string, error) {
	p, err := c.process(ctx)
	if err != nil {
		return "", err
	}
	return p.name, nil
}

// process returns the running process, starting one (and shaking hands)
// if there is none or the last one died.
func (c *Client) process(ctx context.Context) (*proc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return nil, fmt.Errorf("%w: client closed", executor.ErrBroken)
	}
	if c.p != nil && !c.p.dead() {
		return c.p, nil
	}
	p, err := start(ctx, c.argv, c.stderr, c.timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", executor.ErrBroken, err)
	}
	c.p = p
	return p, nil
}

// proc is one running executor process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	name  string

	wmu sync.Mutex

	mu      sync.Mutex
	pending map[uint64]chan *envelope
	died    chan struct{}
	why     error
	once    sync.Once

	exited  chan struct{} // closed once the process has been waited for
	waitErr error
}

func start(ctx context.Context, argv []string, stderr io.Writer, timeout time.Duration) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// A pipe of our own rather than StdoutPipe: Wait then leaves the read
	// end alone, so the last lines of an exiting process are still read.
	stdout, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		stdout.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	pw.Close()
	p := &proc{cmd: cmd, stdin: stdin, pending: map[uint64]chan *envelope{}, died: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	hello := make(chan *envelope, 1)
	p.pending[0] = hello
	go p.read(stdout)
	if err := p.write(&envelope{Type: typeHello, Protocol: Version}); err != nil {
		p.stop(err)
		return nil, fmt.Errorf("handshake: %w", p.reason())
	}
	select {
	case h := <-hello:
		p.mu.Lock()
		delete(p.pending, 0)
		p.mu.Unlock()
		if h.Type != typeHello {
			p.stop(fmt.Errorf("handshake: answered %q instead of hello", h.Type))
			return nil, p.reason()
		}
		if h.Protocol != Version {
			p.stop(fmt.Errorf("handshake: speaks protocol %d, tvx speaks %d", h.Protocol, Version))
			return nil, p.reason()
		}
		p.name = h.Implementation
		return p, nil
	case <-p.died:
		return nil, fmt.Errorf("handshake: %w", p.reason())
	case <-time.After(timeout):
		p.stop(fmt.Errorf("handshake: no hello within %s", timeout))
		return nil, p.reason()
	case <-ctx.Done():
		p.stop(ctx.Err())
		return nil, ctx.Err()
	}
}

func (p *proc) dead() bool {
	select {
	case <-p.died:
		return true
	default:
		return false
	}
}

func (p *proc) reason() error {
	<-p.died
	return p.why
}

// stop kills the process, recording why; the first reason wins.
func (p *proc) stop(why error) {
	p.once.Do(func() {
		p.why = why
		close(p.died)
		_ = p.cmd.Process.Kill()
		_ = p.stdin.Close()
	})
}

func (p *proc) write(e *envelope) error {
	b, err := encode(e)
	if err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if _, err := p.stdin.Write(b); err != nil {
		return fmt.Errorf("write to executor: %w", err)
	}
	return nil
}

// read routes every line the process writes to the request it belongs to.
// A line that is not protocol JSON, or names no pending request, ends the
// process: nothing it says afterwards can be trusted.
func (p *proc) read(stdout io.ReadCloser) {
	defer stdout.Close()
	in := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := readLine(in)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				p.stop(p.exitReason())
			} else {
				p.stop(fmt.Errorf("reading its output: %v", err))
			}
			return
		}
		var env envelope
		if err := json.Unmarshal(line, &env); err != nil || env.Type == "" {
			p.stop(fmt.Errorf("wrote a line that is not a protocol message: %q", truncate(line)))
			return
		}
		p.mu.Lock()
		ch, ok := p.pending[env.ID]
		p.mu.Unlock()
		if !ok {
			if env.Type == typeFailure && env.ID == 0 {
				p.stop(fmt.Errorf("reported a failure tied to no request: %s", env.Error))
			} else {
				p.stop(fmt.Errorf("wrote a %q message for request %d, which is not pending", env.Type, env.ID))
			}
			return
		}
		select {
		case ch <- &env:
		default:
			p.stop(fmt.Errorf("wrote a %q message for request %d while an earlier one was unanswered", env.Type, env.ID))
			return
		}
	}
}

// exitReason describes the end of the process's output.
func (p *proc) exitReason() error {
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("exited (%v)", p.waitErr)
		}
		return errors.New("exited (status 0)")
	case <-time.After(2 * time.Second):
		return errors.New("closed its output")
	}
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// call sends one apply request and serves the questions it raises until
// its answer comes.
func (c *Client) call(ctx context.Context, req *envelope, store executor.Blockstore, rnd executor.Randomness) (*envelope, error) {
	p, err := c.process(ctx)
	if err != nil {
		return nil, err
	}
	req.ID = c.ids.Add(1)
	ch := make(chan *envelope, 1)
	p.mu.Lock()
	p.pending[req.ID] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, req.ID)
		p.mu.Unlock()
	}()
	broken := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", executor.ErrBroken, strings.Join(c.argv, " "), fmt.Sprintf(format, args...))
	}
	if err := p.write(req); err != nil {
		p.stop(err)
		return nil, broken("%v", p.reason())
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	for {
		select {
		case m := <-ch:
			switch m.Type {
			case typeResult, typeFailure:
				return m, nil
			case typeGetBlock:
				err = p.write(answerBlock(ctx, store, m))
			case typeRandomness:
				err = p.write(answerRandomness(ctx, rnd, m))
			default:
				p.stop(fmt.Errorf("sent %q during request %d", m.Type, req.ID))
				return nil, broken("%v", p.reason())
			}
			if err != nil {
				p.stop(err)
				return nil, broken("%v", p.reason())
			}
		case <-p.died:
			return nil, broken("%v during request %d", p.reason(), req.ID)
		case <-timer.C:
			p.stop(fmt.Errorf("no answer to request %d within %s (killed)", req.ID, c.timeout))
			return nil, broken("%v", p.reason())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func answerBlock(ctx context.Context, store executor.Blockstore, q *envelope) *envelope {
	a := &envelope{Type: typeBlock, ID: q.ID, CID: q.CID}
	c, err := cid.Decode(q.CID)
	if err != nil {
		a.Missing = true
		return a
	}
	b, err := store.Get(ctx, c)
	if err != nil {
		a.Missing, a.Error = true, err.Error()
		return a
	}
	a.Data = b.RawData()
	return a
}

func answerRandomness(ctx context.Context, rnd executor.Randomness, q *envelope) *envelope {
	a := &envelope{Type: typeRandomness, ID: q.ID}
	if rnd == nil {
		a.Error = "no randomness source"
		return a
	}
	var epoch abi.ChainEpoch
	if q.Epoch != nil {
		epoch = *q.Epoch
	}
	draw := rnd.ChainRandomness
	switch q.Kind {
	case "chain":
	case "beacon":
		draw = rnd.BeaconRandomness
	default:
		a.Error = fmt.Sprintf("field kind: %q is neither chain nor beacon", q.Kind)
		return a
	}
	data, err := draw(ctx, crypto.DomainSeparationTag(q.DST), epoch, q.Entropy)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.Data = data
	return a
}

func paramsWire(p executor.Params) *wireParams {
	w := &wireParams{NetworkVersion: uint(p.NetworkVersion), CircSupply: amountWire(p.CircSupply), ChaosActor: p.ChaosActor, OnChain: p.OnChain, Network: p.Network}
	if p.Policy != nil {
		w.Policy = &wirePolicy{
			ConsensusMinerMinPower:  strconv.FormatInt(p.Policy.ConsensusMinerMinPower, 10),
			MinVerifiedDealSize:     strconv.FormatInt(p.Policy.MinVerifiedDealSize, 10),
			PreCommitChallengeDelay: int64(p.Policy.PreCommitChallengeDelay),
		}
		for _, sp := range p.Policy.SupportedSealProofs {
			w.Policy.SealProofs = append(w.Policy.SealProofs, int64(sp))
		}
	}
	if p.Protocol != nil && p.Protocol.Network() != protocol.Mainnet().Network() {
		rows := p.Protocol.Upgrades()
		w.Schedule = &wireSchedule{GenesisVersion: uint(rows[0].Version), Heights: map[string]int64{}}
		for _, u := range rows[1:] {
			w.Schedule.Heights[u.Codename] = int64(u.Epoch)
		}
	}
	return w
}

// ApplyMessage implements executor.Executor.
func (c *Client) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	epoch := req.Epoch
	ans, err := c.call(ctx, &envelope{
		Type: typeApplyMessage, Params: paramsWire(req.Params), Root: req.Root.String(), Epoch: &epoch,
		BaseFee: amountWire(req.BaseFee), Message: req.Bytes, TraceGas: req.TraceGas,
	}, req.Store, req.Rand)
	if err != nil {
		return nil, err
	}
	if ans.Type == typeFailure {
		return &executor.MessageResult{AssumedProofs: ans.AssumedProofs}, errors.New(ans.Error)
	}
	post, err := c.accept(ctx, ans, req.Store)
	if err != nil {
		return nil, err
	}
	if ans.Receipt == nil {
		return nil, c.brokenf("result of request %d: field receipt: missing", ans.ID)
	}
	out := &executor.MessageResult{
		Receipt:       receiptOf(*ans.Receipt),
		PostRoot:      post,
		Error:         ans.ActorError,
		Trace:         ans.Trace,
		AssumedProofs: ans.AssumedProofs,
	}
	if out.MinerTip, err = parseAmount("miner_tip", ans.MinerTip); err == nil {
		out.MinerPenalty, err = parseAmount("miner_penalty", ans.MinerPenalty)
	}
	if err != nil {
		return nil, c.brokenf("result of request %d: %v", ans.ID, err)
	}
	return out, nil
}

// ApplyTipset implements executor.Executor.
func (c *Client) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	epoch, parent := req.Epoch, req.ParentEpoch
	env := &envelope{
		Type: typeApplyTipset, Params: paramsWire(req.Params), ParentRoot: req.ParentRoot.String(),
		ParentEpoch: &parent, Epoch: &epoch, BaseFee: amountWire(req.BaseFee),
	}
	for _, b := range req.Blocks {
		env.Blocks = append(env.Blocks, wireBlock{Miner: b.Miner.String(), WinCount: b.WinCount, Messages: b.Messages})
	}
	ans, err := c.call(ctx, env, req.Store, req.Rand)
	if err != nil {
		return nil, err
	}
	if ans.Type == typeFailure {
		return &executor.TipsetResult{AssumedProofs: ans.AssumedProofs}, errors.New(ans.Error)
	}
	post, err := c.accept(ctx, ans, req.Store)
	if err != nil {
		return nil, err
	}
	rr, err := parseCID("receipts_root", ans.ReceiptsRoot)
	if err != nil {
		return nil, c.brokenf("result of request %d: %v", ans.ID, err)
	}
	out := &executor.TipsetResult{PostRoot: post, ReceiptsRoot: rr, AssumedProofs: ans.AssumedProofs}
	for i, a := range ans.Applied {
		field := fmt.Sprintf("applied[%d]", i)
		kind, ok := map[string]executor.AppliedKind{"message": executor.Explicit, "reward": executor.Reward, "cron": executor.Cron}[a.Kind]
		if !ok {
			return nil, c.brokenf("result of request %d: field %s.kind: %q", ans.ID, field, a.Kind)
		}
		mc, err := parseCID(field+".cid", a.CID)
		if err != nil {
			return nil, c.brokenf("result of request %d: %v", ans.ID, err)
		}
		ap := executor.Applied{Kind: kind, Epoch: a.Epoch, Block: a.Block, MessageCID: mc, Receipt: receiptOf(a.Receipt), Error: a.ActorError}
		if ap.MinerTip, err = parseAmount(field+".miner_tip", a.MinerTip); err == nil {
			ap.MinerPenalty, err = parseAmount(field+".miner_penalty", a.MinerPenalty)
		}
		if err != nil {
			return nil, c.brokenf("result of request %d: %v", ans.ID, err)
		}
		out.Applied = append(out.Applied, ap)
	}
	return out, nil
}

func (c *Client) brokenf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", executor.ErrBroken, strings.Join(c.argv, " "), fmt.Sprintf(format, args...))
}

// accept stores the blocks a result carries, each checked against its CID,
// and returns the post-state root, which must then be in the store: a root
// the executor neither received nor wrote names no state.
func (c *Client) accept(ctx context.Context, ans *envelope, store executor.Blockstore) (cid.Cid, error) {
	for i, w := range ans.Written {
		k, err := parseCID(fmt.Sprintf("written[%d].cid", i), w.CID)
		if err != nil {
			return cid.Undef, c.brokenf("result of request %d: %v", ans.ID, err)
		}
		b, err := blocks.NewBlockWithCid(w.Data, k)
		if err == nil {
			var sum cid.Cid
			if sum, err = k.Prefix().Sum(w.Data); err == nil && !sum.Equals(k) {
				err = fmt.Errorf("data hashes to %s", sum)
			}
		}
		if err != nil {
			return cid.Undef, c.brokenf("result of request %d: written[%d] (%s): %v", ans.ID, i, k, err)
		}
		if err := store.Put(ctx, b); err != nil {
			return cid.Undef, fmt.Errorf("store block %s: %w", k, err)
		}
	}
	post, err := parseCID("post_root", ans.PostRoot)
	if err != nil {
		return cid.Undef, c.brokenf("result of request %d: %v", ans.ID, err)
	}
	if _, err := store.Get(ctx, post); err != nil {
		return cid.Undef, c.brokenf("result of request %d: post_root %s is neither a block it was given nor one it wrote", ans.ID, post)
	}
	return post, nil
}

func receiptOf(r wireReceipt) executor.Receipt {
	return executor.Receipt{ExitCode: exitcode.ExitCode(r.ExitCode), Return: r.Return, GasUsed: r.GasUsed}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
