package deps

import (
	_ "github.com/filecoin-project/dagstore"
	_ "github.com/filecoin-project/specs-actors/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v2/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v3/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v4/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v5/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v6/actors/builtin/exported"
	_ "github.com/filecoin-project/specs-actors/v7/actors/builtin/exported"
	_ "github.com/filecoin-project/test-vectors/schema"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/ipld/go-car/v2/blockstore"
	_ "github.com/urfave/cli/v2"
)

import (
	_ "github.com/filecoin-project/go-commp-utils/nonffi"
	_ "github.com/filecoin-project/go-crypto"
	_ "github.com/minio/blake2b-simd"
	_ "github.com/supranational/blst/bindings/go"
	_ "golang.org/x/crypto/blake2b"
)

import (
	_ "github.com/decred/dcrd/dcrec/secp256k1/v4"
	_ "github.com/filecoin-project/go-address"
	_ "github.com/filecoin-project/go-amt-ipld/v2"
	_ "github.com/filecoin-project/go-amt-ipld/v3"
	_ "github.com/filecoin-project/go-amt-ipld/v4"
	_ "github.com/filecoin-project/go-bitfield"
	_ "github.com/filecoin-project/go-hamt-ipld"
	_ "github.com/filecoin-project/go-hamt-ipld/v2"
	_ "github.com/filecoin-project/go-hamt-ipld/v3"
	_ "github.com/filecoin-project/go-jsonrpc"
	_ "github.com/filecoin-project/go-state-types/abi"
	_ "github.com/ipfs/go-block-format"
	_ "github.com/ipfs/go-cid"
	_ "github.com/ipfs/go-datastore"
	_ "github.com/ipfs/go-ipfs-blockstore"
	_ "github.com/ipfs/go-ipld-cbor"
	_ "github.com/multiformats/go-multihash"
	_ "github.com/whyrusleeping/cbor-gen"
	_ "golang.org/x/term"
)
