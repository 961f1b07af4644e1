package chain

import "github.com/ipfs/go-cid"

// genesisBlocks are the genesis block CIDs of the networks tvx recognises
// from their chain data (Lotus v1.15.3's build/genesis CARs).
var genesisBlocks = map[string]string{
	"bafy2bzacecnamqgqmifpluoeldx7zzglxcljo6oja4vrmtj7432rphldpdmm2": "mainnet",
	"bafy2bzacecz3trtejxtzix4f4eebs7dekm6snfsmvffiqz2rfx7iwgsgtieq4": "calibnet",
}

// GenesisNetwork names the network whose genesis block is c.
func GenesisNetwork(c cid.Cid) (string, bool) {
	n, ok := genesisBlocks[c.String()]
	return n, ok
}
