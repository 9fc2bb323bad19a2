package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/testenv"
)

// commandPaths lists every runnable command of the table, as words
// ("drill start"), and every group ("drill").
func commandPaths(table []command, prefix []string) (leaves, groups [][]string) {
	for _, c := range table {
		p := append(append([]string{}, prefix...), c.name)
		if c.subs != nil {
			groups = append(groups, p)
			l, g := commandPaths(c.subs, p)
			leaves, groups = append(leaves, l...), append(groups, g...)
			continue
		}
		leaves = append(leaves, p)
	}
	return leaves, groups
}

// Help is on stdout with exit 0 for every command and subcommand, however
// it is asked for.
func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	leaves, groups := commandPaths(commands(), nil)
	var asks [][]string
	for _, p := range append(leaves, groups...) {
		asks = append(asks, append([]string{"help"}, p...), append(append([]string{}, p...), "--help"), append(append([]string{}, p...), "-h"))
	}
	asks = append(asks, []string{"help"}, []string{"--help"}, []string{"-h"})
	for _, lang := range []string{"fr", "en"} {
		for _, a := range asks {
			r := m.run(append(a, "--lang", lang)...)
			if r.code != ExitOK || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage") {
				t.Errorf("relais %s (%s): exit %d\nstdout: %s\nstderr: %s", strings.Join(a, " "), lang, r.code, r.stdout, r.stderr)
			}
		}
	}
	// The options of a command are listed with its help, choices included.
	if r := m.run("help", "diag", "export", "--lang", "en"); !strings.Contains(r.stdout, "--anonymize none|standard|strict") || !strings.Contains(r.stdout, "--encrypt") {
		t.Errorf("help diag export:\n%s", r.stdout)
	}
	if r := m.run("help", "nothing"); r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "relais nothing") {
		t.Errorf("help nothing: %+v", r)
	}
	if r := m.run("--version"); r.code != ExitOK || !strings.HasPrefix(r.stdout, "relais ") {
		t.Errorf("--version: %+v", r)
	}
}

// The help's first lines say what relais does without a command: open the
// app, except in the build without the window (Env.NoWindow), whose help
// asks for a command instead — the same in every way help is asked for,
// and in the list printed after an unknown command.
func TestHelpWithoutWindow(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	helpRun := func(noWindow bool, args ...string) result {
		t.Helper()
		var out, errb bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errb, NoWindow: noWindow, Env: backend.Env{GOOS: "linux", Home: t.TempDir(), Now: time.Now, Getenv: func(k string) string { return m.vars[k] }}}
		code := Main(context.Background(), args, env)
		return result{code, out.String(), errb.String()}
	}
	words := map[string]struct{ app, noWindow string }{
		"fr": {"Sans commande, relais ouvre l'application.", "Cette version de Relais est sans fenêtre : donnez-lui toujours une commande."},
		"en": {"Without a command, relais opens the app.", "This build of Relais has no window: always give it a command."},
	}
	for _, lang := range []string{"fr", "en"} {
		w := words[lang]
		for _, ask := range [][]string{{"help"}, {"--help"}, {"-h"}, {"nothing"}} {
			for _, noWindow := range []bool{false, true} {
				r := helpRun(noWindow, append(ask, "--lang", lang)...)
				text := r.stdout
				if ask[0] == "nothing" {
					text = r.stderr // the unknown command, then the list
				}
				want, never := w.app, w.noWindow
				if noWindow {
					want, never = w.noWindow, w.app
				}
				if !strings.Contains(text, "Usage") || !strings.Contains(text, want) || strings.Contains(text, never) {
					t.Errorf("relais %s (%s, NoWindow %v): want %q and not %q in\n%s", ask[0], lang, noWindow, want, never, text)
				}
			}
		}
	}
}

// Every runnable command defines its flags before any work: probing it
// (what help, completion and the man page read) records a flag set.
func TestEveryCommandParsesItsFlagsFirst(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := &run{Env: Env{Env: backend.Env{GOOS: "linux", Home: t.TempDir(), Now: time.Now, Getenv: func(k string) string { return m.vars[k] }, Seams: m.seams}}, lang: "fr"}
	var walk func(table []command)
	walk = func(table []command) {
		for _, c := range table {
			if c.subs != nil {
				walk(c.subs)
				continue
			}
			if flagsOf(context.Background(), r, c) == nil {
				t.Errorf("%s: no flag set recorded", c.name)
			}
		}
	}
	walk(commands())
}

