// Package cli is the terminal front end of Relais: the subcommands listed in
// the README's "The command line", their flags, their words in French and English, and their
// exit codes. It turns errors into sentences for people; the packages below
// it never do. It must never import fyne.io: it runs where no display is.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"relais/internal/backend"
	"relais/internal/i18n"
	"relais/internal/tunnel"
	"relais/internal/version"
)

// Exit codes, the command line's contract (README, "The command line").
const (
	ExitOK        = 0 // done and healthy
	ExitUnhealthy = 1 // done, but what was checked is not healthy
	ExitUsage     = 2 // usage, configuration or environment error
)

// Env is everything a command reads from or writes to the outside world,
// so that tests run commands in-process with their own environment: the
// backend's (the process environment, the clock, the network client, the
// programs that open links, the test seams) and the terminal's streams.
type Env struct {
	backend.Env
	Stdin          io.Reader // nil: no input (interactive commands stop at once)
	Stdout, Stderr io.Writer
	// NoWindow is set by a build without the window (-tags nogui), where
	// relais without a command cannot open the app: the help says so
	// instead of offering the app.
	NoWindow bool
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Env: backend.OSEnv(), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// run is one invocation: the environment plus the language chosen for it.
type run struct {
	Env
	lang string
	path []command // the command being run, from the table

	json       bool           // --json: stdout carries one document, even on failure
	helped     bool           // help was asked for and printed: exit 0
	failed     *failure       // the last failure said, for the --json error document
	lastReason *reasonSaid    // the last error worded by reason
	probe      **flag.FlagSet // set: parseFlags only records the command's flags
	canEnrol   bool           // the machine knows an enrolment server: no identity means `relais enrol`
}

// t translates a message key into the invocation's language.
func (r *run) t(key string, args ...any) string { return i18n.T(r.lang, key, args...) }

// modeWords names a tunnel mode in plain words ("sans droits
// d'administrateur"), never the flag value.
func (r *run) modeWords(m tunnel.Mode) string {
	if m == "" {
		m = tunnel.ModeAuto
	}
	return r.t("cli.mode." + string(m))
}

// n is the message for key in the plural form n takes in the person's
// language (key.one or key.other).
func (r *run) n(key string, n int, args ...any) string { return i18n.N(r.lang, key, n, args...) }

// say prints a line for a person on stderr (progress, diagnostics), so that
// stdout stays clean for results and --json.
func (r *run) say(key string, args ...any) { fmt.Fprintln(r.Stderr, r.t(key, args...)) }

// out prints a result line on stdout.
func (r *run) out(key string, args ...any) { fmt.Fprintln(r.Stdout, r.t(key, args...)) }

// fail prints a message for a person and returns the exit code.
func (r *run) fail(code int, key string, args ...any) int {
	if needsConfig[key] && !r.hasManagedConfig() {
		// Without a managed configuration, "run relais profile sync"
		// leads to "no managed configuration": point at the demo instead.
		key, args = "cli.config.none_demo", nil
	}
	fmt.Fprintln(r.Stderr, r.t(key, args...))
	r.failed = &failure{key: key, args: args, reason: r.lastReason}
	return code
}

// needsConfig are the failures that send the person to another command
// which itself needs a managed configuration.
var needsConfig = map[string]bool{
	"cli.config.missing":        true,
	"cli.tunnel.no_profile":     true,
	"cli.open.no_profile":       true,
	"cli.key.export.no_profile": true,
	"cli.profile.show.none":     true,
}

// hasManagedConfig tells whether this computer has a managed configuration
// (a damaged one counts: its own message says what to fix).
func (r *run) hasManagedConfig() bool {
	if r.Getenv == nil {
		return true
	}
	return r.backendEnv().HasManagedConfig()
}

func (r *run) printJSON(v any) {
	writeJSON(r.Stdout, v)
}

// command is one entry of the command table: what Main dispatches on, and
// what help, shell completion and the man page are generated from, so that
// they never drift from what the CLI does.
type command struct {
	name    string
	summary string // message key of its one-line summary
	args    string // message key of its positional arguments in the synopsis ("" for none)
	run     func(ctx context.Context, r *run, args []string) int
	subs    []command // a group (drill, key, …); with run too (serve), run takes any other word
	hidden  bool      // not listed (man)
}

func commands() []command {
	return []command{
		{name: "version", summary: "cli.usage.version", run: cmdVersion},
		{name: "profile", summary: "cli.usage.profile", subs: []command{
			{name: "lint", summary: "cli.help.profile.lint", args: "cli.help.arg.file", run: func(_ context.Context, r *run, a []string) int { return cmdProfileLint(r, a) }},
			{name: "verify", summary: "cli.help.profile.verify", args: "cli.help.arg.file", run: func(_ context.Context, r *run, a []string) int { return cmdProfileVerify(r, a) }},
			{name: "sync", summary: "cli.help.profile.sync", run: cmdProfileSync},
			{name: "show", summary: "cli.help.profile.show", run: cmdProfileShow},
		}},
		{name: "key", summary: "cli.usage.key", subs: []command{
			{name: "generate", summary: "cli.help.key.generate", run: cmdKeyGenerate},
			{name: "import", summary: "cli.help.key.import", args: "cli.help.arg.conf", run: cmdKeyImport},
			{name: "show", summary: "cli.help.key.show", run: cmdKeyShow},
			{name: "export-conf", summary: "cli.help.key.export", run: cmdKeyExportConf},
			{name: "delete", summary: "cli.help.key.delete", run: cmdKeyDelete},
		}},
		{name: "enrol", summary: "cli.usage.enrol", args: "cli.help.arg.code", run: cmdEnrol},
		{name: "up", summary: "cli.usage.up", run: cmdUp},
		{name: "status", summary: "cli.usage.status", run: cmdStatus},
		{name: "check", summary: "cli.usage.check", run: cmdCheck},
		{name: "open", summary: "cli.open.summary", args: "cli.help.arg.link", run: cmdOpen},
		{name: "drill", summary: "cli.usage.drill", subs: []command{
			{name: "list", summary: "cli.help.drill.list", run: cmdDrillList},
			{name: "start", summary: "cli.help.drill.start", args: "cli.help.arg.drill", run: cmdDrillStart},
			{name: "status", summary: "cli.help.drill.status", run: cmdDrillStatus},
			{name: "report", summary: "cli.help.drill.report", args: "cli.help.arg.run", run: cmdDrillReport},
			{name: "summarize", summary: "cli.help.drill.summarize", args: "cli.help.arg.files", run: func(_ context.Context, r *run, a []string) int { return cmdDrillSummarize(r, a) }},
		}},
		{name: "diag", summary: "cli.usage.diag", subs: []command{
			{name: "export", summary: "cli.help.diag.export", run: cmdDiagExport},
			{name: "open", summary: "cli.help.diag.open", args: "cli.help.arg.file", run: func(_ context.Context, r *run, a []string) int { return cmdDiagOpen(r, a) }},
		}},
		{name: "demo", summary: "cli.usage.demo", run: cmdDemo},
		{name: "helper", summary: "cli.usage.helper", run: cmdHelper},
		{name: "serve", summary: "cli.usage.serve", run: cmdServe, subs: serveCommands()},
		{name: "help", summary: "cli.help.help", args: "cli.help.arg.command", run: cmdHelp},
		{name: "completion", summary: "cli.help.completion", subs: completionCommands()},
		{name: "man", summary: "cli.help.man", run: cmdMan, hidden: true},
	}
}

// Main runs the CLI with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	forced, args, err := extractLang(args)
	r := &run{Env: env, lang: i18n.Choose(forced, i18n.Detect(env.Getenv), "")}
	// With --json, stdout carries one document whatever happens: a command
	// that fails before printing its own prints an error document instead.
	var out *countingWriter
	if wantsJSON(args) {
		out = &countingWriter{w: r.Stdout}
		r.Stdout = out
		r.json = true
	}
	code := r.dispatch(ctx, args, err)
	if r.helped {
		return ExitOK
	}
	if out != nil && code != ExitOK && out.n == 0 {
		r.printErrorJSON()
	}
	return code
}

