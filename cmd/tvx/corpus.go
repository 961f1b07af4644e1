package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/corpus"
	"github.com/tvx-project/tvx/schema"
)

// storeFlags are the flags that select a corpus store: every `tvx corpus`
// subcommand takes them, and so does `tvx exec`.
func storeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "store",
			EnvVars: []string{"TVX_STORE"},
			Usage: "corpus store directory: vectors' CARs indexed once in a dagstore and read from there " +
				"(\"default\" is tvx/store in the user cache directory, which `tvx corpus` uses when this is empty)",
		},
		&cli.Int64Flag{
			Name:  "store-memory-below",
			Value: corpus.DefaultStoreMemoryBelow,
			Usage: "serve vectors whose compressed CAR is smaller than this many bytes from memory, where they load faster (-1: none)",
		},
	}
}

// openStoreFromFlags opens the store named by --store (or TVX_STORE), or
// returns nil when none is named: `tvx exec` then decodes each vector in
// memory. The caller closes the store. Its warnings and the sanity check's
// summary go to stderr.
func openStoreFromFlags(c *cli.Context) (*corpus.Store, error) {
	dir := c.String("store")
	if dir == "" {
		return nil, nil
	}
	s, err := openStore(c, dir, false)
	inUse := errors.Is(err, corpus.ErrStoreInUse)
	if !inUse && !notWritable(err) {
		return s, err
	}
	// A store the process cannot write (a read-only mount, a directory of
	// another user), or one that read-only processes share, still serves
	// the shards it holds, read-only; new CARs are read from their vectors
	// and not recorded. A store another process writes stays refused.
	s, roErr := openStore(c, dir, true)
	if roErr == nil {
		why := "is not writable"
		if inUse {
			why = "is open read-only by another tvx process"
		}
		fmt.Fprintf(c.App.ErrWriter, "tvx: corpus store %s %s; reading it read-only (new CARs are read from their vectors, not stored)\n", dir, why)
		return s, nil
	}
	if inUse || errors.Is(roErr, corpus.ErrStoreInUse) {
		return nil, roErr
	}
	// The store exists to save work, not to decide results.
	fmt.Fprintf(c.App.ErrWriter, "tvx: warning: corpus store %s is not writable (%v) and cannot be read (%v); reading blocks from the vectors instead\n", dir, err, roErr)
	return nil, nil
}

// notWritable reports whether err is the store's directory refusing
// writes.
func notWritable(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, os.ErrPermission)
}

// openStore opens the store in dir ("default": the user cache's), for
// writing or read-only.
func openStore(c *cli.Context, dir string, readOnly bool) (*corpus.Store, error) {
	if dir == "default" {
		d, err := corpus.DefaultStoreDir()
		if err != nil {
			return nil, ioTrouble(err)
		}
		dir = d
	}
	below := c.Int64("store-memory-below")
	if below == 0 {
		below = -1 // 0 bytes: nothing is below it
	}
	s, err := corpus.OpenStore(c.Context, dir, corpus.StoreOptions{
		Logger:      newConsole(c.App.ErrWriter),
		MemoryBelow: below,
		ReadOnly:    readOnly,
	})
	if err != nil {
		return nil, ioTrouble(err)
	}
	return s, nil
}

// openCorpusStore opens the store for a `tvx corpus` subcommand: --store,
// or the default directory. The subcommands that only read (ls, stat,
// verify) open it read-only: they write nothing, work on a store they
// cannot write, and run beside one another.
func openCorpusStore(c *cli.Context, readOnly bool) (*corpus.Store, error) {
	dir := c.String("store")
	if dir == "" {
		dir = "default"
	}
	return openStore(c, dir, readOnly)
}

