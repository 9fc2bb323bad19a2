package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Help is generated from the command table (commands()): `relais help`,
// `relais help CMD…`, `relais CMD --help` and `-h` print it on stdout and
// exit 0, for every command and subcommand.

func cmdHelp(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais help", flag.ContinueOnError)
	args, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	r.helped = true
	if len(args) == 0 {
		r.usage(r.Stdout)
		return ExitOK
	}
	table := commands()
	var path []command
	for _, a := range args {
		if table == nil {
			break
		}
		c, ok := findCommand(table, a)
		if !ok {
			r.helped = false
			r.fail(ExitUsage, "cli.error.unknown_command", commandName(path, a))
			return r.fail(ExitUsage, "cli.help.see_all")
		}
		path = append(path, c)
		table = c.subs
	}
	c := path[len(path)-1]
	if c.subs != nil && c.run == nil {
		r.groupHelp(r.Stdout, path)
		return ExitOK
	}
	fs = flagsOf(ctx, r, c)
	saved := r.path
	r.path = path
	r.commandHelp(r.Stdout, fs)
	r.path = saved
	return ExitOK
}

// usageHeaderKey is the key of the help's first lines: the synopsis, then
// what relais does without a command — opening the app, which a build
// without the window (Env.NoWindow) cannot do.
func (r *run) usageHeaderKey() string {
	if r.NoWindow {
		return "cli.nogui.usage_header"
	}
	return "cli.usage.header"
}

// flagsOf returns the flags a command defines, by running it in probe
// mode: its parseFlags records the flag set and stops it before any work
// (every command parses its flags first). nil if it has none.
func flagsOf(ctx context.Context, r *run, c command) *flag.FlagSet {
	if c.run == nil {
		return nil
	}
	var fs *flag.FlagSet
	p := &run{Env: r.Env, lang: r.lang, probe: &fs}
	p.Stdout, p.Stderr = io.Discard, io.Discard
	if p.Getenv == nil {
		p.Getenv = func(string) string { return "" }
	}
	c.run(ctx, p, nil)
	return fs
}

// groupHelp prints a group's subcommands (relais drill --help).
func (r *run) groupHelp(w io.Writer, path []command) {
	c := path[len(path)-1]
	fmt.Fprintln(w, r.t("cli.help.usage_group", commandName(path, "")))
	fmt.Fprintln(w, r.t(c.summary))
	fmt.Fprintln(w)
	fmt.Fprintln(w, r.t("cli.help.subcommands"))
	for _, s := range c.subs {
		if !s.hidden {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, r.t(s.summary))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, r.t("cli.help.more", commandName(path, "")))
}

// commandHelp prints a command's synopsis, summary and options.
func (r *run) commandHelp(w io.Writer, fs *flag.FlagSet) {
	name := commandName(r.path, "")
	summary := ""
	if len(r.path) > 0 {
		c := r.path[len(r.path)-1]
		summary = r.t(c.summary)
		if c.args != "" {
			name += " " + r.t(c.args)
		}
	} else if fs != nil {
		name = fs.Name()
	}
	flags := flagList(fs)
	if len(flags) > 0 {
		name += " " + r.t("cli.help.options_arg")
	}
	fmt.Fprintln(w, r.t("cli.help.usage", name))
	if summary != "" {
		fmt.Fprintln(w, summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, r.t("cli.help.options"))
	rows := [][2]string{}
	for _, f := range flags {
		rows = append(rows, [2]string{flagSynopsis(f), r.t(f.Usage)})
	}
	rows = append(rows, [2]string{"--lang fr|en", r.t("cli.help.flag.lang")}, [2]string{"-h, --help", r.t("cli.help.flag.help")})
	width := 0
	for _, row := range rows {
		width = max(width, utf8.RuneCountInString(row[0]))
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, row[0], row[1])
	}
	if len(r.path) > 0 && r.path[len(r.path)-1].subs != nil {
		// A command that is also a group (relais serve): its subcommands.
		fmt.Fprintln(w)
		fmt.Fprintln(w, r.t("cli.help.subcommands"))
		for _, s := range r.path[len(r.path)-1].subs {
			if !s.hidden {
				fmt.Fprintf(w, "  %-12s %s\n", s.name, r.t(s.summary))
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, r.t("cli.help.more", commandName(r.path, "")))
	}
}

// flagList is fs's flags in name order.
func flagList(fs *flag.FlagSet) []*flag.Flag {
	var out []*flag.Flag
	if fs == nil {
		return nil
	}
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f) })
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// flagDash is "-o" for a one-letter flag, "--name" otherwise.
func flagDash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagChoices lists an enum flag's words; nil for other flags.
func flagChoices(f *flag.Flag) []string {
	if e, ok := f.Value.(*enumValue); ok {
		return e.choices
	}
	return nil
}

// isBoolFlag tells a flag that takes no value.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagSynopsis is "--anonymize none|standard|strict", "--json", "-o VALUE".
func flagSynopsis(f *flag.Flag) string {
	s := flagDash(f.Name)
	switch {
	case isBoolFlag(f):
	case flagChoices(f) != nil:
		s += " " + strings.Join(flagChoices(f), "|")
	default:
		s += " …"
	}
	return s
}
