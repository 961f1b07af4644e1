package chain

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/filecoin-project/go-jsonrpc"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/crypto"
	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// RPCNamespace is the JSON-RPC namespace of Lotus's full-node API: method
// M is called as "Filecoin.M".
const RPCNamespace = "Filecoin"

// CirculatingSupply is the breakdown Lotus's
// StateVMCirculatingSupplyInternal returns; FilCirculating is what the VM
// sees.
type CirculatingSupply struct {
	FilVested           abi.TokenAmount
	FilMined            abi.TokenAmount
	FilBurnt            abi.TokenAmount
	FilLocked           abi.TokenAmount
	FilCirculating      abi.TokenAmount
	FilReserveDisbursed abi.TokenAmount
}

// FullNodeAPI lists the Lotus v1 full-node methods the client calls, with
// their parameter and result types in this package's types (whose JSON
// forms are Lotus's). go-jsonrpc fills the fields of a client; a server
// (chaintest) implements the same names as methods.
type FullNodeAPI struct {
	ChainHead                        func(ctx context.Context) (*TipSet, error)
	ChainGetTipSet                   func(ctx context.Context, key TipSetKey) (*TipSet, error)
	ChainGetTipSetByHeight           func(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error)
	ChainGetTipSetAfterHeight        func(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error)
	ChainGetBlock                    func(ctx context.Context, block cid.Cid) (*BlockHeader, error)
	ChainGetBlockMessages            func(ctx context.Context, block cid.Cid) (*BlockMessages, error)
	ChainGetParentMessages           func(ctx context.Context, block cid.Cid) ([]ParentMessage, error)
	ChainGetParentReceipts           func(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error)
	ChainGetMessage                  func(ctx context.Context, msg cid.Cid) (*Message, error)
	ChainReadObj                     func(ctx context.Context, c cid.Cid) ([]byte, error)
	ChainHasObj                      func(ctx context.Context, c cid.Cid) (bool, error)
	StateNetworkVersion              func(ctx context.Context, key TipSetKey) (network.Version, error)
	StateVMCirculatingSupplyInternal func(ctx context.Context, key TipSetKey) (CirculatingSupply, error)
	StateGetRandomnessFromTickets    func(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, key TipSetKey) (abi.Randomness, error)
	StateGetRandomnessFromBeacon     func(ctx context.Context, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte, key TipSetKey) (abi.Randomness, error)
	StateSearchMsg                   func(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error)
	StateNetworkName                 func(ctx context.Context) (string, error)
	StateGetNetworkParams            func(ctx context.Context) (*NetworkParams, error)
}

// Client is a Source backed by a Lotus full node's JSON-RPC API (v1).
// Overrides given as options (network version, circulating supply) win
// over the node's answers.
type Client struct {
	api    FullNodeAPI
	closer jsonrpc.ClientCloser
	cfg    config
}

var _ Source = (*Client)(nil)

// Dial connects to the node info locates. Over HTTP no request is made
// until the first call; over a websocket the connection is opened now.
func Dial(ctx context.Context, info APIInfo, opts ...Option) (*Client, error) {
	u, err := info.DialURL()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: newConfig(opts)}
	var hdr http.Header
	if info.token != "" {
		hdr = http.Header{"Authorization": []string{"Bearer " + info.token}}
	}
	c.cfg.log.Logf("lotus API: %s (token: %t)", u, info.token != "")
	closer, err := jsonrpc.NewMergeClient(ctx, u, RPCNamespace, []interface{}{&c.api}, hdr)
	if err != nil {
		return nil, fmt.Errorf("connect to lotus API at %s: %w", u, err)
	}
	c.closer = closer
	return c, nil
}

// Close ends the connection.
func (c *Client) Close() error {
	if c.closer != nil {
		c.closer()
	}
	return nil
}

// missing turns a failed call into ErrNotFound when the node does not hold
// the objects named. Lotus's error texts for a missing object vary by
// method and version, so the client asks ChainHasObj rather than parse them.
func (c *Client) missing(ctx context.Context, call string, err error, objs ...cid.Cid) error {
	for _, o := range objs {
		if has, herr := c.api.ChainHasObj(ctx, o); herr == nil && !has {
			return fmt.Errorf("%s: %w", call, notFoundBlock(o))
		}
	}
	return fmt.Errorf("%s: %w", call, err)
}

