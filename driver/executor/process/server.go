package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
	"github.com/tvx-project/tvx/vm/actorpolicy"
)

// maxLine bounds one protocol line (a request carrying a tipset's messages,
// a result carrying the blocks a message wrote).
const maxLine = 256 << 20

// Serve answers protocol requests read from r with e, writing to w, until r
// ends (nil) or breaks (the error). Requests run concurrently; e must be
// safe for that. name identifies the implementation in the handshake.
func Serve(ctx context.Context, r io.Reader, w io.Writer, e executor.Executor, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &server{w: w, exec: e, name: name, calls: map[uint64]chan *envelope{}, cache: map[cid.Cid][]byte{}}
	in := bufio.NewReaderSize(r, 1<<16)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		line, err := readLine(in)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var env envelope
		if err := json.Unmarshal(line, &env); err != nil {
			s.send(&envelope{Type: typeFailure, Error: fmt.Sprintf("malformed line: %v", err)})
			continue
		}
		switch env.Type {
		case typeHello:
			s.send(&envelope{Type: typeHello, Protocol: Version, Implementation: name})
		case typeApplyMessage, typeApplyTipset:
			ch := make(chan *envelope, 1)
			s.mu.Lock()
			s.calls[env.ID] = ch
			s.mu.Unlock()
			wg.Add(1)
			go func(env envelope) {
				defer wg.Done()
				out := s.handle(ctx, &env, ch)
				s.mu.Lock()
				delete(s.calls, env.ID)
				s.mu.Unlock()
				s.send(out)
			}(env)
		case typeBlock, typeRandomness:
			s.mu.Lock()
			ch := s.calls[env.ID]
			s.mu.Unlock()
			if ch != nil {
				select {
				case ch <- &env:
				default: // an answer nobody asked for
				}
			}
		default:
			s.send(&envelope{Type: typeFailure, ID: env.ID, Error: fmt.Sprintf("unknown request type %q", env.Type)})
		}
	}
}

// readLine reads one line of at most maxLine bytes (without its newline).
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == nil {
			return line[:len(line)-1], nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

type server struct {
	w    io.Writer
	exec executor.Executor
	name string

	wmu sync.Mutex // serialises writes to w
	mu  sync.Mutex // guards calls
	// calls routes answers (blocks, randomness) to the request waiting
	// for them.
	calls map[uint64]chan *envelope

	// cache keeps the blocks tvx sent across requests (a CID names its
	// data, so any request may use any): the variants of a vector, and the
	// messages of a run, read mostly the same blocks. Blocks a request
	// wrote are not kept: tvx may never have received them. It is emptied when it would
	// exceed cacheBytes, which bounds its memory.
	cmu        sync.Mutex
	cache      map[cid.Cid][]byte
	cacheBytes int
}

// cacheLimit bounds the server's block cache.
const cacheLimit = 256 << 20

func (s *server) cached(c cid.Cid) ([]byte, bool) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	d, ok := s.cache[c]
	return d, ok
}

func (s *server) remember(c cid.Cid, data []byte) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if _, ok := s.cache[c]; ok {
		return
	}
	if s.cacheBytes+len(data) > cacheLimit {
		s.cache, s.cacheBytes = map[cid.Cid][]byte{}, 0
	}
	s.cache[c] = data
	s.cacheBytes += len(data)
}

