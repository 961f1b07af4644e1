package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/tvx-project/tvx/protocol"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/big"
	"github.com/filecoin-project/go-state-types/network"
	"github.com/ipfs/go-cid"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/tvx-project/tvx/chain"
	"github.com/tvx-project/tvx/extract"
	"github.com/tvx-project/tvx/internal/atomicfile"
	"github.com/tvx-project/tvx/networks"
	"github.com/tvx-project/tvx/schema"
)

// chainSourceFlags select where chain data comes from: a chain CAR, or a
// Lotus node found as Lotus's own tools find it.
func chainSourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "car", Usage: "read the chain from this chain CAR (as `lotus chain export` or `tvx chain build` write) instead of a Lotus node"},
		&cli.StringFlag{Name: "repo", Usage: "Lotus repo of the node to read from (default: FULLNODE_API_INFO, else $LOTUS_PATH, else ~/.lotus)"},
		&cli.UintFlag{Name: "nv", Usage: "network version to assume at every height (for chains whose upgrade schedule is not mainnet's; a CAR source otherwise uses mainnet's)"},
		&cli.StringFlag{Name: "circ-supply", Usage: "circulating supply in attoFIL to assume (a CAR cannot tell it; without it vectors leave it to the runner's default)"},
		&cli.StringFlag{Name: "network", Usage: "the chain's network (mainnet, calibrationnet, butterflynet; default: the node's, or the one a chain CAR's genesis names), recorded in the vectors' _meta.gen"},
		&cli.StringFlag{Name: "tmpdir", Usage: "directory for the temporary CAR files vectors are assembled in (default: the system's)"},
	}
}

// openChainSource opens the source the flags name, with a label for
// messages. The caller closes it.
func openChainSource(c *cli.Context) (chain.Source, string, error) {
	var opts []chain.Option
	if c.IsSet("nv") {
		nv := c.Uint("nv")
		if known := protocol.Mainnet(); !known.Known(network.Version(nv)) {
			return nil, "", usageErr("--nv %d: tvx knows network versions 0..%d", nv, known.MaxVersion())
		}
		opts = append(opts, chain.WithNetworkVersion(network.Version(nv)))
	}
	if s := c.String("circ-supply"); s != "" {
		cs, err := big.FromString(s)
		if err != nil || cs.Sign() < 0 {
			return nil, "", usageErr("--circ-supply %q: want a non-negative integer of attoFIL", s)
		}
		opts = append(opts, chain.WithCirculatingSupply(cs))
	}
	if path := c.String("car"); path != "" {
		src, err := chain.OpenCAR(path, opts...)
		if err != nil {
			return nil, "", badInput(err)
		}
		p, known, err := useSourceNetwork(c, src)
		if err != nil {
			_ = src.Close()
			return nil, "", err
		}
		// A CAR does not know its upgrade schedule: the network's row does.
		if known && len(p.Upgrades) > 0 && p.Name != networks.Mainnet && !c.IsSet("nv") {
			_ = src.Close()
			if src, err = chain.OpenCAR(path, append(opts, networkSchedule(p))...); err != nil {
				return nil, "", badInput(err)
			}
		}
		return src, "chain CAR " + path, nil
	}
	info, err := chain.FindAPIInfo(os.Getenv, c.String("repo"))
	if err != nil {
		return nil, "", usageErr("no chain source: give --car, or a Lotus node (FULLNODE_API_INFO, --repo, LOTUS_PATH): %w", err)
	}
	src, err := chain.Dial(c.Context, info, opts...)
	if err != nil {
		return nil, "", ioTrouble(err)
	}
	if _, _, err := useSourceNetwork(c, src); err != nil {
		_ = src.Close()
		return nil, "", err
	}
	return src, "Lotus node " + info.String(), nil
}

// stderrLogger prints extraction progress lines on stderr.
type stderrLogger struct{ w io.Writer }

func (l stderrLogger) Logf(format string, args ...any) {
	fmt.Fprintf(l.w, format+"\n", args...)
}

// progressBar draws "label [#####.....] done/total" on one terminal line.
type progressBar struct {
	w     io.Writer
	label string
}

