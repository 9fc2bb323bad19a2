package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestCatalogsMatch(t *testing.T) {
	fr, err := Catalog(FR)
	if err != nil {
		t.Fatal(err)
	}
	en, err := Catalog(EN)
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for k, v := range fr {
		e, ok := en[k]
		if !ok {
			t.Errorf("%s: in fr.json, missing from en.json", k)
			continue
		}
		if strings.TrimSpace(v) == "" || strings.TrimSpace(e) == "" {
			t.Errorf("%s: empty text", k)
		}
		if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(e, -1); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: fr uses %v, en uses %v", k, a, b)
		}
	}
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("%s: in en.json, missing from fr.json", k)
		}
	}
}

// Every literal message key in the Go sources must exist in both languages:
// a typo would otherwise print the key to a person.
func TestEveryKeyInSourcesExists(t *testing.T) {
	fr, _ := Catalog(FR)
	key := regexp.MustCompile(`"((?:cli|app|checks|launch)\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)
	root := filepath.Join("..", "..")
	var missing []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue
			}
			_, ok := fr[m[1]]
			_, one := fr[m[1]+".one"] // a plural message (N): both forms
			_, other := fr[m[1]+".other"]
			if !ok && !(one && other) {
				missing = append(missing, path+": "+m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("message key not in the catalogue: %s", m)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "fr_CA.UTF-8"}, FR},
		{map[string]string{"LANG": "en_US.UTF-8"}, EN},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "POSIX"}, ""},
		{map[string]string{}, ""},
		{map[string]string{"LANG": "de_DE.UTF-8"}, ""},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}, EN},
		{map[string]string{"LC_MESSAGES": "fr_FR", "LANG": "en_US"}, FR},
		// LANGUAGE, a priority list, comes before LC_*/LANG (GNU gettext)…
		{map[string]string{"LANG": "fr_FR.UTF-8", "LANGUAGE": "en_GB:fr"}, EN},
		{map[string]string{"LC_ALL": "fr_CA.UTF-8", "LANGUAGE": "de:en"}, EN},
		{map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "de:it"}, EN},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "fr"}, FR},
		// …and is ignored in the C locale, or with no locale at all.
		{map[string]string{"LANG": "C", "LANGUAGE": "en:fr"}, ""},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8", "LANGUAGE": "en"}, ""},
		{map[string]string{"LANGUAGE": "en"}, ""},
	}
	for _, tt := range tests {
		if got := Detect(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("Detect(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestChoose(t *testing.T) {
	tests := []struct{ forced, detected, def, want string }{
		{"", "", "", FR},
		{"", "", "en", EN},
		{"", "fr", "en", FR},
		{"en", "fr", "fr", EN},
		{"fr", "en", "en", FR},
	}
	for _, tt := range tests {
		if got := Choose(tt.forced, tt.detected, tt.def); got != tt.want {
			t.Errorf("Choose(%q,%q,%q) = %q, want %q", tt.forced, tt.detected, tt.def, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	if got := T(EN, "cli.profile.show.serial", 7); got != "Serial: 7" {
		t.Errorf("en: %q", got)
	}
	if got := T(FR, "cli.profile.show.serial", 7); got != "Série : 7" {
		t.Errorf("fr: %q", got)
	}
	if got := T(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: %q", got)
	}
}

// Plurals follow CLDR: French counts 0 and 1 as singular, English only 1.
func TestN(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{
		{FR, 0, "Profil invalide : 0 erreur."},
		{FR, 1, "Profil invalide : 1 erreur."},
		{FR, 2, "Profil invalide : 2 erreurs."},
		{EN, 0, "Invalid profile: 0 errors."},
		{EN, 1, "Invalid profile: 1 error."},
		{EN, 3, "Invalid profile: 3 errors."},
	} {
		if got := N(tt.lang, "cli.profile.invalid_count", tt.n, tt.n); got != tt.want {
			t.Errorf("N(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// Every plural message has both forms in both languages.
func TestPluralPairs(t *testing.T) {
	for _, l := range []string{FR, EN} {
		c, err := Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		for k := range c {
			if base, ok := strings.CutSuffix(k, ".one"); ok {
				if _, ok := c[base+".other"]; !ok {
					t.Errorf("%s: %s has no .other form", l, k)
				}
			}
		}
	}
}

// A plural form may leave out what its other form shows ("l'application
// essentielle ne répond pas" for one, "aucune des %d applications" for
// several): every pair, given the arguments the fuller form asks for,
// reads without a formatting error in either form.
func TestPluralFormsLeaveOutArguments(t *testing.T) {
	for _, l := range []string{FR, EN} {
		c, err := Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		for k := range c {
			base, ok := strings.CutSuffix(k, ".one")
			if !ok {
				continue
			}
			args := sampleArgs(c[base+".other"])
			if one := sampleArgs(c[k]); len(one) > len(args) {
				args = one
			}
			for _, n := range []int{1, 2} {
				if got := N(l, base, n, args...); strings.Contains(got, "%!") {
					t.Errorf("%s: N(%s, %d) = %q", l, base, n, got)
				}
			}
		}
	}
}

// sampleArgs are values for format's verbs, in order: 2 for a number,
// "x" for anything else.
func sampleArgs(format string) []any {
	var args []any
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.[]", format[j]) >= 0 {
			j++
		}
		if j < len(format) {
			switch format[j] {
			case 'd':
				args = append(args, 2)
			case 'f', 'g':
				args = append(args, 2.5)
			default:
				args = append(args, "x")
			}
		}
		i = j
	}
	return args
}
