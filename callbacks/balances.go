package callbacks

import (
	"context"
	"fmt"
	"sort"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/vm/state"
)

// SaveBalancesName is the name of the save-balances callback.
const SaveBalancesName = "save-balances"

// NewSaveBalances returns the save-balances callback: after each tipset it
// records every actor's balance in the post-state, one line
// "<epoch> <address> <balance in attoFIL>" per actor, ordered by address
// (ID addresses numerically) and spelt as on mainnet ("f0100"). Each run's lines follow a header line
// "# <vector file> <variant>". An actor the state tree cannot produce (a
// HAMT node missing from the vector's CAR) fails the callback: a list with
// actors silently missing would look complete.
func NewSaveBalances(path string) *Collector {
	return newCollector(SaveBalancesName, path, renderBalances, func(file, variant string) string {
		return fmt.Sprintf("# %s %s", file, variant)
	})
}

type balance struct {
	addr address.Address
	amt  abi.TokenAmount
}

func renderBalances(ctx context.Context, ev *driver.TipsetEvent) ([]string, error) {
	tree, err := ev.PostState(ctx)
	if err != nil {
		return nil, err
	}
	var all []balance
	err = tree.ForEach(func(id address.Address, act *state.Actor) error {
		all = append(all, balance{addr: id, amt: act.Balance})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("post-state %s: %w", ev.PostStateRoot, err)
	}
	sort.Slice(all, func(i, j int) bool { return addressLess(all[i].addr, all[j].addr) })
	lines := make([]string, len(all))
	for i, b := range all {
		lines[i] = fmt.Sprintf("%d %s %s", ev.Epoch, mainnetAddress(b.addr), b.amt)
	}
	return lines, nil
}

// mainnetAddress spells a with the mainnet prefix "f", as vectors do.
// go-address prefixes by a process-wide setting instead, which tvx leaves
// alone; its encodings differ only in that first character.
func mainnetAddress(a address.Address) string {
	s := a.String()
	if len(s) > 0 && s[0] == address.TestnetPrefix[0] {
		return address.MainnetPrefix + s[1:]
	}
	return s
}

// addressLess orders ID addresses by number, before any other address
// (which a state tree does not hold as a key, but would sort by its text).
func addressLess(a, b address.Address) bool {
	ai, aerr := address.IDFromAddress(a)
	bi, berr := address.IDFromAddress(b)
	switch {
	case aerr == nil && berr == nil:
		return ai < bi
	case aerr == nil:
		return true
	case berr == nil:
		return false
	}
	return a.String() < b.String()
}