func (p *progressBar) update(done, total int) {
	const width = 30
	n := 0
	if total > 0 {
		n = done * width / total
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
	if done >= total {
		fmt.Fprintln(p.w)
	}
}

// extractorOptions builds the extractor's options from the flags: a
// progress bar when stderr is a terminal, diagnostics with --verbose.
func extractorOptions(c *cli.Context, label string) []extract.Option {
	stderr := c.App.ErrWriter
	opts := []extract.Option{extract.WithSelfCheck(!c.Bool("no-self-check"))}
	if c.Bool("verbose") {
		opts = append(opts, extract.WithLogger(stderrLogger{stderr}))
	}
	if n := c.String("network"); n != "" {
		opts = append(opts, extract.WithNetworkName(n))
	}
	opts = append(opts, networkOptions(c)...)
	if d := c.String("tmpdir"); d != "" {
		opts = append(opts, extract.WithTempDir(d))
	}
	if x := extractExecutor(c); x != nil {
		opts = append(opts, extract.WithExecutor(x))
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := &progressBar{w: stderr, label: label}
		opts = append(opts, extract.WithProgress(bar.update))
	}
	return opts
}

func extractCommand() *cli.Command {
	return &cli.Command{
		Name:  "extract",
		Usage: "extract a test vector from a chain (a Lotus node or a chain CAR)",
		Description: `Replays chain data on tvx's VM and writes a vector holding what the replay
touched, the randomness it drew (digest form), the base fee, circulating
supply and a variant for the network version in force. The replay is
checked against the chain (a message's receipt; a tipset's state root and
receipts root, as the next tipset commits to them): a mismatch aborts unless
--ignore-sanity-checks. Each vector is then run through tvx's own runner
(unless --no-self-check).

  --class message --cid CID [--block CID]     one message, applied on the
      state its tipset left after the selected precursors
  --class tipset --tsk KEY | --tsk A..B | --height H | --height A..B
      tipsets: a range becomes one vector per tipset in --out DIR, or one
      multi-tipset vector with --squash (base fees per tipset, epoch offsets
      the real height differences, null rounds reproduced)

Tipset keys are comma-separated block CIDs, optionally in braces.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "class", Value: "message", Usage: "class of vector to extract: message or tipset"},
			&cli.StringFlag{Name: "id", Usage: "identifier to name the vector with"},
			&cli.StringFlag{Name: "cid", Usage: "message CID to extract"},
			&cli.StringFlag{Name: "block", Aliases: []string{"exec-block"}, Usage: "a block that included the message, to avoid searching the chain"},
			&cli.StringFlag{Name: "tsk", Usage: "tipset to extract, or a range A..B, each end a tipset key, @H (height) or @head, as Lotus's tvx takes them"},
			&cli.StringFlag{Name: "height", Usage: "height of the tipset to extract, or a range A..B"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "file to write the vector to (stdout when absent), or the directory for an unsquashed range"},
			&cli.StringFlag{Name: "state-retain", Value: extract.RetainAccessedCids, Usage: "state retention for message vectors: accessed-cids or accessed-actors"},
			&cli.StringFlag{Name: "precursor-select", Value: extract.PrecursorsSender, Usage: "earlier messages of the tipset to apply first: sender (the sender's own), participants (to or from the sender or receiver) or all"},
			&cli.BoolFlag{Name: "ignore-sanity-checks", Usage: "write the vector even if the replay disagrees with the chain"},
			&cli.BoolFlag{Name: "squash", Usage: "extract a tipset range as one multi-tipset vector"},
			&cli.BoolFlag{Name: "no-self-check", Usage: "do not run each vector through tvx's runner before writing it"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print extraction diagnostics on stderr"},
		}, append(executorFlags(), chainSourceFlags()...)...),
		Action: runExtract,
	}
}

func runExtract(c *cli.Context) error {
	class := c.String("class")
	if class != "message" && class != "tipset" {
		return usageErr("--class %q: want message or tipset", class)
	}
	src, label, err := openChainSource(c)
	if err != nil {
		return err
	}
	defer src.Close()
	ctx := c.Context
	if class == "message" {
		return extractMessage(ctx, c, src, label)
	}
	return extractTipsets(ctx, c, src, label)
}

func extractMessage(ctx context.Context, c *cli.Context, src chain.Source, label string) error {
	if c.String("cid") == "" {
		return usageErr("--class message needs --cid")
	}
	mc, err := cid.Decode(c.String("cid"))
	if err != nil {
		return usageErr("--cid: %v", err)
	}
	req := extract.MessageRequest{
		Message: mc, Precursors: c.String("precursor-select"), Retain: c.String("state-retain"),
		ID: c.String("id"), IgnoreSanityChecks: c.Bool("ignore-sanity-checks"),
	}
	if b := c.String("block"); b != "" {
		if req.Block, err = cid.Decode(b); err != nil {
			return usageErr("--block: %v", err)
		}
	}
	e := extract.New(src, extractorOptions(c, "message")...)
	res, err := e.Message(ctx, req)
	if err != nil {
		return extractErr(err)
	}
	if res.Mismatch != "" {
		fmt.Fprintf(c.App.ErrWriter, "tvx: warning: replay disagrees with the chain (kept by --ignore-sanity-checks): %s\n", res.Mismatch)
	}
	if err := writeVectorOut(c, c.String("out"), res.Vector); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "extracted message %s from %s: included at %d, %d precursor(s), exit code %d\n",
		mc, label, res.Inclusion.Height(), res.Precursors, res.Vector.Post.Receipts[0].ExitCode)
	return nil
}

func extractTipsets(ctx context.Context, c *cli.Context, src chain.Source, label string) error {
	var from, to extract.RangeEnd
	var isRange bool
	switch {
	case c.String("tsk") != "" && c.String("height") != "":
		return usageErr("give --tsk or --height, not both")
	case c.String("tsk") != "":
		a, b, r, err := splitRange(c.String("tsk"))
		if err != nil {
			return err
		}
		if from, err = parseTipSetRef(a); err != nil {
			return err
		}
		if to, err = parseTipSetRef(b); err != nil {
			return err
		}
		isRange = r
	case c.String("height") != "":
		a, b, r, err := splitRange(c.String("height"))
		if err != nil {
			return err
		}
		if from, err = parseHeight(a); err != nil {
			return err
		}
		if to, err = parseHeight(b); err != nil {
			return err
		}
		isRange = r
	default:
		return usageErr("--class tipset needs --tsk or --height")
	}
	e := extract.New(src, extractorOptions(c, "tipsets")...)
	tss, err := e.Range(ctx, from, to)
	if err != nil {
		return extractErr(err)
	}
	squash := c.Bool("squash") || !isRange
	res, err := e.Tipsets(ctx, extract.TipsetRequest{Tipsets: tss, Squash: squash, ID: c.String("id"), IgnoreSanityChecks: c.Bool("ignore-sanity-checks")})
	if err != nil {
		return extractErr(err)
	}
	for _, r := range res {
		for _, m := range r.Mismatches {
			fmt.Fprintf(c.App.ErrWriter, "tvx: warning: %s (kept by --ignore-sanity-checks)\n", m)
		}
	}
	if squash {
		if err := writeVectorOut(c, c.String("out"), res[0].Vector); err != nil {
			return err
		}
	} else {
		dir := c.String("out")
		if dir == "" {
			return usageErr("an unsquashed range needs --out DIR")
		}
		for _, r := range res {
			if err := schema.WriteFile(filepath.Join(dir, r.Vector.ID()+".json"), r.Vector); err != nil {
				return ioTrouble(err)
			}
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "extracted %d tipset(s) %d..%d from %s into %d vector(s)\n",
		len(tss), tss[0].Height(), tss[len(tss)-1].Height(), label, len(res))
	return nil
}

// writeVectorOut writes v to path atomically, or to stdout when path is "".
func writeVectorOut(c *cli.Context, path string, v *schema.Vector) error {
	if path == "" {
		b, err := schema.Marshal(v)
		if err != nil {
			return err
		}
		_, err = c.App.Writer.Write(b)
		return ioTrouble(err)
	}
	return ioTrouble(schema.WriteFile(path, v))
}

// splitRange splits "A..B" (or a single "A", meaning A..A).
func splitRange(s string) (a, b string, isRange bool, err error) {
	parts := strings.Split(s, "..")
	switch len(parts) {
	case 1:
		return s, s, false, nil
	case 2:
		if parts[0] == "" || parts[1] == "" {
			return "", "", false, usageErr("range %q: want A..B", s)
		}
		return parts[0], parts[1], true, nil
	}
	return "", "", false, usageErr("range %q: want A..B", s)
}

// parseTipSetKey reads "cid1,cid2" or "{cid1,cid2}".
func parseTipSetKey(s string) (chain.TipSetKey, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	var cids []cid.Cid
	for _, p := range strings.Split(s, ",") {
		c, err := cid.Decode(strings.TrimSpace(p))
		if err != nil {
			return chain.EmptyTipSetKey, fmt.Errorf("block CID %q: %w", p, err)
		}
		cids = append(cids, c)
	}
	return chain.NewTipSetKey(cids...), nil
}

// parseHeight reads a height, with or without Lotus's "@" prefix.
func parseHeight(s string) (extract.RangeEnd, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "@"), 10, 64)
	if err != nil || n < 0 {
		return extract.RangeEnd{}, usageErr("height %q: want a non-negative integer", s)
	}
	return extract.RangeEnd{Height: abi.ChainEpoch(n), ByHeight: true}, nil
}

func extractManyCommand() *cli.Command {
	return &cli.Command{
		Name:  "extract-many",
		Usage: "extract many message vectors: from a CSV list, or one per behaviour seen in a range",
		Description: `With --in, reads the CSV Lotus's tvx extract-many takes: a header row whose
first seven columns are message_cid,receiver_code,method_num,exit_code,
height,block_cid,seq (more may follow), then one message a row.

With --range A..B --unique, scans the tipsets at heights A..B and picks, for
each (receiver actor code, method, exit code) their executed messages show,
the first such message; the list is also written to <outdir>/_candidates.csv.

Each message is extracted with sender precursors, and again with all
precursors if the replay disagrees with the chain, into
<outdir>/<actor>/<method>/<exit code>/ext-<batch>-<actor>-<method>-<exit code>-<seq>.json,
the layout of the public corpus. Failures are listed and make the exit
status 1; the other vectors are still written.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "in", Usage: "CSV of messages to extract"},
			&cli.StringFlag{Name: "range", Usage: "heights A..B to scan (with --unique)"},
			&cli.BoolFlag{Name: "unique", Usage: "extract one message per (receiver code, method, exit code) of --range"},
			&cli.StringFlag{Name: "outdir", Required: true, Usage: "output directory"},
			&cli.StringFlag{Name: "batch-id", Value: "0000", Usage: "batch id in vector ids (Lotus: a four-digit number such as 0041)"},
			&cli.StringFlag{Name: "state-retain", Value: extract.RetainAccessedCids, Usage: "state retention: accessed-cids or accessed-actors"},
			&cli.BoolFlag{Name: "no-self-check", Usage: "do not run each vector through tvx's runner before writing it"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print extraction diagnostics on stderr"},
		}, chainSourceFlags()...),
		Action: runExtractMany,
	}
}

