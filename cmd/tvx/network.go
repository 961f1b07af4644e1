package main

import (
	"errors"
	"fmt"

	"github.com/filecoin-project/go-address"
	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/networks"
)

// sourceNetwork says which network a chain source is on: --network, else
// what the source says (a node's StateNetworkName, with
// StateGetNetworkParams describing a devnet; a chain CAR's genesis block).
// known is false when nothing says: the caller then assumes mainnet's
// rules and records no network.
func sourceNetwork(c *cli.Context, src chain.Source) (p networks.Profile, known bool, err error) {
	if n := c.String("network"); n != "" {
		p, err := networks.Lookup(n)
		if err != nil {
			return networks.Profile{}, false, usageErr("--network: %v", err)
		}
		return p, true, nil
	}
	name, err := chain.NetworkName(c.Context, src)
	if errors.Is(err, chain.ErrUnavailable) {
		return networks.Profile{}, false, nil
	}
	if err != nil {
		return networks.Profile{}, false, ioTrouble(fmt.Errorf("which network: %w", err))
	}
	if p, ok := networks.ByName(name); ok {
		return p, true, nil
	}
	client, ok := src.(*chain.Client)
	if !ok {
		return networks.Profile{Name: name}, true, nil
	}
	params, err := client.NetworkParams(c.Context)
	if err != nil {
		return networks.Profile{}, false, ioTrouble(fmt.Errorf("network %q: %w", name, err))
	}
	return params.Profile(), true, nil
}

// networkSchedule is a profile's upgrade schedule as a chain source option.
func networkSchedule(p networks.Profile) chain.Option {
	return chain.WithNetworkSchedule(func(h abi.ChainEpoch) network.Version {
		return network.Version(p.NetworkVersion(h))
	})
}

// useSourceNetwork resolves the source's network and makes it the
// --network the extractor records.
func useSourceNetwork(c *cli.Context, src chain.Source) (networks.Profile, bool, error) {
	p, known, err := sourceNetwork(c, src)
	if err != nil || !known {
		return p, known, err
	}
	if err := c.Set("network", p.Name); err != nil {
		return p, known, fmt.Errorf("--network: %w", err)
	}
	useAddressPrefix(p.Name)
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	if _, err := p.Protocol(); err != nil {
		return p, known, usageErr("network %s: %v", p.Name, err)
	}
	c.App.Metadata[sourceNetworkKey] = p
	return p, known, nil
}

// sourceNetworkKey keeps, in the app's metadata, the profile of the
// source's network, for the extractor's options.
const sourceNetworkKey = "source-network"

// networkOptions are the extractor options for the source's network, when
// it is not mainnet: its protocol table (a devnet's made from the heights
// its node reports) and, for a devnet, the actor policy its node
// described.
func networkOptions(c *cli.Context) []extract.Option {
	p, ok := c.App.Metadata[sourceNetworkKey].(networks.Profile)
	if !ok || p.Name == networks.Mainnet {
		return nil
	}
	_, inTable := networks.ByName(p.Name)
	var opts []extract.Option
	// A network known by name alone (no schedule, no policy) runs under
	// mainnet's rules.
	if inTable || len(p.Upgrades) > 0 {
		if table, err := p.Protocol(); err == nil { // useSourceNetwork made it once already
			opts = append(opts, extract.WithProtocol(table))
		}
	}
	if !inTable && len(p.Policy.SupportedSealProofs) > 0 {
		opts = append(opts, extract.WithActorPolicy(p.Policy))
	}
	return opts
}

// useAddressPrefix makes addresses print with the prefix of the named
// network (mainnet's for a network tvx has no row for, as devnet nodes
// print them). go-address keeps the prefix in a process-wide variable its
// String reads, so the CLI alone sets it, once per command before any work
// starts; library packages never do, and statediff prints the mainnet form
// regardless.
func useAddressPrefix(name string) {
	n := address.Mainnet
	if p, ok := networks.ByName(name); ok && p.AddressPrefix == address.TestnetPrefix {
		n = address.Testnet
	}
	address.CurrentNetwork = n
}