// Flag errors are sentences in the person's language, and a bad value is
// refused before any work starts.
func TestFlagErrorsInOneLanguage(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	for _, c := range []struct {
		lang string
		args []string
		want string
	}{
		{"fr", []string{"check", "--bogus"}, "Option inconnue : --bogus."},
		{"en", []string{"check", "--bogus"}, "Unknown option: --bogus."},
		{"fr", []string{"diag", "export", "--anonymize", "max"}, "Valeur « max » refusée pour --anonymize : choisissez parmi none, standard, strict."},
		{"en", []string{"diag", "export", "--anonymize", "max"}, "Value “max” refused for --anonymize: choose one of none, standard, strict."},
		{"fr", []string{"up", "--mode", "tcp"}, "choisissez parmi auto, userspace, system"},
		{"en", []string{"key", "export-conf", "-o"}, "Option -o needs a value."},
		{"fr", []string{"drill", "list", "--json=peut-être"}, "utilisez true ou false"},
	} {
		r := m.run(append(c.args, "--lang", c.lang)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v (%s): exit %d, want %q in\n%s", c.args, c.lang, r.code, c.want, r.stderr)
		}
		for _, en := range []string{"flag provided", "invalid value", "needs an argument", "Collect", "Collecte", "démonstration", "demo office"} {
			if strings.Contains(r.stderr, en) {
				t.Errorf("%v (%s): %q in\n%s", c.args, c.lang, en, r.stderr)
			}
		}
	}
}

type errorDoc struct {
	Schema *int `json:"schema"`
	Error  *struct {
		Code string `json:"code"`
		FR   string `json:"fr"`
		EN   string `json:"en"`
	} `json:"error"`
}

func parseErrorDoc(t *testing.T, what, stdout string) errorDoc {
	t.Helper()
	var d errorDoc
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || d.Schema == nil || *d.Schema != 1 || d.Error == nil ||
		d.Error.Code == "" || d.Error.FR == "" || d.Error.EN == "" || d.Error.FR == d.Error.EN {
		t.Errorf("%s: not an error document (%v):\n%s", what, err, stdout)
	}
	return d
}

// With --json, every command prints one document even when it fails.
func TestJSONErrorDocumentForEveryCommand(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	leaves, _ := commandPaths(commands(), nil)
	for _, p := range leaves {
		if p[0] == "help" {
			continue
		}
		r := m.run(append(append([]string{}, p...), "--json", "--bogus", "--lang", "en")...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d", p, r.code)
		}
		d := parseErrorDoc(t, strings.Join(p, " "), r.stdout)
		if d.Error != nil && (d.Error.Code != "flagerr.unknown" || !strings.Contains(d.Error.FR, "Option inconnue") || !strings.Contains(d.Error.EN, "Unknown option")) {
			t.Errorf("%v: %+v", p, *d.Error)
		}
	}
	// No profile, no managed configuration: the document says so in both
	// languages and points at the demo.
	r := m.run("check", "--json")
	d := parseErrorDoc(t, "check --json", r.stdout)
	if r.code != ExitUsage || d.Error == nil || !strings.Contains(d.Error.FR, "relais demo --headless") || !strings.Contains(d.Error.EN, "relais demo --headless") {
		t.Errorf("check --json without a profile: %+v", r)
	}
	for _, a := range [][]string{{"profile", "sync", "--json"}, {"open", "portail", "--json"}, {"key", "export-conf", "--json"}, {"nothing", "--json"}} {
		r := m.run(a...)
		parseErrorDoc(t, strings.Join(a, " "), r.stdout)
	}
}

// Every document carries "schema": 1; texts are {"fr", "en"} in lower
// case; no zero date.
func TestJSONDocumentsSchemaAndTexts(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	watchOffices(m)
	for _, a := range [][]string{{"version", "--json"}, {"drill", "list", "--json"}, {"drill", "status", "--json"}, {"profile", "show", "--json"}, {"status", "--json"}} {
		r := m.run(a...)
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc["schema"] != float64(1) {
			t.Errorf("%v: %v\n%s", a, err, r.stdout)
		}
		for _, bad := range []string{`"FR"`, `"EN"`, "0001-01-01"} {
			if strings.Contains(r.stdout, bad) {
				t.Errorf("%v: %s in\n%s", a, bad, r.stdout)
			}
		}
	}
	if r := m.run("drill", "list", "--json"); !strings.Contains(r.stdout, `"fr":`) || !strings.Contains(r.stdout, `"en":`) {
		t.Errorf("drill list: texts not {fr, en}:\n%s", r.stdout)
	}
}

// Without a managed configuration, the commands that need one point at
// the demo, not at each other.
func TestNoConfigurationPointsAtTheDemo(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	for _, a := range [][]string{{"check"}, {"profile", "sync"}, {"profile", "show"}, {"open", "portail"}, {"key", "export-conf"}} {
		r := m.run(append(a, "--lang", "en")...)
		if r.code == ExitOK || !strings.Contains(r.stderr, "relais demo --headless") || strings.Contains(r.stderr, "profile sync") {
			t.Errorf("%v: exit %d\n%s", a, r.code, r.stderr)
		}
	}
}