// Head calls ChainHead.
func (c *Client) Head(ctx context.Context) (*TipSet, error) {
	ts, err := c.api.ChainHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("ChainHead: %w", err)
	}
	return nonNil("ChainHead", ts)
}

func nonNil[T any](call string, v *T) (*T, error) {
	if v == nil {
		return nil, fmt.Errorf("%s: node returned null", call)
	}
	return v, nil
}

// TipSet calls ChainGetTipSet (an empty key is the head).
func (c *Client) TipSet(ctx context.Context, key TipSetKey) (*TipSet, error) {
	if key.IsEmpty() {
		return c.Head(ctx)
	}
	ts, err := c.api.ChainGetTipSet(ctx, key)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetTipSet "+key.String(), err, key.Cids()...)
	}
	return nonNil("ChainGetTipSet", ts)
}

// TipSetByHeight calls ChainGetTipSetByHeight; a returned tipset below h
// means h is a null round.
func (c *Client) TipSetByHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, bool, error) {
	if h < 0 {
		return nil, false, fmt.Errorf("tipset at height %d: negative height", h)
	}
	ts, err := c.api.ChainGetTipSetByHeight(ctx, h, from)
	if err != nil {
		return nil, false, fmt.Errorf("ChainGetTipSetByHeight %d: %w", h, err)
	}
	if ts, err = nonNil("ChainGetTipSetByHeight", ts); err != nil {
		return nil, false, err
	}
	if ts.Height() > h {
		return nil, false, fmt.Errorf("ChainGetTipSetByHeight %d: node returned height %d", h, ts.Height())
	}
	return ts, ts.Height() < h, nil
}

// TipSetAfterHeight calls ChainGetTipSetAfterHeight.
func (c *Client) TipSetAfterHeight(ctx context.Context, h abi.ChainEpoch, from TipSetKey) (*TipSet, error) {
	if h < 0 {
		return nil, fmt.Errorf("tipset at height %d: negative height", h)
	}
	ts, err := c.api.ChainGetTipSetAfterHeight(ctx, h, from)
	if err != nil {
		return nil, fmt.Errorf("ChainGetTipSetAfterHeight %d: %w", h, err)
	}
	return nonNil("ChainGetTipSetAfterHeight", ts)
}

// BlockHeader calls ChainGetBlock and checks the header against its CID.
func (c *Client) BlockHeader(ctx context.Context, block cid.Cid) (*BlockHeader, error) {
	h, err := c.api.ChainGetBlock(ctx, block)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetBlock "+block.String(), err, block)
	}
	if h, err = nonNil("ChainGetBlock", h); err != nil {
		return nil, err
	}
	got, err := h.Cid()
	if err != nil {
		return nil, fmt.Errorf("ChainGetBlock %s: %w", block, err)
	}
	if got != block {
		return nil, fmt.Errorf("ChainGetBlock %s: node returned header %s", block, got)
	}
	return h, nil
}

// BlockMessages calls ChainGetBlockMessages.
func (c *Client) BlockMessages(ctx context.Context, block cid.Cid) (*BlockMessages, error) {
	bm, err := c.api.ChainGetBlockMessages(ctx, block)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetBlockMessages "+block.String(), err, block)
	}
	if bm, err = nonNil("ChainGetBlockMessages", bm); err != nil {
		return nil, err
	}
	if len(bm.Cids) != len(bm.BlsMessages)+len(bm.SecpkMessages) {
		return nil, fmt.Errorf("ChainGetBlockMessages %s: %d CIDs for %d messages", block, len(bm.Cids), len(bm.BlsMessages)+len(bm.SecpkMessages))
	}
	return bm, nil
}

// ParentMessages calls ChainGetParentMessages.
func (c *Client) ParentMessages(ctx context.Context, block cid.Cid) ([]ParentMessage, error) {
	ms, err := c.api.ChainGetParentMessages(ctx, block)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetParentMessages "+block.String(), err, block)
	}
	for i, m := range ms {
		if m.Message == nil {
			return nil, fmt.Errorf("ChainGetParentMessages %s: message %d is null", block, i)
		}
	}
	return ms, nil
}

// ParentReceipts calls ChainGetParentReceipts.
func (c *Client) ParentReceipts(ctx context.Context, block cid.Cid) ([]*MessageReceipt, error) {
	rs, err := c.api.ChainGetParentReceipts(ctx, block)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetParentReceipts "+block.String(), err, block)
	}
	for i, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("ChainGetParentReceipts %s: receipt %d is null", block, i)
		}
	}
	return rs, nil
}

