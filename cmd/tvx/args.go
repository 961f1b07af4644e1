package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves the flags a command is given after its positional
// arguments in front of them, so `tvx exec DIR --json` works as Lotus's
// scripts write it (the flag parser stops at the first positional
// argument). A flag's value moves with it unless the flag is boolean;
// everything after "--" stays as it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmdAt := -1
	var cmd *cli.Command
	for i := 1; i < len(args) && cmd == nil; i++ {
		if strings.HasPrefix(args[i], "-") {
			continue
		}
		cmdAt, cmd = i, app.Command(args[i])
		if cmd == nil {
			return args
		}
	}
	if cmd == nil {
		return args
	}
	// Descend into subcommands ("tvx corpus ls ...", "tvx report merge ...").
	for cmdAt+1 < len(args) {
		sub := subcommand(cmd, args[cmdAt+1])
		if sub == nil {
			break
		}
		cmdAt, cmd = cmdAt+1, sub
	}
	isBool := map[string]bool{}
	for _, f := range cmd.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			for _, n := range f.Names() {
				isBool[n] = true
			}
		}
	}
	var flags, positional []string
	rest := args[cmdAt+1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") || isBool[name] {
			continue
		}
		if i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{}, args[:cmdAt+1]...)
	out = append(out, flags...)
	return append(out, positional...)
}

func subcommand(cmd *cli.Command, name string) *cli.Command {
	for _, c := range cmd.Subcommands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// withUsageLines makes every usage error of cmds (recursively), whether the
// flag parser or the action found it, print as one line saying what is
// wrong followed by the command's usage line, instead of the whole help.
func withUsageLines(cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		c := c
		name := parent + " " + c.Name
		usage := usageLine(c, name)
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return &exitError{code: exitBadArgs, err: fmt.Errorf("%v\n%s", err, usage)}
		}
		if act := c.Action; act != nil {
			c.Action = func(ctx *cli.Context) error {
				err := act(ctx)
				if err != nil && exitStatus(err) == exitBadArgs && !strings.Contains(err.Error(), "\nusage: ") {
					return usageErr("%v\n%s", err, usage)
				}
				return err
			}
		}
		withUsageLines(c.Subcommands, name)
	}
}

// usageLine is a command's synopsis and where its flags are described.
func usageLine(c *cli.Command, name string) string {
	syn := strings.TrimSpace(c.UsageText)
	if syn == "" {
		syn = name + " [flags] " + c.ArgsUsage
	}
	syn = strings.ReplaceAll(strings.TrimSpace(syn), "\n", "\n       ")
	return "usage: " + syn + "\n(" + name + " --help lists the flags)"
}