func writeCompletion(t *testing.T, shell string) string {
	t.Helper()
	m := newMachine(t)
	r := m.run("completion", shell, "--lang", "en")
	if r.code != ExitOK || r.stdout == "" {
		t.Fatalf("completion %s: %+v", shell, r)
	}
	f := filepath.Join(t.TempDir(), "relais."+shell)
	if err := os.WriteFile(f, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// The bash script, sourced by a real bash, completes `relais dr<TAB>`.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "bash")
	f := writeCompletion(t, "bash")
	complete := func(line ...string) string {
		t.Helper()
		words := make([]string, len(line))
		for i, w := range line {
			words[i] = "'" + w + "'"
		}
		script := `source "$1" || exit 9
complete -p relais >/dev/null || exit 8
COMP_WORDS=(` + strings.Join(words, " ") + `)
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_relais
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '`
		out, err := exec.Command("bash", "--norc", "--noprofile", "-c", script, "bash", f).CombinedOutput()
		if err != nil {
			t.Fatalf("bash %v: %v\n%s", line, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		line []string
		want string
	}{
		{[]string{"relais", "dr"}, "drill"},
		{[]string{"relais", "drill", "st"}, "start status"},
		{[]string{"relais", "diag", "export", "--anonymize", ""}, "none standard strict"},
		{[]string{"relais", "diag", "export", "--en"}, "--encrypt"},
		{[]string{"relais", "--lang", "en", "check", "--mode", "u"}, "userspace"},
		{[]string{"relais", "completion", ""}, "bash fish powershell zsh"},
		{[]string{"relais", "--lang", ""}, "en fr"},
	} {
		if got := complete(c.line...); got != c.want {
			t.Errorf("%v<TAB>: %q, want %q", c.line, got, c.want)
		}
	}
	out, err := exec.Command("bash", "--norc", "-c", `source "$1"; compgen -A function | grep -c _relais`, "bash", f).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "0" {
		t.Errorf("compgen does not see _relais: %v %s", err, out)
	}
}

// The zsh and fish scripts are valid for the real shells, and fish
// completes subcommands with them.
func TestCompletionZshFish(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "zsh", "fish")
	z := writeCompletion(t, "zsh")
	if out, err := exec.Command("zsh", "-n", z).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
	if out, err := exec.Command("zsh", "-f", "-c", `source "$1" && (( $+functions[_relais] ))`, "zsh", z).CombinedOutput(); err != nil {
		t.Errorf("zsh source: %v\n%s", err, out)
	}
	f := writeCompletion(t, "fish")
	if out, err := exec.Command("fish", "--no-execute", f).CombinedOutput(); err != nil {
		t.Errorf("fish --no-execute: %v\n%s", err, out)
	}
	out, err := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C 'relais dr'; complete -C 'relais diag export --anonymize '`, f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "drill") || !strings.Contains(string(out), "strict") {
		t.Errorf("fish complete: %v\n%s", err, out)
	}
	p := writeCompletion(t, "powershell")
	b, _ := os.ReadFile(p)
	for _, w := range []string{"Register-ArgumentCompleter", "'drill'", "'--anonymize'"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("powershell script lacks %s", w)
		}
	}
}

// The man page, in both languages, is clean roff for groff and lists every
// command.
func TestManPage(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "groff")
	m := newMachine(t)
	leaves, _ := commandPaths(commands(), nil)
	for _, lang := range []string{"en", "fr"} {
		r := m.run("man", "--lang", lang)
		if r.code != ExitOK {
			t.Fatalf("man: %+v", r)
		}
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-K", "utf-8")
		cmd.Stdin = strings.NewReader(r.stdout)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || errb.Len() != 0 {
			t.Errorf("groff (%s): %v\n%s", lang, err, errb.String())
		}
		page := out.String()
		// groff over-strikes bold with backspaces; read the plain text.
		plain := strings.NewReplacer("\b", "").Replace(page)
		for _, p := range leaves {
			if p[0] == "man" {
				continue
			}
			want := "relais " + strings.Join(p, " ")
			if !strings.Contains(dedupBackspaced(page), want) {
				t.Errorf("man (%s) lacks %q", lang, want)
			}
		}
		if !strings.Contains(dedupBackspaced(page), "--anonymize") || plain == "" {
			t.Errorf("man (%s) lacks the options", lang)
		}
	}
}

// dedupBackspaced turns groff's "x\bx" (bold) and "_\bx" (underline) into x.
func dedupBackspaced(s string) string {
	rs := []rune(s)
	var out []rune
	for i := 0; i < len(rs); i++ {
		if i+2 < len(rs) && rs[i+1] == '\b' {
			out = append(out, rs[i+2])
			i += 2
			continue
		}
		out = append(out, rs[i])
	}
	return string(out)
}
