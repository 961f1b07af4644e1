package chain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/chain/chaintest"
)

// A JWT-shaped token, as Lotus issues them.
const testToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIl19.c2VjcmV0LXNpZ25hdHVyZQ"

// logBuffer is a Logger that keeps what it is given.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuffer) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, format+"\n", args...)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func serve(t *testing.T, src chain.Source, token string) *chaintest.Server {
	t.Helper()
	srv := chaintest.NewServer(src, token)
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, info chain.APIInfo, opts ...chain.Option) *chain.Client {
	t.Helper()
	c, err := chain.Dial(context.Background(), info, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// The client passes the same checks as the CAR source it reaches through
// the test server.
func TestClientAgainstCARServer(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.source(t, chain.WithNetworkVersion(network.Version13)), testToken)
	client := dial(t, srv.APIInfo())
	checkSource(t, f, client)
	if srv.Calls() == 0 {
		t.Fatal("the client made no calls")
	}
}

func jsonOf(t *testing.T, v any, err error) string {
	t.Helper()
	if err != nil {
		return "error"
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		t.Fatal(merr)
	}
	return string(b)
}

// Every method gives the same answer, in Lotus's JSON form, from the CAR
// and from the client talking to a server over that CAR.
func TestClientAnswersEqualCAR(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cs := big.NewInt(987654321)
	car := f.source(t, chain.WithNetworkVersion(network.Version13), chain.WithCirculatingSupply(cs))
	client := dial(t, serve(t, car, "").APIInfo())

	var sources = []chain.Source{car, client}
	same := func(what string, call func(chain.Source) (any, error)) {
		t.Helper()
		var got [2]string
		for i, s := range sources {
			v, err := call(s)
			got[i] = jsonOf(t, v, err)
		}
		if got[0] != got[1] {
			t.Errorf("%s: CAR %s, client %s", what, got[0], got[1])
		}
	}

	absent, _ := abi.CidBuilder.Sum([]byte("absent"))
	tipsets := []*chain.TipSet{f.gen, f.ts1, f.ts3, f.ts4, f.ts5}
	var blocks []cid.Cid
	for _, ts := range tipsets {
		blocks = append(blocks, ts.Cids()...)
	}
	same("head", func(s chain.Source) (any, error) { return s.Head(ctx) })
	for _, ts := range tipsets {
		key := ts.Key()
		same("tipset "+key.String(), func(s chain.Source) (any, error) { return s.TipSet(ctx, key) })
		same("circ supply", func(s chain.Source) (any, error) { v, err := s.CirculatingSupply(ctx, key); return &v, err })
	}
	for h := abi.ChainEpoch(-1); h <= 6; h++ {
		h := h
		same(fmt.Sprintf("by height %d", h), func(s chain.Source) (any, error) {
			ts, null, err := s.TipSetByHeight(ctx, h, chain.EmptyTipSetKey)
			return []any{ts, null}, err
		})
		same(fmt.Sprintf("after height %d", h), func(s chain.Source) (any, error) {
			return s.TipSetAfterHeight(ctx, h, chain.EmptyTipSetKey)
		})
		same(fmt.Sprintf("by height %d from ts3", h), func(s chain.Source) (any, error) {
			ts, null, err := s.TipSetByHeight(ctx, h, f.ts3.Key())
			return []any{ts, null}, err
		})
		if h <= f.ts5.Height() { // a node knows no version above its head; a schedule does
			same(fmt.Sprintf("network version %d", h), func(s chain.Source) (any, error) { return s.NetworkVersion(ctx, h) })
		}
	}
	for _, b := range append(blocks, absent) {
		b := b
		same("header "+b.String(), func(s chain.Source) (any, error) { return s.BlockHeader(ctx, b) })
		same("block messages "+b.String(), func(s chain.Source) (any, error) { return s.BlockMessages(ctx, b) })
		same("parent messages "+b.String(), func(s chain.Source) (any, error) { return s.ParentMessages(ctx, b) })
		same("parent receipts "+b.String(), func(s chain.Source) (any, error) { return s.ParentReceipts(ctx, b) })
	}
	msgs := []chainMsg{f.a5, f.b9, f.sKeyA5, f.sB10, f.sB12, f.sKeyA6, f.bR, f.sA7, f.replacedBR, f.unincluded}
	for _, m := range msgs {
		m := m
		same("message "+m.cid.String(), func(s chain.Source) (any, error) { return s.Message(ctx, m.cid) })
		for _, limit := range []abi.ChainEpoch{chain.LookbackNoLimit, 0, 2, 3} {
			for _, repl := range []bool{false, true} {
				limit, repl := limit, repl
				same(fmt.Sprintf("search %s limit %d replace %t", m.cid, limit, repl), func(s chain.Source) (any, error) {
					return s.SearchMessage(ctx, chain.EmptyTipSetKey, m.cid, limit, repl)
				})
			}
		}
	}
	all := f.b.Blocks.All()
	for _, blk := range all {
		c := blk.Cid()
		same("get "+c.String(), func(s chain.Source) (any, error) {
			b, err := s.Get(ctx, c)
			if err != nil {
				return nil, err
			}
			return b.RawData(), nil
		})
		same("has "+c.String(), func(s chain.Source) (any, error) { return s.Has(ctx, c) })
	}
	same("has absent", func(s chain.Source) (any, error) { return s.Has(ctx, absent) })
	t.Logf("compared %d raw blocks and every chain method", len(all))
}

// Overrides given to the client win over the node; without them the node
// answers.
func TestClientOverrides(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := serve(t, f.source(t, chain.WithNetworkVersion(network.Version14), chain.WithCirculatingSupply(big.NewInt(5))), "")
	plain := dial(t, srv.APIInfo())
	if nv, err := plain.NetworkVersion(ctx, 3); err != nil || nv != network.Version14 {
		t.Errorf("node's version: %d %v", nv, err)
	}
	if cs, err := plain.CirculatingSupply(ctx, f.ts3.Key()); err != nil || !cs.Equals(big.NewInt(5)) {
		t.Errorf("node's supply: %v %v", cs, err)
	}
	over := dial(t, srv.APIInfo(), chain.WithNetworkVersion(network.Version7), chain.WithCirculatingSupply(big.NewInt(77)))
	if nv, _ := over.NetworkVersion(ctx, 3); nv != network.Version7 {
		t.Errorf("override version: %d", nv)
	}
	if cs, _ := over.CirculatingSupply(ctx, f.ts3.Key()); !cs.Equals(big.NewInt(77)) {
		t.Errorf("override supply: %v", cs)
	}
	// A CAR-backed node that cannot answer passes the failure on.
	bare := dial(t, serve(t, f.source(t), "").APIInfo())
	if _, err := bare.CirculatingSupply(ctx, f.ts3.Key()); err == nil {
		t.Error("circulating supply from a node that has none")
	}
}

// The token reaches the server in the Authorization header and nowhere
// else: not in logs, errors or printed forms of the API info.
func TestTokenNeverShown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := serve(t, f.source(t), testToken)

	info, err := chain.ParseAPIInfo(testToken + ":" + srv.Multiaddr())
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasToken() || info.Addr != srv.Multiaddr() {
		t.Fatalf("parsed %v", info)
	}
	var logs logBuffer
	good := dial(t, info, chain.WithLogger(&logs))
	if _, err := good.Head(ctx); err != nil {
		t.Fatalf("authorized call: %v", err)
	}
	absent, _ := abi.CidBuilder.Sum([]byte("absent"))
	_, missErr := good.Get(ctx, absent)

	wrongTok := strings.Replace(testToken, "c2VjcmV0", "d3Jvbmc", 1)
	wrong, err := chain.ParseAPIInfo(wrongTok + ":" + srv.Multiaddr())
	if err != nil {
		t.Fatal(err)
	}
	bad := dial(t, wrong, chain.WithLogger(&logs))
	_, badErr := bad.Head(ctx)
	if badErr == nil {
		t.Fatal("call with a wrong token succeeded")
	}
	if srv.Unauthorized() == 0 {
		t.Error("server saw no unauthorized request")
	}
	none := dial(t, chain.NewAPIInfo(srv.Multiaddr(), ""), chain.WithLogger(&logs))
	_, noneErr := none.Head(ctx)
	if noneErr == nil {
		t.Fatal("call without a token succeeded")
	}
	_, dialErr := chain.Dial(ctx, chain.NewAPIInfo("/ip4/127.0.0.1/tcp/1/ws", testToken), chain.WithLogger(&logs))
	if dialErr == nil {
		t.Fatal("websocket dial to a closed port succeeded")
	}
	shown := []string{
		logs.String(), missErr.Error(), badErr.Error(), noneErr.Error(), dialErr.Error(),
		fmt.Sprintf("%v %+v %#v %s", info, info, info, info),
	}
	if logs.String() == "" {
		t.Error("nothing logged; the check below would be vacuous")
	}
	for _, s := range shown {
		for _, secret := range []string{testToken, wrongTok, "c2VjcmV0LXNpZ25hdHVyZQ"} {
			if strings.Contains(s, secret) {
				t.Errorf("token shown in %q", s)
			}
		}
	}
}