// Message calls ChainGetMessage.
func (c *Client) Message(ctx context.Context, msg cid.Cid) (*Message, error) {
	m, err := c.api.ChainGetMessage(ctx, msg)
	if err != nil {
		return nil, c.missing(ctx, "ChainGetMessage "+msg.String(), err, msg)
	}
	return nonNil("ChainGetMessage", m)
}

// SearchMessage calls StateSearchMsg (null result: nil, nil).
func (c *Client) SearchMessage(ctx context.Context, from TipSetKey, msg cid.Cid, limit abi.ChainEpoch, allowReplaced bool) (*MessageLookup, error) {
	l, err := c.api.StateSearchMsg(ctx, from, msg, limit, allowReplaced)
	if err != nil {
		return nil, c.missing(ctx, "StateSearchMsg "+msg.String(), err, msg)
	}
	return l, nil
}

// NetworkVersion returns the override if one was given, else
// StateNetworkVersion of the tipset at h (for a null round, of the tipset
// below it). Unlike a CAR's schedule, the node cannot answer for heights
// above its head.
func (c *Client) NetworkVersion(ctx context.Context, h abi.ChainEpoch) (network.Version, error) {
	if h < 0 {
		return 0, fmt.Errorf("network version at %d: negative height", h)
	}
	if c.cfg.netVersion != nil {
		return c.cfg.netVersion(h), nil
	}
	ts, _, err := c.TipSetByHeight(ctx, h, EmptyTipSetKey)
	if err != nil {
		return 0, fmt.Errorf("network version at %d: %w", h, err)
	}
	nv, err := c.api.StateNetworkVersion(ctx, ts.Key())
	if err != nil {
		return 0, fmt.Errorf("StateNetworkVersion %s: %w", ts.Key(), err)
	}
	return nv, nil
}

// CirculatingSupply returns the override if one was given, else
// StateVMCirculatingSupplyInternal's FilCirculating.
func (c *Client) CirculatingSupply(ctx context.Context, key TipSetKey) (abi.TokenAmount, error) {
	if c.cfg.circSupply != nil {
		return c.cfg.circSupply.Copy(), nil
	}
	cs, err := c.api.StateVMCirculatingSupplyInternal(ctx, key)
	if err != nil {
		return abi.TokenAmount{}, fmt.Errorf("StateVMCirculatingSupplyInternal %s: %w", key, err)
	}
	if cs.FilCirculating.Int == nil {
		return abi.TokenAmount{}, errors.New("StateVMCirculatingSupplyInternal: no FilCirculating in the answer")
	}
	return cs.FilCirculating, nil
}

// Get calls ChainReadObj and checks the bytes against the CID.
func (c *Client) Get(ctx context.Context, k cid.Cid) (blocks.Block, error) {
	data, err := c.api.ChainReadObj(ctx, k)
	if err != nil {
		return nil, c.missing(ctx, "ChainReadObj "+k.String(), err, k)
	}
	if err := checkBlock(k, data); err != nil {
		return nil, fmt.Errorf("ChainReadObj: %w", err)
	}
	return blocks.NewBlockWithCid(data, k)
}

// Has calls ChainHasObj.
func (c *Client) Has(ctx context.Context, k cid.Cid) (bool, error) {
	ok, err := c.api.ChainHasObj(ctx, k)
	if err != nil {
		return false, fmt.Errorf("ChainHasObj %s: %w", k, err)
	}
	return ok, nil
}

// ChainRandomness calls StateGetRandomnessFromTickets.
func (c *Client) ChainRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	r, err := c.api.StateGetRandomnessFromTickets(ctx, dst, epoch, entropy, key)
	if err != nil {
		return nil, fmt.Errorf("StateGetRandomnessFromTickets %d on %s: %w", epoch, key, err)
	}
	return r, nil
}

// BeaconRandomness calls StateGetRandomnessFromBeacon.
func (c *Client) BeaconRandomness(ctx context.Context, key TipSetKey, dst crypto.DomainSeparationTag, epoch abi.ChainEpoch, entropy []byte) ([]byte, error) {
	r, err := c.api.StateGetRandomnessFromBeacon(ctx, dst, epoch, entropy, key)
	if err != nil {
		return nil, fmt.Errorf("StateGetRandomnessFromBeacon %d on %s: %w", epoch, key, err)
	}
	return r, nil
}
