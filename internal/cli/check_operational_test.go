package cli

import (
	"regexp"
	"strings"
	"testing"

	"relais/internal/office"
)

// The time to operational reads as a person says it, in the locale: "1,5 s"
// in French, "1.5 s" in English, never milliseconds ("en 1508 ms").
func TestCheckOperationalInLocaleWords(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{HealthyEssentialsOnly: true})
	for _, tc := range []struct{ lang, re string }{
		{"fr", `Opérationnel en (\d+(,\d)? s|\d+ min|\d+ h( \d+ min)?) : `},
		{"en", `Operational in (\d+(\.\d)? s|\d+ min|\d+ h( \d+ min)?): `},
	} {
		r := m.runCmd(cmdCheck, "--lang", tc.lang)
		if r.code != ExitOK {
			t.Fatalf("check --lang %s: exit %d\n%s\n%s", tc.lang, r.code, r.stdout, r.stderr)
		}
		line := ""
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, "Opérationnel en") || strings.HasPrefix(l, "Operational in") {
				line = l
			}
		}
		if !regexp.MustCompile("^"+tc.re).MatchString(line) || strings.Contains(line, " ms") {
			t.Errorf("check --lang %s: operational line %q, want %q, in\n%s", tc.lang, line, tc.re, r.stdout)
		}
	}
}
