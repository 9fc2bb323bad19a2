package profile

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// lintErrors parses base plus extra and returns its errors ("path: code"), nil when valid.
func lintErrors(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("f.toml", []byte(src))
	if err == nil {
		return nil
	}
	var got []string
	for _, e := range errorList(t, err) {
		got = append(got, e.Path+": "+e.Code)
	}
	return got
}

// A profile may not open a door to code or to the file system by listing a dangerous
// scheme, in any case.
func TestAllowedSchemesDenyList(t *testing.T) {
	cases := []struct{ scheme, code string }{
		{"c", "scheme_drive"},
		{"C", "scheme_drive"},
		{"d", "scheme_drive"},
		{"z", "scheme_drive"},
		{"ms-msdt", "scheme_forbidden"},
		{"MS-MSDT", "scheme_forbidden"},
		{"ms-officecmd", "scheme_forbidden"},
		{"ms-excel", "scheme_forbidden"},
		{"ms-word", "scheme_forbidden"},
		{"ms-powerpoint", "scheme_forbidden"},
		{"ms-appinstaller", "scheme_forbidden"},
		{"ms-settings", "scheme_forbidden"},
		{"ms-its", "scheme_forbidden"},
		{"search-ms", "scheme_forbidden"},
		{"Search-MS", "scheme_forbidden"},
		{"search", "scheme_forbidden"},
		{"vbscript", "scheme_forbidden"},
		{"VBScript", "scheme_forbidden"},
		{"javascript", "scheme_forbidden"},
		{"JavaScript", "scheme_forbidden"},
		{"data", "scheme_forbidden"},
		{"file", "scheme_forbidden"},
		{"FILE", "scheme_forbidden"},
		{"smb", "scheme_forbidden"},
		{"cifs", "scheme_forbidden"},
		{"nfs", "scheme_forbidden"},
		{"afp", "scheme_forbidden"},
		{"jar", "scheme_forbidden"},
		{"res", "scheme_forbidden"},
		{"shell", "scheme_forbidden"},
		{"mhtml", "scheme_forbidden"},
		{"mk", "scheme_forbidden"},
		{"hcp", "scheme_forbidden"},
		{"its", "scheme_forbidden"},
		{"jnlp", "scheme_forbidden"},
		{"about", "scheme_forbidden"},
		{"blob", "scheme_forbidden"},
		{"view-source", "scheme_forbidden"},
	}
	for _, c := range cases {
		t.Run(c.scheme, func(t *testing.T) {
			src := strings.Replace(base, "serial = 3\n", "serial = 3\nallowed_schemes = [\"msteams\", "+strconv.Quote(c.scheme)+"]\n", 1)
			want := []string{"allowed_schemes[1]: " + c.code}
			if got := lintErrors(t, src); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	// Harmless schemes an organisation uses stay allowed.
	for _, s := range []string{"msteams", "ica", "tel", "mailto", "sip", "zoommtg", "ms"} {
		src := strings.Replace(base, "serial = 3\n", "serial = 3\nallowed_schemes = ["+strconv.Quote(s)+"]\n", 1)
		if got := lintErrors(t, src); got != nil {
			t.Errorf("%s: %v", s, got)
		}
	}
}

func TestBodyLinks(t *testing.T) {
	md := "Voir [le portail](https://portail.example.org/a) et [ref][r], <ms-msdt:/id%20PCWDiagnostic>, <help@example.org>.\n\n" +
		"![image](asset:x.png) [lien](asset:y.pdf) `[code](javascript:x)`\n\n    [indent](file:///etc)\n\n[r]: \\\\srv\\share\n"
	want := []string{"https://portail.example.org/a", `\\srv\share`, "ms-msdt:/id%20PCWDiagnostic", "mailto:help@example.org", "asset:y.pdf"}
	if got := BodyLinks(md); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// An autolink holds no space: with one it is text, which nobody can click.
	if got := BodyLinks("<ms-msdt:/id PCWDiagnostic>"); got != nil {
		t.Errorf("autolink with a space: %q", got)
	}
}

// Markdown links in help pages and drill steps go through the policy of [[links]]: the
// GUI hands them to the system's opener.
func TestBodyLinkPolicy(t *testing.T) {
	page := func(body string) string {
		return base + "\n[[pages]]\nid = \"p\"\ntitle = { fr = \"T\", en = \"T\" }\nbody = { fr = \"B\", en = " + strconv.Quote(body) + " }\n"
	}
	step := func(body string) string {
		return base + drill(`body = { fr = "B", en = "B" }`, "body = { fr = "+strconv.Quote(body)+", en = \"B\" }")
	}
	const pagePath, stepPath = "pages[0].body.en", "drills[0].steps[0].body.fr"
	cases := []struct {
		name, src string
		want      []string
	}{
		{"https page", page("[x](https://portail.example.org/)"), nil},
		{"asset link", page("[x](asset:a.pdf)") + "\n[[assets]]\nid = \"a.pdf\"\nurl = \"https://e.example.org/a.pdf\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", nil},
		{"javascript page", page("[Cliquez](javascript:alert(1))"), []string{pagePath + ": scheme_link"}},
		{"javascript case", page("[Cliquez](JaVaScRiPt:alert(1))"), []string{pagePath + ": scheme_link"}},
		{"file step", step("[x](file:///C:/Windows/System32/calc.exe)"), []string{stepPath + ": scheme_link"}},
		{"smb step", step("[x](smb://srv/share)"), []string{stepPath + ": scheme_link"}},
		{"unc backslashes", page(`[x](\\srv\share\a.lnk)`), []string{pagePath + ": link_unc"}},
		{"unc slashes", page("[x](//srv/share)"), []string{pagePath + ": link_unc"}},
		{"unc reference", step("[x][r]\n\n[r]: //srv/share"), []string{stepPath + ": link_unc"}},
		{"ms-msdt autolink", page("<ms-msdt:/id%20PCWDiagnostic>"), []string{pagePath + ": scheme_link"}},
		{"search-ms autolink", step("<search-ms:query=x&crumb=location:\\\\srv\\s>"), []string{stepPath + ": scheme_link"}},
		{"mailto autolink", page("<help@example.org>"), []string{pagePath + ": scheme_link"}},
		{"drive letter", page(`[x](C:\Windows\calc.exe)`), []string{pagePath + ": scheme_link"}},
		{"relative", page("[x](calc.exe)"), []string{pagePath + ": url_absolute"}},
		{"userinfo", page("[x](https://a:b@portail.example.org/)"), []string{pagePath + ": url_userinfo"}},
		{"code span", page("`[x](javascript:1)`"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := lintErrors(t, c.src); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v\n%s", got, c.want, numbered(c.src))
			}
		})
	}
	// A scheme the profile allows is allowed in bodies too, and only then.
	src := strings.Replace(page("[Réunion](msteams:/l/meetup-join/x) et <msteams:/l/chat>"), "serial = 3\n", "serial = 3\nallowed_schemes = [\"msteams\"]\n", 1)
	if got := lintErrors(t, src); got != nil {
		t.Errorf("allowed msteams: %v", got)
	}
	if got, want := lintErrors(t, page("[Réunion](msteams:/l/x)")), []string{pagePath + ": scheme_link"}; !reflect.DeepEqual(got, want) {
		t.Errorf("msteams not allowed: got %v, want %v", got, want)
	}
	// Refused in allowed_schemes, so refused in bodies.
	src = strings.Replace(page("[x](ms-msdt:/id)"), "serial = 3\n", "serial = 3\nallowed_schemes = [\"ms-msdt\"]\n", 1)
	if got, want := lintErrors(t, src), []string{"allowed_schemes[0]: scheme_forbidden", pagePath + ": scheme_link"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ms-msdt listed: got %v, want %v", got, want)
	}
}

// A profile signed before the deny list grew may still list ms-msdt or a
// drive letter in allowed_schemes: CheckURL (what launch opens, what the
// app shows as a link) allows none of them anyway.
func TestCheckURLDeniesWhatProfilesMayNotAllow(t *testing.T) {
	for _, u := range []string{"ms-msdt:/id PCWDiagnostic", "search-ms:query=x", "smb://srv/share", "c:\\windows\\system32\\calc.exe",
		"MS-OFFICECMD:x", "shell:startup", "jar:http://x!/y", "file:///etc/passwd"} {
		var le *LinkError
		if _, err := CheckURL(u, []string{"ms-msdt", "search-ms", "smb", "c", "ms-officecmd", "shell", "jar", "file"}); !errors.As(err, &le) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := CheckURL("msteams:/l/meetup-join/x", []string{"msteams"}); err != nil {
		t.Errorf("msteams, allowed: %v", err)
	}
}

// A refused scheme is named, lower case; an invalid URL says what is wrong.
func TestCheckURLSaysWhy(t *testing.T) {
	for _, tc := range []struct{ url, scheme, detail string }{
		{"JavaScript:alert(1)", "javascript", ""},
		{"msteams:/l/x", "msteams", ""}, // not in allowed_schemes
		{"https:portail.intra", "", "no host"},
		{"-https://portail.intra/", "", "no scheme"},
		{"https://portail.intra/\n", "", "control character U+000A"},
		{"", "", "empty"},
	} {
		var le *LinkError
		if _, err := CheckURL(tc.url, nil); !errors.As(err, &le) || le.Scheme != tc.scheme || le.Detail != tc.detail || le.URL != tc.url {
			t.Errorf("%q: %#v (%v), want scheme %q, detail %q", tc.url, le, err, tc.scheme, tc.detail)
		}
	}
	if scheme, err := CheckURL("HTTPS://portail.intra/", nil); scheme != "https" || err != nil {
		t.Errorf("HTTPS: %q, %v", scheme, err)
	}
}
