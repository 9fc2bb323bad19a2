package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/helper"
	"relais/internal/i18n"
	"relais/internal/secrets"
	"relais/internal/tunnel"
)

// commandWords are a command line's words: what the app must never ask a
// person to type.
var commandWords = regexp.MustCompile(`\brelais (?:up|down|check|status|profile|key|open|drill|diag|demo|help|completion|serve|config)\b|--[a-z]`)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// A sentence the CLI words with a command or a flag has its app's words
// under KEY.in_app, in both languages, with the same arguments and no
// command.
func TestAppVariantsNameNoCommand(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{i18n.FR, i18n.EN} {
		c, err := i18n.Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for k, v := range c {
			base, ok := strings.CutSuffix(k, ".in_app")
			if !ok {
				continue
			}
			n++
			if _, ok := c[base]; !ok {
				t.Errorf("%s: %s has no CLI sentence %s", lang, k, base)
			}
			if got, want := verb.FindAllString(v, -1), verb.FindAllString(c[base], -1); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s takes %v, %s takes %v", lang, k, got, base, want)
			}
			if w := commandWords.FindString(v); w != "" {
				t.Errorf("%s: %s names a command (%q): %s", lang, k, w, v)
			}
		}
		if n < 10 {
			t.Errorf("%s: only %d app sentences", lang, n)
		}
	}
}

// What the app's backend says when the system helper refuses or is
// missing, when a link needs the tunnel, or when the device's key is not
// usable: never a command or a flag to type, in either language.
func TestDeskErrorsNameNoCommand(t *testing.T) {
	t.Parallel()
	var errs []error
	for code := range backend.HelperCodeKeys {
		errs = append(errs, &helper.Error{Code: code, Message: "refused"})
	}
	errs = append(errs, fmt.Errorf("dial: %w", helper.ErrNoHelper))
	for _, lang := range []string{i18n.FR, i18n.EN} {
		for _, app := range []bool{false, true} {
			r := &run{lang: lang}
			say := r.words
			if app {
				// The app words what the backend codes.
				say = func(err error) string { return appWords(lang, backend.Coded(err)) }
			}
			var said []string
			for _, e := range errs {
				said = append(said, say(e))
			}
			_, perr := backend.TunnelProxy(tunnel.Status{Mode: tunnel.ModeUserspace})
			said = append(said, say(perr), say(frontend.Errorf("cli.open.no_tunnel", "portail")), say(frontend.Errorf("cli.open.no_profile")))
			for _, e := range []error{backend.ErrNoIdentity, backend.ErrKeyMismatch, secrets.ErrNoKey, tunnel.ErrNoAddress} {
				said = append(said, say(backend.IdentityProblem(r.GOOS, e)))
			}
			named := 0
			for _, s := range said {
				// The helper's own words (English) are its detail, after the sentence.
				s, _, _ = strings.Cut(s, "helper: ")
				if commandWords.MatchString(s) {
					named++
					if app {
						t.Errorf("%s: the app says a command: %s", lang, s)
					}
				}
			}
			if !app && named == 0 {
				t.Errorf("%s: the CLI names no command at all: the test proves nothing", lang)
			}
		}
	}
	if errors.Is(errs[len(errs)-1], helper.ErrNoHelper) == false {
		t.Fatal("ErrNoHelper not wrapped")
	}
}

// A refusal of the system helper is said with its own sentence, not as
// a failed sync, and the helper's English stays in the detail.
func TestHelperRefusalIsItsOwnSentence(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("tunnel: %w", &helper.Error{Code: helper.CodeForbidden, Message: "uid 1001 is not in group relais"})
	for _, lang := range []string{i18n.FR, i18n.EN} {
		got := appWords(lang, backend.Coded(err))
		want := i18n.T(lang, "cli.helper.error.forbidden.in_app")
		if !strings.HasPrefix(got, want+" ") || !strings.HasSuffix(got, i18n.T(lang, "cli.reason.detail", "uid 1001 is not in group relais")) {
			t.Errorf("%s: %q", lang, got)
		}
		if strings.Contains(got, i18n.T(lang, "cli.reason.other")) || strings.Contains(got, "helper:") {
			t.Errorf("%s: %q", lang, got)
		}
	}
}
