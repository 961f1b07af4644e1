// Package statediff explains why two Filecoin state roots differ.
//
// It walks two state trees (state-tree versions 0..5; the Go actors v0.9
// and v2..v7, and the builtin-actors bundles v8..v10 through go-state-types'
// types) held in one block store and reports actors added, removed and
// changed, with an actor's delegated (f4) address where it has one. A
// changed actor's state is decoded with the actors version its code CID
// names (a bundle's Wasm code CID is looked up in the bundle manifests)
// and compared field by field with go-cmp; CID fields known
// to lead to HAMTs, AMTs or linked objects (miner sectors, pre-commits,
// deadlines and partitions, market proposals, deal states and balance
// tables, multisig transactions, power claims and cron queue, the init
// address map, verified-registry tables and allocations, datacap balances,
// payment-channel lanes) are followed
// and their entries listed as added, removed or changed.
//
// Cost is proportional to what changed, not to the size of the states: a
// pair of subtrees (actors HAMT nodes, collection nodes, actor heads, linked
// objects) whose CIDs are equal is never loaded, since equal CIDs mean equal
// content.
//
// A block missing from the store (common for failing vectors, whose CAR
// holds only what the vector carries) is reported where it was needed and
// the rest of the diff proceeds. Output is deterministic: keys sorted
// (numerically where they are numbers or ID addresses), mainnet address
// prefix, exact FIL amounts, colour only on request. WriteReport frames three
// diffs with bare marker lines and Extract cuts such reports out of a log.
package statediff
