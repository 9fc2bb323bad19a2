// Package cli is the terminal front end of Relais: the subcommands listed in
// the README's "The command line", their flags, their words in French and English, and their
// exit codes. It turns errors into sentences for people; the packages below
// it never do. It must never import fyne.io: it runs where no display is.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"relais/internal/config"
	"relais/internal/i18n"
)

// Exit codes, the command line's contract (README, "The command line").
const (
	ExitOK        = 0 // done and healthy
	ExitUnhealthy = 1 // done, but what was checked is not healthy
	ExitUsage     = 2 // usage, configuration or environment error
)

// Env is everything a command reads from or writes to the outside world,
// so that tests run commands in-process with their own environment.
type Env struct {
	Stdin          io.Reader // nil: no input (interactive commands stop at once)
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	GOOS           string
	Home           string
	Now            func() time.Time
	HTTPClient     *http.Client // nil: the default for each use
	// StartProgram and LookPath start and find the programs that open
	// links (a browser, xdg-open); nil: the real ones. Tests of the front
	// ends record what would start instead.
	StartProgram func(name string, args ...string) error
	LookPath     func(file string) (string, error)
}

// OSEnv is the real process environment.
func OSEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, GOOS: runtime.GOOS, Home: home, Now: time.Now}
}

// run is one invocation: the environment plus the language chosen for it.
type run struct {
	Env
	lang string
}

func (r *run) configEnv() config.Environment {
	return config.Environment{Getenv: r.Getenv, GOOS: r.GOOS, Home: r.Home}
}

// t translates a message key into the invocation's language.
func (r *run) t(key string, args ...any) string { return i18n.T(r.lang, key, args...) }

// say prints a line for a person on stderr (progress, diagnostics), so that
// stdout stays clean for results and --json.
func (r *run) say(key string, args ...any) { fmt.Fprintln(r.Stderr, r.t(key, args...)) }

// out prints a result line on stdout.
func (r *run) out(key string, args ...any) { fmt.Fprintln(r.Stdout, r.t(key, args...)) }

// fail prints a message for a person and returns the exit code.
func (r *run) fail(code int, key string, args ...any) int {
	fmt.Fprintln(r.Stderr, r.t(key, args...))
	return code
}

func (r *run) printJSON(v any) {
	enc := json.NewEncoder(r.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

type command struct {
	name    string
	summary string // message key
	run     func(ctx context.Context, r *run, args []string) int
}

func commands() []command {
	return []command{
		{"version", "cli.usage.version", cmdVersion},
		{"profile", "cli.usage.profile", cmdProfile},
		{"key", "cli.usage.key", cmdKey},
		{"up", "cli.usage.up", cmdUp},
		{"status", "cli.usage.status", cmdStatus},
		{"check", "cli.usage.check", cmdCheck},
		{"open", "cli.open.summary", cmdOpen},
		{"drill", "cli.usage.drill", cmdDrill},
		{"diag", "cli.usage.diag", cmdDiag},
		{"demo", "cli.usage.demo", cmdDemo},
		{"helper", "cli.usage.helper", cmdHelper},
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
	if err != nil {
		return r.fail(ExitUsage, "cli.error.lang", err.Error())
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		r.usage(r.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, r, args[1:])
		}
	}
	fmt.Fprintln(r.Stderr, r.t("cli.error.unknown_command", args[0]))
	r.usage(r.Stderr)
	return ExitUsage
}

func (r *run) usage(w io.Writer) {
	fmt.Fprintln(w, r.t("cli.usage.header"))
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, r.t(c.summary))
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
// which the standard flag package alone does not do.
func (r *run) parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				r.flagUsage(fs, r.Stdout)
				return nil, false
			}
			fmt.Fprintln(r.Stderr, r.t("cli.error.flags", err.Error()))
			r.flagUsage(fs, r.Stderr)
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, true
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
		fmt.Fprintln(r.Stderr, r.t(usageKey))
		return false
	}
	return ok
}

func (r *run) flagUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, r.t("cli.usage.of", fs.Name()))
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(w, "  --%-14s %s\n", f.Name, r.t(f.Usage))
	})
}

func cmdVersion(_ context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if _, ok := r.parseFlags(fs, args); !ok {
		return ExitUsage
	}
	in := versionInfo()
	if *asJSON {
		r.printJSON(in)
		return ExitOK
	}
	fmt.Fprintf(r.Stdout, "relais %s (%s)\n", in.Version, in.Commit)
	fmt.Fprintf(r.Stdout, "Go %s, Fyne %s, %s/%s\n", in.Go, in.Fyne, in.OS, in.Arch)
	return ExitOK
}
