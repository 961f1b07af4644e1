package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/driver/executor"
	"github.com/tvx-project/tvx/schema"
	"github.com/tvx-project/tvx/vm"
)

// CheckOptions configure Check.
type CheckOptions struct {
	// MaxRuns bounds the vector variants run (default 5).
	MaxRuns int
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Stderr receives the executor's standard error (default os.Stderr).
	Stderr io.Writer
}

// CheckReport is what Check found, one line per check.
type CheckReport struct {
	Lines []string
	// ProtocolFailures counts failed protocol checks; Differences the runs
	// whose status, reason or post root differ from tvx's own VM, out of
	// Runs.
	ProtocolFailures, Differences, Runs int
}

// Check exercises the executor started by cmdline: the handshake, a
// malformed request, a state root whose blocks tvx does not have, an answer
// from tvx that comes late, and up to MaxRuns variants of the vectors found
// under paths, compared with tvx's VM. An error means the check could not
// be made (no command, unreadable paths).
func Check(ctx context.Context, cmdline string, paths []string, o CheckOptions) (*CheckReport, error) {
	if o.MaxRuns <= 0 {
		o.MaxRuns = 5
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	var files []string
	for _, p := range paths {
		fs, err := schema.Walk(p)
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	cl, err := NewClient(cmdline, WithTimeout(o.Timeout), WithStderr(o.Stderr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	rep := &CheckReport{}
	protocol := func(name string, err error) {
		if err != nil {
			rep.ProtocolFailures++
			rep.Lines = append(rep.Lines, fmt.Sprintf("FAIL protocol %s: %v", name, err))
			return
		}
		rep.Lines = append(rep.Lines, "ok   protocol "+name)
	}

	name, err := cl.Implementation(ctx)
	if err != nil {
		protocol("handshake", err)
		return rep, nil // nothing else can work
	}
	protocol(fmt.Sprintf("handshake (implementation %q)", name), nil)
	protocol("malformed request is answered with a failure and the executor stays up", checkMalformed(ctx, cl))
	protocol("unknown state root is a failure naming the missing block", checkMissing(ctx, cl))

	var vectors []*schema.Vector
	for _, f := range files {
		v, err := schema.LoadFile(f)
		if err != nil {
			return nil, err
		}
		vectors = append(vectors, v)
	}
	if len(vectors) > 0 {
		protocol("waits for a late answer from tvx", checkLate(ctx, cl, vectors[0], o.Timeout))
	}

	theirs, ours := driver.New(driver.WithExecutor(cl), driver.WithIncludeIncorrect(true)), driver.New(driver.WithIncludeIncorrect(true))
	for _, v := range vectors {
		for _, vr := range v.Pre.Variants {
			if rep.Runs >= o.MaxRuns {
				return rep, nil
			}
			rep.Runs++
			a, b := theirs.Run(ctx, v, vr), ours.Run(ctx, v, vr)
			label := fmt.Sprintf("%s %s", v.Path, vr.ID)
			switch {
			case a.Status == driver.Error && b.Status != driver.Error:
				rep.ProtocolFailures++
				rep.Lines = append(rep.Lines, fmt.Sprintf("FAIL protocol run %s: %s", label, a.Reason))
			case a.Status != b.Status || a.Reason != b.Reason || a.ActualRoot != b.ActualRoot:
				rep.Differences++
				rep.Lines = append(rep.Lines, fmt.Sprintf("DIFF run %s: executor %s %q (root %s), tvx %s %q (root %s)",
					label, a.Status, a.Reason, a.ActualRoot, b.Status, b.Reason, b.ActualRoot))
			default:
				rep.Lines = append(rep.Lines, fmt.Sprintf("ok   run %s: %s", label, a.Status))
			}
		}
	}
	return rep, nil
}

// checkMalformed writes a line that is not JSON; the executor must answer
// with a failure (for request 0) and go on serving.
func checkMalformed(ctx context.Context, cl *Client) error {
	p, err := cl.process(ctx)
	if err != nil {
		return err
	}
	ch := make(chan *envelope, 1)
	p.mu.Lock()
	p.pending[0] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, 0)
		p.mu.Unlock()
	}()
	p.wmu.Lock()
	_, err = p.stdin.Write([]byte("{this is not a request\n"))
	p.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case a := <-ch:
		if a.Type != typeFailure {
			return fmt.Errorf("answered %q, want failure", a.Type)
		}
	case <-p.died:
		return fmt.Errorf("the executor %v", p.why)
	case <-time.After(cl.timeout):
		return fmt.Errorf("no answer within %s", cl.timeout)
	}
	if _, err := cl.Implementation(ctx); err != nil {
		return err
	}
	if p.dead() {
		return fmt.Errorf("the executor stopped after answering: %v", p.why)
	}
	return nil
}

// recordingStore has no blocks and remembers what was asked of it.
type recordingStore struct {
	mu    sync.Mutex
	asked []cid.Cid
}

func (r *recordingStore) Get(_ context.Context, c cid.Cid) (blocks.Block, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, c)
	return nil, errors.New("not found")
}

