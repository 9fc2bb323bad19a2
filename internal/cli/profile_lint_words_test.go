package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/profile"
)

func badCorpus(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "profiles", "bad", "*.toml"))
	if len(files) < 20 {
		t.Fatalf("only %d bad profiles", len(files))
	}
	return files
}

// A French lint says what is wrong in French, on the same FILE:LINE: path:
// line as the English one: the location and the path are syntax, the message
// is words (arguments reordered where French needs it).
func TestLintCorpusFrench(t *testing.T) {
	t.Parallel()
	m := newMachine(t) // LANG=fr_FR.UTF-8
	want := map[string]string{
		"http-target-ftp.toml":  "http-target-ftp.toml:22: apps[0].checks[0].target: le schéma doit être http ou https",
		"bad-check-type.toml":   "bad-check-type.toml:21: apps[0].checks[0].type: doit valoir http, tcp, dns ou tls",
		"duplicate-app-id.toml": `duplicate-app-id.toml:26: apps[1].id: application "paie" : identifiant en double (déjà utilisé ligne 14)`,
		"text-as-string.toml":   `text-as-string.toml:15: apps[0].name: doit être un texte { fr = "…", en = "…" }, pas une chaîne`,
		"syntax-error.toml":     "syntax-error.toml:3: syntaxe TOML incorrecte : vérifiez les guillemets, les crochets et les signes = de cette ligne",
		"duplicate-key.toml":    "duplicate-key.toml:4: serial: la clé serial est déjà définie",
		"missing-text-en.toml":  "missing-text-en.toml:15: apps[0].name.en: obligatoire",
		"status-on-tcp.toml":    "status-on-tcp.toml:23: apps[0].checks[0].conditions[0]: [STATUS] ne s'applique qu'aux vérifications http",
	}
	dir := filepath.Join("..", "..", "testdata", "profiles", "bad")
	for name, line := range want {
		r := m.run("profile", "lint", filepath.Join(dir, name))
		first, rest, _ := strings.Cut(r.stderr, "\n")
		if r.code != ExitUnhealthy || first != dir+"/"+line {
			t.Errorf("%s: exit %d, first line\n%q, want\n%q", name, r.code, first, dir+"/"+line)
		}
		if !strings.Contains(rest, "Profil invalide : 1 erreur.") {
			t.Errorf("%s: no French count: %q", name, rest)
		}
	}
}

// englishWords are words no French message should hold: they are what
// the English messages are made of.
var englishWords = regexp.MustCompile(`(?i)(?:^|[^\pL_])(must|should|invalid|unknown|not|the|required|only|needs|allowed|between|empty|duplicate|too|many|key|scheme|least|at|or|and|an?|is|cannot|missing|unexpected|character|value|start|expected)(?:[^\pL_]|$)`)

// quotedValue is what the person wrote, quoted back: not words of the message.
var quotedValue = regexp.MustCompile("«[^»]*»|\"[^\"]*\"|`[^`]*`")

// Every message of a French lint over the whole bad corpus is French: not a
// word of the English ones, whatever the problem (TOML syntax included).
func TestLintFrenchHasNoEnglish(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	location := regexp.MustCompile(`^\S+:\d+: (?:[A-Za-z0-9_.\[\]]+: )?`)
	seen := 0
	for _, f := range badCorpus(t) {
		r := m.run("profile", "lint", f)
		if r.code != ExitUnhealthy {
			t.Errorf("%s: exit %d", f, r.code)
		}
		for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			msg := line
			if loc := location.FindString(line); loc != "" {
				msg = strings.TrimPrefix(line, loc)
				seen++
			}
			if w := englishWords.FindString(quotedValue.ReplaceAllString(msg, "«»")); w != "" {
				t.Errorf("%s: English word %q in %q", filepath.Base(f), strings.TrimSpace(w), line)
			}
		}
	}
	if seen < len(badCorpus(t)) {
		t.Fatalf("only %d located messages", seen)
	}
	// Many problems at once, past the cap: the list's last line is words too.
	many := filepath.Join(t.TempDir(), "many.toml")
	src := strings.ReplaceAll(string(profile.Generate(80)), `criticality = "`, `criticality = "x`)
	if err := os.WriteFile(many, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := m.run("profile", "lint", many)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != profile.MaxErrors+1 || !strings.Contains(lines[len(lines)-2], "31 autres erreurs non affichées") {
		t.Fatalf("exit %d, %d lines, last %q", r.code, len(lines), lines[len(lines)-2:])
	}
	for _, line := range lines {
		if w := englishWords.FindString(quotedValue.ReplaceAllString(location.ReplaceAllString(line, ""), "«»")); w != "" {
			t.Errorf("English word %q in %q", strings.TrimSpace(w), line)
		}
	}
}