func (r *run) dispatch(ctx context.Context, args []string, langErr error) int {
	if langErr != nil {
		return r.fail(ExitUsage, "cli.error.lang", langErr.Error())
	}
	if len(args) == 0 {
		r.usage(r.Stdout)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		return cmdHelp(ctx, r, args[1:])
	case "--version", "-version", "-V":
		return cmdVersion(ctx, r, args[1:])
	}
	table := commands()
	var path []command
	for {
		c, ok := findCommand(table, args[0])
		if !ok {
			r.fail(ExitUsage, "cli.error.unknown_command", commandName(path, args[0]))
			if len(path) == 0 {
				r.usage(r.Stderr)
			} else {
				r.groupHelp(r.Stderr, path)
			}
			return ExitUsage
		}
		path = append(path, c)
		args = args[1:]
		if c.subs == nil || c.run != nil && !leadsToSub(c, args) {
			r.path = path
			return c.run(ctx, r, args)
		}
		if len(args) == 0 {
			r.groupHelp(r.Stderr, path)
			return r.fail(ExitUsage, "cli.error.no_subcommand", commandName(path, ""))
		}
		if isHelpFlag(args[0]) || args[0] == "help" {
			r.helped = true
			r.groupHelp(r.Stdout, path)
			return ExitOK
		}
		table = c.subs
	}
}