func (r *recordingStore) Put(context.Context, blocks.Block) error { return nil }

func (r *recordingStore) askedFor(c cid.Cid) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.asked {
		if a == c {
			return true
		}
	}
	return false
}

func zero() abi.TokenAmount { return big.Zero() }

// sampleMessage is a well-formed message (a plain transfer) for requests
// whose state does not matter.
var sampleMessage = func() []byte {
	from, _ := address.NewIDAddress(100)
	to, _ := address.NewIDAddress(101)
	b, err := (&vm.Message{To: to, From: from, Value: big.Zero(), GasLimit: 1_000_000, GasFeeCap: big.NewInt(1), GasPremium: big.NewInt(1)}).Serialize()
	if err != nil {
		panic(err) // unreachable: fixed input
	}
	return b
}()

// lateExecutor delays the first block answer of every request by delay.
type lateExecutor struct {
	e     executor.Executor
	delay time.Duration
}

func (l lateExecutor) ApplyMessage(ctx context.Context, req *executor.Message) (*executor.MessageResult, error) {
	r := *req
	r.Store = &lateStore{Blockstore: req.Store, delay: l.delay}
	return l.e.ApplyMessage(ctx, &r)
}

func (l lateExecutor) ApplyTipset(ctx context.Context, req *executor.Tipset) (*executor.TipsetResult, error) {
	r := *req
	r.Store = &lateStore{Blockstore: req.Store, delay: l.delay}
	return l.e.ApplyTipset(ctx, &r)
}

type lateStore struct {
	executor.Blockstore
	delay time.Duration
	once  sync.Once
}

func (s *lateStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	s.once.Do(func() { time.Sleep(s.delay) })
	return s.Blockstore.Get(ctx, c)
}

// checkMissing applies a message on a root tvx has no block for; the
// executor must ask for it and, told it is missing, answer a failure.
func checkMissing(ctx context.Context, cl *Client) error {
	root, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}.Sum([]byte("tvx executor check: no such state"))
	if err != nil {
		return err
	}
	st := &recordingStore{}
	_, err = cl.ApplyMessage(ctx, &executor.Message{
		Params: executor.Params{Store: st, NetworkVersion: 12, CircSupply: zero()},
		Root:   root, Epoch: 1, BaseFee: zero(), Bytes: sampleMessage,
	})
	switch {
	case err == nil:
		return errors.New("answered a result for a state it cannot have read")
	case errors.Is(err, executor.ErrBroken):
		return err
	case !st.askedFor(root):
		return fmt.Errorf("answered failure %q without asking for the root block", err)
	}
	return nil
}

// checkLate runs v's first variant with every block answer delayed, the
// first by a third of the timeout: the executor must wait for tvx.
func checkLate(ctx context.Context, cl *Client, v *schema.Vector, timeout time.Duration) error {
	d := driver.New(driver.WithExecutor(lateExecutor{cl, timeout / 3}), driver.WithIncludeIncorrect(true))
	out := d.Run(ctx, v, v.Pre.Variants[0])
	if out.Status == driver.Error {
		return errors.New(out.Reason)
	}
	return nil
}