func runExtractMany(c *cli.Context) error {
	in, rng, unique := c.String("in"), c.String("range"), c.Bool("unique")
	switch {
	case in != "" && rng != "":
		return usageErr("give --in or --range, not both")
	case in == "" && rng == "":
		return usageErr("give --in CSV or --range A..B --unique")
	case rng != "" && !unique:
		return usageErr("--range needs --unique (one vector per receiver code, method and exit code)")
	}
	var cands []extract.Candidate
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return badInput(fmt.Errorf("--in: %w", err))
		}
		cands, err = extract.ReadCSV(f)
		f.Close()
		if err != nil {
			return badInput(fmt.Errorf("--in %s: %w", in, err))
		}
	}
	src, label, err := openChainSource(c)
	if err != nil {
		return err
	}
	defer src.Close()
	ctx := c.Context
	outdir := c.String("outdir")
	if rng != "" {
		a, b, _, err := splitRange(rng)
		if err != nil {
			return err
		}
		from, err := parseHeight(a)
		if err != nil {
			return err
		}
		to, err := parseHeight(b)
		if err != nil {
			return err
		}
		scan := extract.New(src, extractorOptions(c, "scan")...)
		tss, err := scan.Range(ctx, from, to)
		if err != nil {
			return extractErr(err)
		}
		if cands, err = scan.ScanUnique(ctx, tss); err != nil {
			return extractErr(err)
		}
		if err := writeCandidates(filepath.Join(outdir, "_candidates.csv"), cands); err != nil {
			return ioTrouble(err)
		}
		fmt.Fprintf(c.App.ErrWriter, "scanned %d tipset(s) of %s: %d distinct (receiver code, method, exit code)\n", len(tss), label, len(cands))
	}
	e := extract.New(src, extractorOptions(c, "vectors")...)
	results := e.Many(ctx, cands, outdir, c.String("batch-id"), c.String("state-retain"))
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(c.App.ErrWriter, "FAIL %s: %v\n", r.ID, r.Err)
			continue
		}
		fmt.Fprintf(c.App.Writer, "%s\n", r.Path)
	}
	fmt.Fprintf(c.App.ErrWriter, "%d vector(s) written, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return silentFailure(exitFailed)
	}
	return nil
}

func writeCandidates(path string, cs []extract.Candidate) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	if err := extract.WriteCSV(&b, cs); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, []byte(b.String()), 0o644)
}

// extractErr classifies an extraction's error: a replay that disagrees with
// the chain is a verdict; anything else is the chain data's fault unless a
// system error in it blames the machine.
func extractErr(err error) error {
	if errors.Is(err, extract.ErrSanity) {
		return verdictFailed(err)
	}
	return badInput(err)
}
