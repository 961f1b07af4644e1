// Package callbacks holds the tipset callbacks shipped with tvx.
//
// Each is a Collector: a driver.Callback that renders every applied tipset
// into lines, keeps them per run (vector file and variant), and on Finish
// writes them all to one file, runs in (file, variant) order and tipsets in
// order within a run, so the file does not depend on how runs were
// scheduled. The file is written atomically (a temporary file renamed into
// place) and only by Finish: a failed callback leaves no file, not even a
// partial one. A run that fails for another reason (a postcondition
// mismatch, a VM failure at a later tipset) keeps the tipsets it applied.
package callbacks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/internal/atomicfile"
)

// Spec describes a shipped callback.
type Spec struct {
	// Name is how the callback is asked for (tvx exec --callback NAME=PATH).
	Name string
	// Usage says in one line what the callback writes.
	Usage string
	// New makes the callback writing to path.
	New func(path string) *Collector
}

// Specs lists the shipped callbacks, sorted by name.
func Specs() []Spec {
	return []Spec{
		{Name: SaveBalancesName, Usage: "after each tipset, one line \"<epoch> <address> <balance in attoFIL>\" per actor, by address", New: NewSaveBalances},
		{Name: TipsetSummaryName, Usage: "one JSON line per tipset: epoch, state and receipts roots, base fee, gas used, message count", New: NewTipsetSummary},
	}
}

// Lookup returns the shipped callback called name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Specs() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// renderFunc turns one applied tipset into output lines (without newlines).
type renderFunc func(ctx context.Context, ev *driver.TipsetEvent) ([]string, error)

// Collector is a callback that gathers rendered lines per run and writes
// them to its file on Finish. It is safe for concurrent use by many runs.
type Collector struct {
	name   string
	path   string
	render renderFunc
	// header, when set, starts each run's section of the file.
	header func(file, variant string) string

	mu   sync.Mutex
	runs map[runKey][][]string // lines per tipset index
	err  error                 // first failure of any call
}

type runKey struct{ file, variant string }

func newCollector(name, path string, render renderFunc, header func(file, variant string) string) *Collector {
	return &Collector{name: name, path: path, render: render, header: header, runs: make(map[runKey][][]string)}
}

// Name implements driver.Callback.
func (c *Collector) Name() string { return c.name }

// Path is the file Finish writes.
func (c *Collector) Path() string { return c.path }

// TipsetApplied implements driver.Callback. A run seen again from its first
// tipset (the same vector and variant run twice) replaces what was kept.
func (c *Collector) TipsetApplied(ctx context.Context, ev *driver.TipsetEvent) error {
	lines, err := c.render(ctx, ev)
	if err != nil {
		err = fmt.Errorf("%s %s tipset %d (epoch %d): %w", ev.Vector.Path, ev.Variant.ID, ev.Index, ev.Epoch, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return err
	}
	k := runKey{file: ev.Vector.Path, variant: ev.Variant.ID}
	tipsets := c.runs[k]
	if ev.Index == 0 {
		tipsets = nil
	}
	for len(tipsets) <= ev.Index {
		tipsets = append(tipsets, nil)
	}
	tipsets[ev.Index] = lines
	c.runs[k] = tipsets
	return nil
}

// Finish writes everything collected to the file, atomically. If any call
// failed it writes nothing and returns that failure.
func (c *Collector) Finish() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("%s: %s not written: %w", c.name, c.path, c.err)
	}
	keys := make([]runKey, 0, len(c.runs))
	for k := range c.runs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		return keys[i].variant < keys[j].variant
	})
	var b strings.Builder
	for _, k := range keys {
		if c.header != nil {
			b.WriteString(c.header(k.file, k.variant))
			b.WriteByte('\n')
		}
		for _, lines := range c.runs[k] {
			for _, l := range lines {
				b.WriteString(l)
				b.WriteByte('\n')
			}
		}
	}
	if err := atomicfile.WriteFile(c.path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}