func corpusCommand() *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print JSON (one object per line) instead of text"}
	withStore := func(fs ...cli.Flag) []cli.Flag { return append(storeFlags(), fs...) }
	return &cli.Command{
		Name:  "corpus",
		Usage: "manage the corpus store: vectors' CARs indexed once and served from a dagstore",
		Description: `The store (--store DIR or TVX_STORE; by default tvx/store in the user cache
directory) keeps each distinct vector CAR once, as a dagstore shard keyed by
the SHA-256 of the CAR, with a CARv2 index built the first time it is seen.
` + "`tvx exec --store DIR`" + ` then loads vectors from it instead of decompressing and
indexing every CAR on every run. Vectors whose compressed CAR is small
(--store-memory-below) load faster from memory and are not stored.

Every command first checks the store: shards whose CAR or index is missing
or damaged are reported and, by the commands that write (index, gc,
recover, and exec), re-indexed (the CAR is rebuilt from its vector file when
lost), ending with "sanity check completed: N shards, M broken, K repaired"
on stderr. ls, stat and verify open the store read-only: they write
nothing, work on a store they cannot write, and any number of them may run
at once; a command that writes needs the store to itself.`,
		Subcommands: []*cli.Command{
			{
				Name:      "index",
				Usage:     "add vectors' CARs to the store and index them (unchanged CARs are not indexed again)",
				ArgsUsage: "PATH...",
				Flags:     withStore(&cli.IntFlag{Name: "parallel", Value: runtime.NumCPU(), Usage: "vector files to read at once"}),
				Action:    runCorpusIndex,
			},
			{
				Name:   "ls",
				Usage:  "list shards: key, state, CAR size, index size, vector files",
				Flags:  withStore(jsonFlag),
				Action: runCorpusLs,
			},
			{
				Name:   "stat",
				Usage:  "print the store's totals",
				Flags:  withStore(jsonFlag),
				Action: runCorpusStat,
			},
			{
				Name:   "gc",
				Usage:  "forget vector files that are gone or changed, and remove shards no vector file carries",
				Flags:  withStore(),
				Action: runCorpusGC,
			},
			{
				Name:   "verify",
				Usage:  "re-hash every block of every shard against its CID and check each index against its CAR",
				Flags:  withStore(),
				Action: runCorpusVerify,
			},
			{
				Name:   "recover",
				Usage:  "check every shard and re-index the broken ones",
				Flags:  withStore(),
				Action: runCorpusRecover,
			},
		},
	}
}

func runCorpusIndex(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("tvx corpus index: no PATH given")
	}
	if c.Int("parallel") < 1 {
		return usageErr("--parallel must be at least 1")
	}
	// An unreadable subdirectory is one error line and a failed count, as
	// in tvx exec; the readable vectors are still indexed.
	var files []string
	var unreadable []schema.Found
	for _, p := range c.Args().Slice() {
		found, err := schema.WalkFound(p)
		if err != nil {
			return badInput(err)
		}
		for _, f := range found {
			if f.Err != nil {
				unreadable = append(unreadable, f)
				continue
			}
			files = append(files, f.Path)
		}
	}
	s, err := openCorpusStore(c, false)
	if err != nil {
		return err
	}
	defer s.Close()

	con := newConsole(c.App.ErrWriter)
	type outcome struct {
		res corpus.AddResult
		err error
	}
	results := make([]outcome, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < c.Int("parallel"); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				v, err := schema.LoadFile(files[i])
				var res corpus.AddResult
				if err == nil {
					res, err = s.Add(c.Context, v)
				}
				results[i] = outcome{res, err}
				mu.Lock()
				done++
				con.progress(done, len(files), "indexed")
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	con.endProgress()

	var added, present, memory, failed int
	for _, u := range unreadable {
		failed++
		con.Logf("tvx: %s: %v", u.Path, u.Err)
	}
	for i, r := range results {
		switch {
		case r.err != nil:
			failed++
			con.Logf("tvx: %s: %v", files[i], r.err)
		case r.res.Memory:
			memory++
		case r.res.New:
			added++
		default:
			present++
		}
	}
	summary := fmt.Sprintf("%d vectors: %d CARs indexed, %d already in the store", len(files), added, present)
	if memory > 0 {
		summary += fmt.Sprintf(", %d served from memory (CAR below %d bytes)", memory, c.Int64("store-memory-below"))
	}
	fmt.Fprintf(c.App.Writer, "%s, %d failed\n", summary, failed)
	if failed > 0 {
		return silentFailure(exitBadInput)
	}
	return nil
}