func TestWebsocketTransport(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.source(t), testToken)
	ws := strings.TrimSuffix(srv.Multiaddr(), "/http") + "/ws"
	c := dial(t, chain.NewAPIInfo(ws, testToken))
	head, err := c.Head(context.Background())
	if err != nil || head.Key() != f.ts5.Key() {
		t.Fatalf("head over websocket: %v %v", head, err)
	}
}

func TestParseAPIInfo(t *testing.T) {
	for _, c := range []struct {
		in, url string
		token   bool
	}{
		{testToken + ":/ip4/127.0.0.1/tcp/1234/http", "http://127.0.0.1:1234/rpc/v1", true},
		{"/ip4/127.0.0.1/tcp/1234/http", "http://127.0.0.1:1234/rpc/v1", false},
		{"/ip4/10.0.0.2/tcp/1234", "http://10.0.0.2:1234/rpc/v1", false},
		{testToken + ":/ip4/127.0.0.1/tcp/1234/ws", "ws://127.0.0.1:1234/rpc/v1", true},
		{"/ip6/::1/tcp/1234/https", "https://[::1]:1234/rpc/v1", false},
		{"/dns/node.example/tcp/443/wss", "wss://node.example:443/rpc/v1", false},
		{"http://127.0.0.1:1234", "http://127.0.0.1:1234/rpc/v1", false},
		{testToken + ":ws://node.example:1234/", "ws://node.example:1234/rpc/v1", true},
		{"  " + testToken + ":/ip4/1.2.3.4/tcp/9/http\n", "http://1.2.3.4:9/rpc/v1", true},
		{"token-without-dots:/ip4/127.0.0.1/tcp/1/http", "http://127.0.0.1:1/rpc/v1", true},
		{`"` + testToken + `":/ip4/127.0.0.1/tcp/1/http`, "http://127.0.0.1:1/rpc/v1", true},
	} {
		info, err := chain.ParseAPIInfo(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		u, err := info.DialURL()
		if err != nil || u != c.url || info.HasToken() != c.token {
			t.Errorf("%q: url %q token %t (%v), want %q %t", c.in, u, info.HasToken(), err, c.url, c.token)
		}
	}
	for _, bad := range []string{
		"", "/ip4/127.0.0.1/tcp/99999/http", "/ip4/300.0.0.1/tcp/1/http", "/ip4/127.0.0.1/udp/1234",
		"/ip4/127.0.0.1/tcp/1234/quic", "/unix/tmp/sock", "ftp://host:21", testToken + ":",
	} {
		if info, err := chain.ParseAPIInfo(bad); err == nil {
			t.Errorf("%q accepted as %v", bad, info)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func writeRepo(t *testing.T, addr, token string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api"), []byte(addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if token != "" {
		if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The node is found as Lotus's tools find it: FULLNODE_API_INFO, else the
// repo flag, else LOTUS_PATH.
func TestFindAPIInfo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := serve(t, f.source(t), testToken)
	repo := writeRepo(t, srv.Multiaddr(), testToken)
	otherRepo := writeRepo(t, "/ip4/127.0.0.1/tcp/1/http", "")

	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	check := func(name string, info chain.APIInfo, err error, wantOK bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := dial(t, info)
		_, err = c.Head(ctx)
		if (err == nil) != wantOK {
			t.Errorf("%s: head: %v", name, err)
		}
	}
	info, err := chain.FindAPIInfo(env(map[string]string{chain.EnvFullNodeAPIInfo: testToken + ":" + srv.Multiaddr(), chain.EnvLotusPath: otherRepo}), otherRepo)
	check("env API info wins", info, err, true)
	info, err = chain.FindAPIInfo(env(map[string]string{chain.EnvLotusPath: otherRepo}), repo)
	check("repo flag over LOTUS_PATH", info, err, true)
	info, err = chain.FindAPIInfo(env(map[string]string{chain.EnvLotusPath: repo}), "")
	check("LOTUS_PATH", info, err, true)
	info, err = chain.FindAPIInfo(env(nil), otherRepo)
	check("repo without token", info, err, false)
	if info.HasToken() {
		t.Error("token invented for a repo without a token file")
	}
	if _, err := chain.FindAPIInfo(env(nil), filepath.Join(t.TempDir(), "no-repo")); err == nil {
		t.Error("missing repo accepted")
	}
	if _, err := chain.FindAPIInfo(env(map[string]string{chain.EnvFullNodeAPIInfo: "garbage"}), repo); err == nil {
		t.Error("malformed FULLNODE_API_INFO accepted (it must not fall back silently)")
	}
}

// Data a node sends that does not hash to what was asked for is refused.
func TestClientChecksNodeData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	car := f.source(t)
	client := dial(t, serve(t, lyingSource{car}, "").APIInfo())
	if _, err := client.Get(ctx, f.stateRoot); err == nil || errors.Is(err, chain.ErrNotFound) {
		t.Errorf("block with wrong bytes: %v", err)
	}
	if _, err := client.BlockHeader(ctx, f.ts3.Cids()[0]); err == nil {
		t.Error("header of another block accepted")
	}
}

// lyingSource answers Get with altered bytes and BlockHeader with another
// block's header.
type lyingSource struct{ chain.Source }

func (l lyingSource) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	blk, err := l.Source.Get(ctx, c)
	if err != nil {
		return nil, err
	}
	return rawBlock{c: c, data: append(append([]byte(nil), blk.RawData()...), 0)}, nil
}

func (l lyingSource) BlockHeader(ctx context.Context, c cid.Cid) (*chain.BlockHeader, error) {
	h, err := l.Source.BlockHeader(ctx, c)
	if err != nil {
		return nil, err
	}
	other := *h
	other.Timestamp++
	return &other, nil
}