// leadsToSub tells whether args go on to one of c's subcommands (or ask
// for its help), for a group that also runs by itself (relais serve).
func leadsToSub(c command, args []string) bool {
	if len(args) == 0 {
		return false
	}
	_, ok := findCommand(c.subs, args[0])
	return ok || args[0] == "help"
}

func findCommand(table []command, name string) (command, bool) {
	for _, c := range table {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// commandName is "relais drill start" for the path drill, then start.
func commandName(path []command, last string) string {
	parts := []string{"relais"}
	for _, c := range path {
		parts = append(parts, c.name)
	}
	if last != "" {
		parts = append(parts, last)
	}
	return strings.Join(parts, " ")
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

func (r *run) usage(w io.Writer) {
	fmt.Fprintln(w, r.t(r.usageHeaderKey()))
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(w, "  %-10s %s\n", c.name, r.t(c.summary))
		}
	}
	fmt.Fprintln(w, r.t("cli.usage.footer"))
}

// extractLang removes --lang X / --lang=X wherever it appears, so that it
// works before or after the subcommand.
func extractLang(args []string) (string, []string, error) {
	var lang string
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--lang" || a == "-lang":
			if i+1 >= len(args) {
				return "", out, errors.New("--lang")
			}
			lang = args[i+1]
			i++
		case strings.HasPrefix(a, "--lang=") || strings.HasPrefix(a, "-lang="):
			lang = a[strings.Index(a, "=")+1:]
		case a == "--":
			out = append(out, args[i:]...)
			i = len(args)
		default:
			out = append(out, a)
		}
	}
	if lang != "" && lang != i18n.FR && lang != i18n.EN {
		return "", out, fmt.Errorf("--lang %s", lang)
	}
	return lang, out, nil
}

// parseFlags parses flags wherever they stand among the positional
// arguments (`profile verify FILE --trust KEY` as well as `--trust KEY FILE`),
// which the standard flag package alone does not do. Every command parses
// its flags before doing anything else: a bad value is refused before any
// work starts, in the person's language.
func (r *run) parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	fs.SetOutput(io.Discard)
	if r.probe != nil {
		*r.probe = fs
		return nil, false
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				r.helped = true
				r.commandHelp(r.Stdout, fs)
				return nil, false
			}
			key, fargs := flagError(fs, err)
			r.fail(ExitUsage, key, fargs...)
			fmt.Fprintln(r.Stderr, r.t("cli.help.see", commandName(r.path, "")))
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, true
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no positional
// argument; on a stray argument it prints the command's usage (usageKey).
func (r *run) parseNoArgs(fs *flag.FlagSet, args []string, usageKey string) bool {
	pos, ok := r.parseFlags(fs, args)
	if ok && len(pos) != 0 {
		return r.fail(ExitUsage, usageKey) == ExitOK
	}
	return ok
}

func cmdVersion(_ context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if _, ok := r.parseFlags(fs, args); !ok {
		return ExitUsage
	}
	in := version.Get()
	if *asJSON {
		r.printJSON(in)
		return ExitOK
	}
	fmt.Fprintf(r.Stdout, "relais %s (%s)\n", in.Version, in.Commit)
	fmt.Fprintf(r.Stdout, "Go %s, Fyne %s, %s/%s\n", in.Go, in.Fyne, in.OS, in.Arch)
	return ExitOK
}