func runCorpusLs(c *cli.Context) error {
	s, err := openCorpusStore(c, true)
	if err != nil {
		return err
	}
	defer s.Close()
	shards := s.Shards()
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		for _, sh := range shards {
			if err := enc.Encode(sh); err != nil {
				return ioTrouble(err)
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSTATE\tSIZE\tINDEX\tVECTOR")
	for _, sh := range shards {
		vec := "-"
		if len(sh.Vectors) > 0 {
			vec = sh.Vectors[0]
			if len(sh.Vectors) > 1 {
				vec += fmt.Sprintf(" (+%d more)", len(sh.Vectors)-1)
			}
		}
		idx := "-"
		if sh.IndexSize >= 0 {
			idx = fmt.Sprint(sh.IndexSize)
		}
		state := sh.State
		if sh.Error != "" {
			state += ": " + oneLine(sh.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", sh.Key, state, sh.CARSize, idx, vec)
	}
	return ioTrouble(tw.Flush())
}

func runCorpusStat(c *cli.Context) error {
	s, err := openCorpusStore(c, true)
	if err != nil {
		return err
	}
	defer s.Close()
	st := s.Stats()
	if c.Bool("json") {
		return ioTrouble(json.NewEncoder(c.App.Writer).Encode(st))
	}
	var states []string
	for name, n := range st.States {
		states = append(states, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(states)
	w := c.App.Writer
	fmt.Fprintf(w, "store:      %s\n", st.Dir)
	fmt.Fprintf(w, "shards:     %d", st.Shards)
	if len(states) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(states, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "vectors:    %d\n", st.Vectors)
	fmt.Fprintf(w, "CARs:       %d bytes\n", st.CARBytes)
	fmt.Fprintf(w, "indexes:    %d bytes\n", st.IndexBytes)
	fmt.Fprintf(w, "datastore:  %d bytes\n", st.DatastoreBytes)
	return nil
}

func runCorpusGC(c *cli.Context) error {
	s, err := openCorpusStore(c, false)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.GC(c.Context)
	if err != nil {
		return ioTrouble(err)
	}
	fmt.Fprintf(c.App.Writer, "removed %d shards (%d bytes); dropped %d references to vector files that are gone or changed\n",
		len(rep.Removed), rep.FreedBytes, rep.DroppedRefs)
	if len(rep.InUse) > 0 {
		fmt.Fprintf(c.App.Writer, "%d unreferenced shards in use, left for the next gc\n", len(rep.InUse))
	}
	return nil
}

func runCorpusVerify(c *cli.Context) error {
	s, err := openCorpusStore(c, true)
	if err != nil {
		return err
	}
	defer s.Close()
	con := newConsole(c.App.ErrWriter)
	results, err := s.Verify(c.Context, func(done, total int) { con.progress(done, total, "verified") })
	con.endProgress()
	if err != nil {
		return ioTrouble(err)
	}
	blocks, failed := 0, 0
	for _, r := range results {
		blocks += r.Blocks
		if r.Err != nil {
			failed++
			fmt.Fprintf(c.App.Writer, "FAIL %s: %v\n", r.Key, r.Err)
		}
	}
	fmt.Fprintf(c.App.Writer, "verified %d shards, %d blocks: %d failed\n", len(results), blocks, failed)
	if failed > 0 {
		fmt.Fprintln(c.App.Writer, "a damaged shard is rebuilt by deleting its CAR (cars/<key>.car in the store) and running `tvx corpus recover`")
		return silentFailure(exitFailed)
	}
	return nil
}

func runCorpusRecover(c *cli.Context) error {
	s, err := openCorpusStore(c, false)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.Recover(c.Context)
	if err != nil {
		return ioTrouble(err)
	}
	san := s.Sanity()
	broken := san.Broken + len(rep.Broken)
	repaired := san.Repaired + len(rep.Repaired)
	fmt.Fprintf(c.App.Writer, "checked %d shards: %d broken, %d repaired\n", rep.Checked, broken, repaired)
	if repaired < broken {
		return ioTrouble(errors.New("some shards could not be repaired (their vector files are gone; `tvx corpus gc` removes them)"))
	}
	return nil
}

// console writes the store's log lines and a progress bar to stderr; the
// bar is drawn only on a terminal and is cleared before each log line.
type console struct {
	mu  sync.Mutex
	w   io.Writer
	bar bool
	on  bool
}

func newConsole(w io.Writer) *console { return &console{w: w, bar: isTerminal(w)} }

// Logf implements corpus.Logger.
func (c *console) Logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
	fmt.Fprintf(c.w, format+"\n", args...)
}

func (c *console) clear() {
	if c.on {
		fmt.Fprint(c.w, "\r\033[K")
		c.on = false
	}
}

func (c *console) progress(done, total int, what string) {
	if !c.bar {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	const width = 30
	filled := 0
	if total > 0 {
		filled = width * done / total
	}
	fmt.Fprintf(c.w, "\r[%s%s] %d/%d %s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total, what)
	c.on = true
}

func (c *console) endProgress() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
}
