// Package chaintest serves a chain.Source over Lotus's full-node JSON-RPC
// API on a loopback test server, and builds small chains for tests. The
// extract package's tests use it to run against a "node" without one.
package chaintest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/filecoin-project/go-jsonrpc"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"

	"github.com/tvx-project/tvx/chain"
)

// Server is a loopback HTTP server answering the Lotus v1 methods the
// chain client calls ("Filecoin.ChainHead", ...) from a chain.Source,
// with Lotus's JSON encodings.
type Server struct {
	srv   *httptest.Server
	token string
	calls atomic.Int64
	// unauthorized counts requests refused for a missing or wrong token.
	unauthorized atomic.Int64
}

// NewServer starts a server backed by src. A non-empty token makes the
// server refuse (HTTP 401) requests without "Authorization: Bearer
// <token>", as a Lotus node refuses writes and admin calls. Close it when
// done.
func NewServer(src chain.Source, token string, opts ...ServerOption) *Server {
	s := &Server{token: token}
	h := &handler{src: src}
	for _, o := range opts {
		o(h)
	}
	rpc := jsonrpc.NewServer()
	rpc.Register(chain.RPCNamespace, h)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rpc/v1" {
			http.NotFound(w, r)
			return
		}
		if s.token != "" {
			want := "Bearer " + s.token
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
				s.unauthorized.Add(1)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		s.calls.Add(1)
		rpc.ServeHTTP(w, r)
	}))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// Multiaddr is the server's address in the form a Lotus repo's api file
// holds: /ip4/127.0.0.1/tcp/<port>/http.
func (s *Server) Multiaddr() string {
	addr := s.srv.Listener.Addr().(*net.TCPAddr)
	return fmt.Sprintf("/ip4/%s/tcp/%d/http", addr.IP, addr.Port)
}

// APIInfo locates the server, with its token.
func (s *Server) APIInfo() chain.APIInfo { return chain.NewAPIInfo(s.Multiaddr(), s.token) }

// Calls is the number of authorized requests served.
func (s *Server) Calls() int64 { return s.calls.Load() }

// Unauthorized is the number of requests refused for their token.
func (s *Server) Unauthorized() int64 { return s.unauthorized.Load() }

// ServerOption configures what a server answers beyond its source.
type ServerOption func(*handler)

// WithNetworkParams makes the server a node of the network p describes:
// StateNetworkName answers p.NetworkName and StateGetNetworkParams p.
// Without it the name is the one the source's genesis gives, or empty for
// a chain of no known network, and StateGetNetworkParams fails.
func WithNetworkParams(p chain.NetworkParams) ServerOption {
	return func(h *handler) { h.params = &p }
}

// handler's exported methods are the RPC methods. Their results follow
// Lotus's: empty collections where Lotus returns empty arrays, null where
// it returns null (genesis parents).
type handler struct {
	src    chain.Source
	params *chain.NetworkParams
}

func (h *handler) StateNetworkName(ctx context.Context) (string, error) {
	if h.params != nil {
		return h.params.NetworkName, nil
	}
	name, err := chain.NetworkName(ctx, h.src)
	if errors.Is(err, chain.ErrUnavailable) {
		return "", nil // a chain of no known network: the client is told so
	}
	return name, err
}

func (h *handler) StateGetNetworkParams(context.Context) (*chain.NetworkParams, error) {
	if h.params == nil {
		return nil, fmt.Errorf("network parameters not configured")
	}
	p := *h.params
	return &p, nil
}

func (h *handler) ChainHead(ctx context.Context) (*chain.TipSet, error) {
	return h.src.Head(ctx)
}

func (h *handler) ChainGetTipSet(ctx context.Context, key chain.TipSetKey) (*chain.TipSet, error) {
	return h.src.TipSet(ctx, key)
}

func (h *handler) ChainGetTipSetByHeight(ctx context.Context, height abi.ChainEpoch, from chain.TipSetKey) (*chain.TipSet, error) {
	ts, _, err := h.src.TipSetByHeight(ctx, height, from)
	return ts, err
}

func (h *handler) ChainGetTipSetAfterHeight(ctx context.Context, height abi.ChainEpoch, from chain.TipSetKey) (*chain.TipSet, error) {
	return h.src.TipSetAfterHeight(ctx, height, from)
}

func (h *handler) ChainGetBlock(ctx context.Context, c cid.Cid) (*chain.BlockHeader, error) {
	return h.src.BlockHeader(ctx, c)
}

func (h *handler) ChainGetBlockMessages(ctx context.Context, c cid.Cid) (*chain.BlockMessages, error) {
	return h.src.BlockMessages(ctx, c)
}

func (h *handler) ChainGetParentMessages(ctx context.Context, c cid.Cid) ([]chain.ParentMessage, error) {
	return h.src.ParentMessages(ctx, c)
}

func (h *handler) ChainGetParentReceipts(ctx context.Context, c cid.Cid) ([]*chain.MessageReceipt, error) {
	return h.src.ParentReceipts(ctx, c)
}

func (h *handler) ChainGetMessage(ctx context.Context, c cid.Cid) (*chain.Message, error) {
	return h.src.Message(ctx, c)
}

func (h *handler) ChainReadObj(ctx context.Context, c cid.Cid) ([]byte, error) {
	blk, err := h.src.Get(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("blockstore get: %w", err)
	}
	return blk.RawData(), nil
}

func (h *handler) ChainHasObj(ctx context.Context, c cid.Cid) (bool, error) {
	return h.src.Has(ctx, c)
}

func (h *handler) StateNetworkVersion(ctx context.Context, key chain.TipSetKey) (network.Version, error) {
	ts, err := h.src.TipSet(ctx, key)
	if err != nil {
		return 0, err
	}
	return h.src.NetworkVersion(ctx, ts.Height())
}

func (h *handler) StateVMCirculatingSupplyInternal(ctx context.Context, key chain.TipSetKey) (chain.CirculatingSupply, error) {
	cs, err := h.src.CirculatingSupply(ctx, key)
	if err != nil {
		return chain.CirculatingSupply{}, err
	}
	// The source knows only the total; the breakdown is zero.
	return chain.CirculatingSupply{
		FilVested: big.Zero(), FilMined: big.Zero(), FilBurnt: big.Zero(),
		FilLocked: big.Zero(), FilCirculating: cs, FilReserveDisbursed: big.Zero(),
	}, nil
}

func (h *handler) StateSearchMsg(ctx context.Context, from chain.TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*chain.MessageLookup, error) {
	return h.src.SearchMessage(ctx, from, msg, limit, allowReplaced)
}

func (h *handler) StateGetRandomnessFromTickets(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, key chain.TipSetKey) (abi.Randomness, error) {
	return h.src.ChainRandomness(ctx, key, dst, epoch, entropy)
}

func (h *handler) StateGetRandomnessFromBeacon(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, key chain.TipSetKey) (abi.Randomness, error) {
	return h.src.BeaconRandomness(ctx, key, dst, epoch, entropy)
}