func (s *server) send(e *envelope) {
	b, err := encode(e)
	if err != nil {
		b, _ = encode(&envelope{Type: typeFailure, ID: e.ID, Error: fmt.Sprintf("encode answer: %v", err)})
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, _ = s.w.Write(b)
}

// ask sends a question for request id and waits for its answer.
func (s *server) ask(ctx context.Context, ch chan *envelope, q *envelope) (*envelope, error) {
	s.send(q)
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// handle runs one apply request and returns its answer.
func (s *server) handle(ctx context.Context, req *envelope, ch chan *envelope) *envelope {
	fail := func(err error) *envelope { return &envelope{Type: typeFailure, ID: req.ID, Error: err.Error()} }
	// A request asks one question at a time, though an executor may read
	// blocks from several goroutines (a state migration's workers do).
	asking := new(sync.Mutex)
	store := &remoteStore{s: s, ctx: ctx, id: req.ID, ch: ch, asking: asking, written: map[cid.Cid][]byte{}}
	params, err := decodeParams(req.Params)
	if err != nil {
		return fail(err)
	}
	params.Store = store
	params.Rand = remoteRand{s: s, id: req.ID, ch: ch, asking: asking}
	// tvx's Go actors read the network's policy from process-wide
	// variables: the request holds them at its policy while it runs
	// (requests of one policy run concurrently, another waits).
	defer actorpolicy.Hold(params.Policy)()

	out := &envelope{Type: typeResult, ID: req.ID}
	switch req.Type {
	case typeApplyMessage:
		m, err := decodeMessageRequest(req)
		if err != nil {
			return fail(err)
		}
		m.Params = params
		res, err := s.exec.ApplyMessage(ctx, m)
		if err != nil {
			f := fail(err)
			if res != nil {
				f.AssumedProofs = res.AssumedProofs
			}
			return f
		}
		out.Receipt = receiptWire(res.Receipt)
		out.PostRoot = res.PostRoot.String()
		out.ActorError = res.Error
		out.MinerTip, out.MinerPenalty = amountWire(res.MinerTip), amountWire(res.MinerPenalty)
		out.Trace = res.Trace
		out.AssumedProofs = res.AssumedProofs
	case typeApplyTipset:
		t, err := decodeTipsetRequest(req)
		if err != nil {
			return fail(err)
		}
		t.Params = params
		res, err := s.exec.ApplyTipset(ctx, t)
		if err != nil {
			f := fail(err)
			if res != nil {
				f.AssumedProofs = res.AssumedProofs
			}
			return f
		}
		out.PostRoot, out.ReceiptsRoot = res.PostRoot.String(), res.ReceiptsRoot.String()
		out.AssumedProofs = res.AssumedProofs
		out.Applied = make([]wireApplied, 0, len(res.Applied))
		for _, a := range res.Applied {
			out.Applied = append(out.Applied, wireApplied{
				Kind: a.Kind.String(), Epoch: a.Epoch, Block: a.Block, CID: a.MessageCID.String(),
				Receipt: *receiptWire(a.Receipt), ActorError: a.Error,
				MinerTip: amountWire(a.MinerTip), MinerPenalty: amountWire(a.MinerPenalty),
			})
		}
	}
	out.Written = store.writtenList()
	return out
}

func receiptWire(r executor.Receipt) *wireReceipt {
	return &wireReceipt{ExitCode: int64(r.ExitCode), Return: r.Return, GasUsed: r.GasUsed}
}

func amountWire(a abi.TokenAmount) string {
	if a.Int == nil {
		return ""
	}
	return a.String()
}

func parseAmount(field, s string) (abi.TokenAmount, error) {
	if s == "" {
		return big.Zero(), nil
	}
	a, err := big.FromString(s)
	if err != nil {
		return abi.TokenAmount{}, fmt.Errorf("field %s: %q is not a decimal amount", field, s)
	}
	return a, nil
}

func decodeParams(p *wireParams) (executor.Params, error) {
	if p == nil {
		return executor.Params{}, errors.New("field params: missing")
	}
	cs, err := parseAmount("params.circ_supply", p.CircSupply)
	if err != nil {
		return executor.Params{}, err
	}
	out := executor.Params{NetworkVersion: network.Version(p.NetworkVersion), CircSupply: cs, ChaosActor: p.ChaosActor, OnChain: p.OnChain, Network: p.Network}
	if p.Policy != nil {
		if out.Policy, err = decodePolicy(p.Policy); err != nil {
			return executor.Params{}, fmt.Errorf("field params.policy: %w", err)
		}
	}
	if p.Schedule != nil {
		sched := protocol.Schedule{Network: p.Network, GenesisVersion: network.Version(p.Schedule.GenesisVersion), Heights: map[string]abi.ChainEpoch{}}
		for k, h := range p.Schedule.Heights {
			if _, known := protocol.Mainnet().ByCodename(k); !known || k == "genesis" {
				return executor.Params{}, fmt.Errorf("field params.schedule: unknown upgrade %q", k)
			}
			sched.Heights[k] = abi.ChainEpoch(h)
		}
		if out.Protocol, err = protocol.FromSchedule(sched); err != nil {
			return executor.Params{}, fmt.Errorf("field params.schedule: %w", err)
		}
	}
	return out, nil
}

func decodePolicy(w *wirePolicy) (*networks.Policy, error) {
	var p networks.Policy
	for _, sp := range w.SealProofs {
		p.SupportedSealProofs = append(p.SupportedSealProofs, abi.RegisteredSealProof(sp))
	}
	var err error
	if p.ConsensusMinerMinPower, err = strconv.ParseInt(w.ConsensusMinerMinPower, 10, 64); err != nil {
		return nil, fmt.Errorf("consensus_miner_min_power: %q is not a decimal integer", w.ConsensusMinerMinPower)
	}
	if p.MinVerifiedDealSize, err = strconv.ParseInt(w.MinVerifiedDealSize, 10, 64); err != nil {
		return nil, fmt.Errorf("min_verified_deal_size: %q is not a decimal integer", w.MinVerifiedDealSize)
	}
	p.PreCommitChallengeDelay = abi.ChainEpoch(w.PreCommitChallengeDelay)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func decodeMessageRequest(req *envelope) (*executor.Message, error) {
	root, err := parseCID("root", req.Root)
	if err != nil {
		return nil, err
	}
	if req.Epoch == nil {
		return nil, errors.New("field epoch: missing")
	}
	fee, err := parseAmount("base_fee", req.BaseFee)
	if err != nil {
		return nil, err
	}
	if len(req.Message) == 0 {
		return nil, errors.New("field message: missing")
	}
	return &executor.Message{Root: root, Epoch: *req.Epoch, BaseFee: fee, Bytes: req.Message, TraceGas: req.TraceGas}, nil
}

func decodeTipsetRequest(req *envelope) (*executor.Tipset, error) {
	root, err := parseCID("parent_root", req.ParentRoot)
	if err != nil {
		return nil, err
	}
	if req.Epoch == nil || req.ParentEpoch == nil {
		return nil, errors.New("fields epoch and parent_epoch: required")
	}
	fee, err := parseAmount("base_fee", req.BaseFee)
	if err != nil {
		return nil, err
	}
	t := &executor.Tipset{ParentRoot: root, ParentEpoch: *req.ParentEpoch, Epoch: *req.Epoch, BaseFee: fee}
	for i, b := range req.Blocks {
		miner, err := address.NewFromString(b.Miner)
		if err != nil {
			return nil, fmt.Errorf("field blocks[%d].miner: %v", i, err)
		}
		t.Blocks = append(t.Blocks, executor.Block{Miner: miner, WinCount: b.WinCount, Messages: b.Messages})
	}
	return t, nil
}

// remoteStore is the blockstore of one request on the serving side: it
// asks tvx for the blocks it reads and keeps the blocks written, which the
// result carries back.
type remoteStore struct {
	s      *server
	ctx    context.Context
	id     uint64
	ch     chan *envelope
	asking *sync.Mutex // held from a question to its answer

	mu      sync.Mutex
	written map[cid.Cid][]byte
	order   []cid.Cid
}

func (r *remoteStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	r.mu.Lock()
	data, ok := r.written[c]
	r.mu.Unlock()
	if !ok {
		data, ok = r.s.cached(c)
	}
	if ok {
		return blocks.NewBlockWithCid(data, c)
	}
	r.asking.Lock()
	a, err := r.s.ask(r.ctx, r.ch, &envelope{Type: typeGetBlock, ID: r.id, CID: c.String()})
	r.asking.Unlock()
	if err != nil {
		return nil, fmt.Errorf("get block %s: %w", c, err)
	}
	if a.Missing {
		// tvx's own words for the missing block, so a run through the
		// protocol fails with the reason it has in process.
		if a.Error != "" {
			return nil, errors.New(a.Error)
		}
		return nil, fmt.Errorf("%s not found", c)
	}
	b, err := blocks.NewBlockWithCid(a.Data, c)
	if err != nil {
		return nil, fmt.Errorf("get block %s: %w", c, err)
	}
	r.s.remember(c, a.Data)
	return b, nil
}

func (r *remoteStore) Put(_ context.Context, b blocks.Block) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.written[b.Cid()]; !ok {
		r.written[b.Cid()] = b.RawData()
		r.order = append(r.order, b.Cid())
	}
	return nil
}

func (r *remoteStore) writtenList() []wireBlockData {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]wireBlockData, 0, len(r.order))
	for _, c := range r.order {
		out = append(out, wireBlockData{CID: c.String(), Data: r.written[c]})
	}
	return out
}

// remoteRand asks tvx for every randomness draw.
type remoteRand struct {
	s      *server
	id     uint64
	ch     chan *envelope
	asking *sync.Mutex // shared with the request's remoteStore
}

func (r remoteRand) draw(ctx context.Context, kind string, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	r.asking.Lock()
	a, err := r.s.ask(ctx, r.ch, &envelope{Type: typeRandomness, ID: r.id, Kind: kind, DST: int64(dst), Epoch: &epoch, Entropy: entropy})
	r.asking.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s randomness: %w", kind, err)
	}
	if a.Error != "" {
		return nil, fmt.Errorf("%s randomness: %s", kind, a.Error)
	}
	return a.Data, nil
}

func (r remoteRand) ChainRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw(ctx, "chain", dst, epoch, entropy)
}

func (r remoteRand) BeaconRandomness(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	return r.draw(ctx, "beacon", dst, epoch, entropy)
}
