// Package chain reads Filecoin chain data for extracting test vectors,
// from an exported chain CAR (CARSource) or a Lotus full node's JSON-RPC
// API (Client), behind one interface, Source.
//
// The types (TipSetKey, TipSet, BlockHeader, Message, SignedMessage,
// MessageReceipt, TxMeta) have the chain's CBOR encodings and Lotus's
// JSON encodings, so the same values travel through both sources. Block
// headers and messages are package wire's. Message lists in blocks
// and receipts lists are AMTs of the first actors version on every
// pre-FVM network version.
//
// A typical extraction of one message:
//
//	look, _ := src.SearchMessage(ctx, chain.EmptyTipSetKey, msgCid, chain.LookbackNoLimit, false)
//	exec, _ := src.TipSet(ctx, look.TipSet)          // its parent state includes the message
//	incl, _ := src.TipSet(ctx, exec.Parents())       // the tipset that included it
//	msgs, _ := src.ParentMessages(ctx, exec.Cids()[0]) // incl's messages in execution order
//	nv, _ := src.NetworkVersion(ctx, incl.Height())
//	cs, _ := src.CirculatingSupply(ctx, incl.Key())
//	rand := chain.NewRand(src, incl.Key())          // the VM's randomness while running incl
//	// state: src.Get / src.Has on incl.ParentState()
//
// A chain CAR does not know the network version (mainnet's schedule
// applies unless WithNetworkVersion/WithNetworkSchedule says otherwise)
// or the circulating supply (WithCirculatingSupply); package chaintest
// serves any Source over the same JSON-RPC methods for tests.
package chain
