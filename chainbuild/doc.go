// Package chainbuild makes chains from tipset vectors: it runs a vector's
// tipsets through an executor.Executor (the driver's, unless told
// otherwise) and stores the chain they form (headers, messages, receipts
// and every state) so that extraction can read it back. It goes the
// opposite way to package extract, which is how extraction is tested on
// real vector data and how `tvx chain build` makes chain CARs.
package chainbuild