// A refused profile in `profile sync` (and every other refusal worded by
// describe) lists its problems in the person's language.
func TestProfileRefusalWorded(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "profiles", "bad", "http-target-ftp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, perr := profile.Parse("profile.toml", data)
	refused := fmt.Errorf("%w: %w", profile.ErrInvalid, perr) // as Accept wraps it
	for lang, want := range map[string]string{
		i18n.FR: "profile.toml:22: apps[0].checks[0].target: le schéma doit être http ou https",
		i18n.EN: "profile.toml:22: apps[0].checks[0].target: scheme must be http or https",
	} {
		r := &run{lang: lang}
		if got := r.describe(refused); !strings.Contains(got, want) || !strings.HasPrefix(got, i18n.T(lang, "cli.reason.invalid")) {
			t.Errorf("%s: %q, want it to hold %q", lang, got, want)
		}
	}
}

// Every code and word the profile package may use is worded in both
// languages; the English catalogue says what the package's English says, and
// the French one takes the same arguments.
func TestProfileLintCatalogue(t *testing.T) {
	t.Parallel()
	verb := regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)
	for _, code := range profile.ProblemCodes() {
		key := "profile.lint." + code
		en := profile.EnglishProblem(code)
		for _, lang := range []string{i18n.FR, i18n.EN} {
			c, err := i18n.Catalog(lang)
			if err != nil {
				t.Fatal(err)
			}
			text, ok := c[key]
			if !ok {
				t.Errorf("%s: %s missing", lang, key)
				continue
			}
			if lang == i18n.EN && text != en {
				t.Errorf("en %s = %q, the profile package says %q", key, text, en)
			}
			// Sample arguments of the English verbs' kinds.
			var args []any
			for _, v := range verb.FindAllString(en, -1) {
				if strings.HasSuffix(v, "d") {
					args = append(args, 7)
				} else if v != "%%" {
					args = append(args, "x")
				}
			}
			if got := fmt.Sprintf(text, args...); strings.Contains(got, "%!") {
				t.Errorf("%s %s: %q with %v gives %q", lang, key, text, args, got)
			}
		}
	}
	// English details (go-toml's words, notation) are said otherwise in French.
	for _, code := range []string{"syntax", "cond_start"} {
		p := profile.Problem{Code: code, Args: []any{profile.Detail("[PLACEHOLDER] at start of value")}}
		fr, en := frontend.ProfileProblem(i18n.FR, p, ""), frontend.ProfileProblem(i18n.EN, p, "")
		if strings.Contains(fr, "PLACEHOLDER") || strings.Contains(fr, "profile.lint") || !strings.Contains(en, "[PLACEHOLDER] at start of value") {
			t.Errorf("%s: fr %q, en %q", code, fr, en)
		}
	}
	for _, w := range profile.ProblemWords() {
		key := "profile.lint.word." + string(w)
		if got := i18n.T(i18n.EN, key); got != profile.EnglishWord(w) {
			t.Errorf("en %s = %q, want %q", key, got, profile.EnglishWord(w))
		}
		if c, _ := i18n.Catalog(i18n.FR); c[key] == "" {
			t.Errorf("fr %s missing", key)
		}
	}
}

// `profile lint --json` keeps the English message for programs and adds the
// code, which does not depend on the language.
func TestLintJSONHasCode(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	r := m.run("profile", "lint", "--json", filepath.Join("..", "..", "testdata", "profiles", "bad", "http-target-ftp.toml"))
	var doc struct {
		Errors []struct{ Code, Message, Path string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Errors) != 1 {
		t.Fatalf("%v: %+v", err, r)
	}
	if e := doc.Errors[0]; e.Code != "scheme_target" || e.Message != "scheme must be http or https" || e.Path != "apps[0].checks[0].target" {
		t.Errorf("%+v", e)
	}
}
