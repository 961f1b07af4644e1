package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tvx-project/tvx/callbacks"
	"github.com/tvx-project/tvx/driver"
)

// callbackFlag is tvx exec's repeatable --callback NAME=PATH flag; its help
// lists the shipped callbacks from their table.
func callbackFlag() cli.Flag {
	var b strings.Builder
	b.WriteString("after each tipset of tipset-class vectors, run callback NAME and write its output to PATH " +
		"(written atomically when the run ends, runs in file and variant order; nothing is written if the callback fails); repeatable. Callbacks:")
	for _, s := range callbacks.Specs() {
		fmt.Fprintf(&b, " %s: %s;", s.Name, s.Usage)
	}
	return &cli.StringSliceFlag{
		Name:  "callback",
		Usage: strings.TrimSuffix(b.String(), ";"),
	}
}

// buildCallbacks turns --callback values ("NAME=PATH") into driver
// callbacks and a finish function that writes their files; finish returns
// every write failure. A value without "=PATH", an unknown name or two
// callbacks writing one file is a usage error.
func buildCallbacks(specs []string) ([]driver.Callback, func() error, error) {
	var (
		cbs        []driver.Callback
		collectors []*callbacks.Collector
		paths      = map[string]string{}
	)
	for _, spec := range specs {
		name, path, ok := strings.Cut(spec, "=")
		name, path = strings.TrimSpace(name), strings.TrimSpace(path)
		if !ok || name == "" || path == "" {
			return nil, nil, usageErr("--callback %q: want NAME=PATH (callbacks: %s)", spec, callbackNames())
		}
		s, found := callbacks.Lookup(name)
		if !found {
			return nil, nil, usageErr("--callback %q: unknown callback %q (callbacks: %s)", spec, name, callbackNames())
		}
		clean := filepath.Clean(path)
		if other, dup := paths[clean]; dup {
			return nil, nil, usageErr("--callback %q: %s is also the output of --callback %q", spec, path, other)
		}
		paths[clean] = spec
		c := s.New(path)
		cbs = append(cbs, c)
		collectors = append(collectors, c)
	}
	finish := func() error {
		var errs []error
		for _, c := range collectors {
			if err := c.Finish(); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return cbs, finish, nil
}

func callbackNames() string {
	var names []string
	for _, s := range callbacks.Specs() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
