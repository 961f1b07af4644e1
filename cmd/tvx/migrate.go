package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/filecoin-project/go-state-types/network"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipldcbor "github.com/ipfs/go-ipld-cbor"
	carbs "github.com/ipld/go-car/v2/blockstore"
	mh "github.com/multiformats/go-multihash"
	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/builtin"
	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/migration"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/protocol"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "run the state migrations from a state root's network version to another",
		Description: `Reads the state tree at --root from a CAR (a chain CAR, a genesis CAR or any
CAR holding the whole state) and runs every state migration the network's
schedule (--network, default mainnet) has between the state's network
version and --to, each at its upgrade's height, as the network ran them at
the end of that epoch. Prints
the new root, the time taken and, per migration, the actors of each kind
before and after. The source version is --from, or else the first version
that ran the state's actors version. --out writes the migrated state as a
CAR (root: the new state root).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "car", Usage: "CAR `FILE` holding the state", Required: true},
			&cli.StringFlag{Name: "root", Usage: "state root `CID` to migrate", Required: true},
			&cli.StringFlag{Name: "to", Usage: "target network version `NV`", Required: true},
			&cli.StringFlag{Name: "from", Usage: "network version `NV` the state runs (default: the first with its actors version)"},
			&cli.StringFlag{Name: "network", Value: "mainnet", Usage: "the `NAME`d network's upgrade schedule (mainnet, calibnet, butterfly)"},
			&cli.IntFlag{Name: "workers", Usage: "migrate `N` actors at once (0: one per CPU; the result does not depend on it)"},
			&cli.StringFlag{Name: "out", Usage: "write the migrated state as a CAR `FILE`"},
		},
		Action: runMigrate,
	}
}

func parseVersion(flag, s string) (network.Version, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, usageErr("--%s %q: not a network version number", flag, s)
	}
	return network.Version(n), nil
}

func runMigrate(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageErr("migrate: unexpected arguments %v", c.Args().Slice())
	}
	root, err := cid.Decode(c.String("root"))
	if err != nil {
		return usageErr("--root %q: %v", c.String("root"), err)
	}
	to, err := parseVersion("to", c.String("to"))
	if err != nil {
		return err
	}
	if c.Int("workers") < 0 {
		return usageErr("--workers %d: must not be negative", c.Int("workers"))
	}
	path := c.String("car")
	src, err := carbs.OpenReadOnly(path, carbs.UseWholeCIDs(true))
	if err != nil {
		return badInput(fmt.Errorf("open CAR %s: %w", path, err))
	}
	defer src.Close()
	bs := &overlay{written: chain.NewMemBlocks(), base: src}
	table, err := migrationTable(c.String("network"))
	if err != nil {
		return err
	}

	var from network.Version
	if s := c.String("from"); s != "" {
		if from, err = parseVersion("from", s); err != nil {
			return err
		}
	} else {
		v, err := migration.ActorsVersion(c.Context, bs, root)
		if err != nil {
			return migrateErr(path, err)
		}
		if from, err = firstWithActors(table, v); err != nil {
			return migrateErr(path, err)
		}
	}

	start := time.Now()
	res, err := migration.Run(c.Context, bs, root, table, from, to, migration.Options{Workers: c.Int("workers")})
	if err != nil {
		return migrateErr(path, err)
	}
	elapsed := time.Since(start)
	if out := c.String("out"); out != "" {
		blks, err := stateBlocks(c.Context, bs, res.Root)
		if err != nil {
			return migrateErr(path, err)
		}
		if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { return chain.WriteCAR(w, []cid.Cid{res.Root}, blks) }); err != nil {
			return ioTrouble(fmt.Errorf("write %s: %w", out, err))
		}
	}
	printMigration(c.App.Writer, res, from, to, elapsed)
	return nil
}

// migrationTable is the protocol table of the named network.
func migrationTable(name string) (*protocol.Table, error) {
	p, err := networks.Lookup(name)
	if err != nil {
		return nil, usageErr("--network: %v", err)
	}
	t, ok := protocol.ForNetwork(p.Name)
	if !ok {
		return nil, usageErr("--network %s: tvx has no upgrade schedule for it", name)
	}
	return t, nil
}

// migrateErr classifies a migration failure: a version the state cannot
// reach is a contradictory command line, a root that is no state tree or a
// state with blocks missing is bad input.
func migrateErr(path string, err error) error {
	if errors.Is(err, migration.ErrUnreachable) {
		return usageErr("migrate: %v", err)
	}
	return badInput(fmt.Errorf("%s: %w", path, err))
}

// firstWithActors is the first pre-FVM network version of table that ran
// actors version v.
func firstWithActors(table *protocol.Table, v protocol.ActorsVersion) (network.Version, error) {
	for _, u := range table.Upgrades() {
		if u.VM == protocol.LegacyVM && u.ActorsVersion == v {
			return u.Version, nil
		}
	}
	return 0, fmt.Errorf("%w: no network version of %s runs actors v%d", migration.ErrUnreachable, table.Network(), v)
}

func printMigration(w io.Writer, res *migration.Result, from, to network.Version, elapsed time.Duration) {
	fmt.Fprintf(w, "root:       %s\n", res.Root)
	fmt.Fprintf(w, "versions:   nv%d -> nv%d, %d migration(s)\n", from, to, len(res.Steps))
	fmt.Fprintf(w, "time:       %s\n", elapsed.Round(time.Microsecond))
	for _, s := range res.Steps {
		u := s.Upgrade
		fmt.Fprintf(w, "%s (%s, nv%d, epoch %d, actors v%d): %s -> %s, %d actors in %s\n",
			u.Migration, u.Codename, u.Version, u.Epoch, u.ActorsVersion, s.In, s.Out, s.Actors, s.Elapsed.Round(time.Microsecond))
		for _, k := range s.Codes {
			fmt.Fprintf(w, "  %-18s %-24s %6d -> %-24s %6d\n", k.Kind, codeName(k.In), k.Before, codeName(k.Out), k.After)
		}
	}
}

func codeName(c cid.Cid) string {
	if n, ok := builtin.CodeName(c); ok {
		return n
	}
	return "-"
}

// overlay reads the blocks a migration wrote, then the CAR's; it writes to
// memory only.
type overlay struct {
	written *chain.MemBlocks
	base    *carbs.ReadOnly
}

func (o *overlay) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if b, err := o.written.Get(ctx, c); err == nil {
		return b, nil
	}
	return o.base.Get(ctx, c)
}

func (o *overlay) Put(ctx context.Context, b blocks.Block) error { return o.written.Put(ctx, b) }

// stateBlocks collects every block reachable from root through DAG-CBOR
// links: identity CIDs carry their data, and sector commitments (CIDs of
// the commitment codecs) name no block.
func stateBlocks(ctx context.Context, bs ipldcbor.IpldBlockstore, root cid.Cid) ([]blocks.Block, error) {
	seen := map[cid.Cid]bool{root: true}
	queue := []cid.Cid{root}
	var out []blocks.Block
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		b, err := bs.Get(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", migration.ErrMissingBlock, c, err)
		}
		out = append(out, b)
		nd, err := ipldcbor.DecodeBlock(b)
		if err != nil {
			return nil, fmt.Errorf("decode block %s: %w", c, err)
		}
		for _, l := range nd.Links() {
			if p := l.Cid.Prefix(); !seen[l.Cid] && p.Codec == cid.DagCBOR && p.MhType != mh.IDENTITY {
				seen[l.Cid] = true
				queue = append(queue, l.Cid)
			}
		}
	}
	return out, nil
}
