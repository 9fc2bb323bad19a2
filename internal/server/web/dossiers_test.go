package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"relais/internal/casecode"
	"relais/internal/diag"
	"relais/internal/diag/bundle"
	"relais/internal/status"
)

func TestNormalizeCaseCode(t *testing.T) {
	t.Parallel()
	for _, typed := range []string{"RLS-7K3M-Q9TD", "rls-7k3m-q9td", "rls 7k3m q9td", "RLS7K3MQ9TD", "7k3m q9td", " 7K3M-Q9TD ", "r l s 7 k 3 m . q 9 t d", "RLS–7K3M–Q9TD"} {
		if got, p := NormalizeCaseCode(typed); p != nil || got != "RLS-7K3M-Q9TD" {
			t.Errorf("NormalizeCaseCode(%q) = %q, %v", typed, got, p)
		}
	}
	for typed, want := range map[string]string{
		"":               "Tapez le code",
		"RLS-":           "Tapez le code",
		"RLS-7K3M-Q9T":   "vous en avez tapé 7",
		"RLS-7K3M-Q9TDD": "vous en avez tapé 9",
		"RLS-7K3M-Q0TD":  "« 0 »",
		"RLS-7K3M-QOTD":  "« O »",
		"rls-7k3m-q1td":  "« 1 »",
		"RLS-7K3M-Q9TÉ":  "« É »",
		"RLS-BK3M-Q9TD":  "« B »",
	} {
		_, p := NormalizeCaseCode(typed)
		if p == nil || !strings.Contains(p.text("fr"), want) {
			t.Errorf("NormalizeCaseCode(%q): %v, want %q", typed, p, want)
		}
	}
}

func FuzzNormalizeCaseCode(f *testing.F) {
	f.Add("rls 7k3m q9td")
	f.Add("RLS-0000-0000")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		code, p := NormalizeCaseCode(s)
		if (p == nil) != casecode.Valid(code) {
			t.Fatalf("NormalizeCaseCode(%q) = %q, %v", s, code, p)
		}
		if p == nil {
			if again, p2 := NormalizeCaseCode(code); p2 != nil || again != code {
				t.Fatalf("not idempotent on %q", code)
			}
		}
	})
}

// The helpdesk types the code read over the phone, lower case with
// spaces, and lands on the case; a wrong code gets a sentence.
func TestFindByTypedCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putBundle(code1, makeBundle(t, code1, nil, "", nil))
	c := e.client()
	e.login(c, "alice")
	p := e.do(c, "GET", "/dossiers?code="+url.QueryEscape("rls 7k3m q9td"), nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/dossiers/"+code1 {
		t.Fatalf("typed code: %d %s", p.status, p.header.Get("Location"))
	}
	p = e.do(c, "GET", "/dossiers?code="+url.QueryEscape("RLS-7K3M-Q9TE"), nil)
	if p.status != http.StatusNotFound || !strings.Contains(p.body, "Aucun dossier reçu sous le code RLS-7K3M-Q9TE") {
		t.Fatalf("unknown code: %d", p.status)
	}
	p = e.do(c, "GET", "/dossiers?code=RLS-7K3M-Q0TD&lang=en", nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "The character “0” is in no case code") || !strings.Contains(p.body, `aria-invalid="true"`) {
		t.Fatalf("bad character in English: %d %.200s", p.status, p.body)
	}
	// A lower-case path is the case's address too.
	if p := e.do(c, "GET", "/dossiers/rls-7k3m-q9td", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dossiers/"+code1 {
		t.Fatalf("lower-case path: %d %s", p.status, p.header.Get("Location"))
	}
}

// With the helpdesk's identity, the verdict is decrypted on the server
// and shown first; the inbox flags the essential app down; take, note
// and resolve are recorded and shown.
func TestDossierVerdictAndActions(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	e := newEnv(t, id)
	down := "RLS-AAAA-CCCC"
	e.putBundle(down, encrypt(t, makeBundle(t, down, []app{{"Paie", "essential", status.StateFailed}, {"Messagerie", "important", status.StateOK}}, "", nil), id.Recipient()))
	e.clock.add(60e9)
	e.putBundle(code1, encrypt(t, makeBundle(t, code1, []app{{"Paie", "essential", status.StateOK}}, "", nil), id.Recipient()))
	c := e.client()
	tok := e.login(c, "alice")
	inbox := e.do(c, "GET", "/dossiers", nil)
	i, j := strings.Index(inbox.body, down), strings.Index(inbox.body, code1)
	if i < 0 || j < i {
		t.Fatalf("inbox order: %d %d", i, j)
	}
	row := inbox.body[i:j]
	if !strings.Contains(row, "appli essentielle en panne") || strings.Contains(inbox.body[j:], "appli essentielle en panne") {
		t.Fatalf("essential flag: %.800s", inbox.body[i:])
	}
	if !strings.Contains(inbox.body, "2 mars 2026 à") {
		t.Errorf("received time not in French words")
	}
	p := e.do(c, "GET", "/dossiers/"+down, nil)
	verdict := strings.Index(p.body, `id="verdict"`)
	notes := strings.Index(p.body, `id="notes-title"`)
	if verdict < 0 || notes < verdict || !strings.Contains(p.body, "Paie") || !strings.Contains(p.body, "v-bad") {
		t.Fatalf("verdict first: %d %d %.2000s", verdict, notes, p.body)
	}
	for _, action := range []url.Values{{"csrf": {tok}}, {"csrf": {tok}, "note": {"Rappelée à 10 h, <b>VPN</b> relancé"}}} {
		path := "/dossiers/" + down + "/prendre"
		if action.Has("note") {
			path = "/dossiers/" + down + "/note"
		}
		if r := e.do(c, "POST", path, action); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %.300s", path, r.status, r.body)
		}
	}
	p = e.do(c, "GET", "/dossiers/"+down, nil)
	if !strings.Contains(p.body, "Pris en charge par alice le 2 mars 2026") || !strings.Contains(p.body, "Rappelée à 10 h, &lt;b&gt;VPN&lt;/b&gt; relancé") ||
		strings.Contains(p.body, "<b>VPN") || strings.Contains(p.body, ">Je le prends<") {
		t.Fatalf("after take and note: %.3000s", p.body)
	}
	if r := e.do(c, "POST", "/dossiers/"+down+"/note", url.Values{"csrf": {tok}, "note": {strings.Repeat("x", 4001)}}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "Une note fait de 1 à 4000 caractères") || !strings.Contains(r.body, strings.Repeat("x", 4001)) {
		t.Fatalf("too long a note: %d", r.status)
	}
	e.do(c, "POST", "/dossiers/"+down+"/resolu", url.Values{"csrf": {tok}})
	p = e.do(c, "GET", "/dossiers/"+down, nil)
	if !strings.Contains(p.body, "Résolu par alice") || !strings.Contains(p.body, ">Rouvrir<") {
		t.Fatalf("resolved: %.2000s", p.body)
	}
	e.do(c, "POST", "/dossiers/"+down+"/rouvrir", url.Values{"csrf": {tok}})
	if b, _ := e.db.Bundle(context.Background(), down); !b.Resolved.IsZero() || b.TakenBy != "alice" {
		t.Fatalf("reopened: %+v", b)
	}
	if en := e.do(c, "GET", "/dossiers/"+down+"?lang=en", nil); !strings.Contains(en.body, "Taken by alice on 2 March 2026") || !strings.Contains(en.body, `lang="en"`) {
		t.Fatalf("English page: %.1000s", en.body)
	}
}

// Without the identity: a download and the command to open it.
func TestDossierWithoutIdentity(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	e := newEnv(t)
	body := encrypt(t, makeBundle(t, code1, nil, "", nil), id.Recipient())
	e.putBundle(code1, body)
	c := e.client()
	e.login(c, "alice")
	p := e.do(c, "GET", "/dossiers/"+code1, nil)
	if !strings.Contains(p.body, "le serveur n&#39;a pas sa clé") || !strings.Contains(p.body, "relais diag open relais-diag-"+code1+".zip.age") ||
		!strings.Contains(p.body, `href="/dossiers/`+code1+`/bundle"`) {
		t.Fatalf("no identity: %.3000s", p.body)
	}
	d := e.do(c, "GET", "/dossiers/"+code1+"/bundle", nil)
	if d.status != http.StatusOK || d.body != string(body) || d.header.Get("Content-Disposition") != `attachment; filename="relais-diag-`+code1+`.zip.age"` {
		t.Fatalf("download: %d %v", d.status, d.header)
	}
	// Another key than the bundle's: said so.
	e2 := newEnv(t, newIdentity(t))
	e2.putBundle(code1, body)
	c2 := e2.client()
	e2.login(c2, "alice")
	if p := e2.do(c2, "GET", "/dossiers/"+code1, nil); !strings.Contains(p.body, "chiffré pour une autre clé") {
		t.Fatalf("other key: %.2000s", p.body)
	}
}

var scriptTag = regexp.MustCompile(`(?i)<script|<img|<iframe|<[a-z]+[^>]*\son[a-z]+=|href="javascript:`)

// A crafted bundle — HTML and script in every text, bidi overrides, huge
// counts — shows as text and cannot script or reorder the page.
func TestHostileBundle(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	e := newEnv(t, id)
	evil := "<script>alert(1)</script><img src=x onerror=alert(2)>\u202eDCBA\u2066 javascript:alert(3)"
	var apps []app
	for i := 0; i < 3000; i++ {
		apps = append(apps, app{evil + fmt.Sprint(i), "essential", status.StateFailed})
	}
	var failures []bundle.CollectorFailure
	for i := 0; i < 5000; i++ {
		failures = append(failures, bundle.CollectorFailure{Name: "FAILMARK" + evil, Error: evil})
	}
	e.putBundle(code1, encrypt(t, makeBundle(t, code1, apps, evil, failures), id.Recipient()))
	c := e.client()
	tok := e.login(c, "alice")
	e.do(c, "POST", "/dossiers/"+code1+"/note", url.Values{"csrf": {tok}, "note": {evil}})
	for _, path := range []string{"/dossiers", "/dossiers/" + code1, "/dossiers/" + code1 + "?lang=en"} {
		p := e.do(c, "GET", path, nil)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		if m := scriptTag.FindString(p.body); m != "" {
			i := strings.Index(p.body, m)
			t.Fatalf("%s: %q unescaped: %s", path, m, p.body[max(0, i-200):min(len(p.body), i+200)])
		}
		if strings.ContainsAny(p.body, "\u202e\u2066") {
			t.Fatalf("%s: a bidi control reached the page", path)
		}
		if path != "/dossiers" && !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("%s: the crafted text is not shown as text", path)
		}
	}
	// The page is not laid out 5,000 times: listed entries are bounded.
	p := e.do(c, "GET", "/dossiers/"+code1, nil)
	if n := strings.Count(p.body, "FAILMARK"); n > 2*bundle.MaxListed+10 {
		t.Fatalf("%d of 5,000 collector failures laid out: unbounded lists", n)
	}
}

// The server's opener agrees with internal/diag's on real bundles,
// encrypted or not, and on damaged ones.
func TestOpenerAgreesWithDiag(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	good := makeBundle(t, code1, []app{{"Paie", "essential", status.StateFailed}}, "", nil)
	var exported bytes.Buffer
	if _, err := diag.Export(context.Background(), diag.Input{Language: "fr"}, diag.Options{Recipient: id.Recipient().String(), CaseCode: code1, CollectorTimeout: 1e9}, &exported); err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(good, []byte("Paie"), []byte("Pair"), 1)
	cases := map[string][]byte{
		"plain": good, "encrypted": encrypt(t, good, id.Recipient()), "exported by diag": exported.Bytes(),
		"truncated": good[:len(good)/2], "altered": altered, "empty": nil, "not a zip": []byte("PK\x03\x04 nothing"),
		"other key": encrypt(t, good, newIdentity(t).Recipient()),
	}
	for name, b := range cases {
		mine, err1 := openBundle(bytes.NewReader(b), ids(id))
		theirs, err2 := diag.Open(bytes.NewReader(b), ids(id))
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: web says %v, diag says %v", name, err1, err2)
			continue
		}
		if err1 == nil && (mine.Manifest.CaseCode != theirs.Manifest.CaseCode || len(mine.Files) != len(theirs.Files)) {
			t.Errorf("%s: different contents", name)
		}
	}
}

func ids(id ...*ageX25519) []ageIdentity {
	out := make([]ageIdentity, len(id))
	for i, x := range id {
		out[i] = x
	}
	return out
}

func FuzzOpenBundle(f *testing.F) {
	f.Add(makeBundle(f, code1, []app{{"Paie", "essential", status.StateFailed}}, "", nil))
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bd, err := openBundle(bytes.NewReader(b), nil); err == nil {
			if _, err := summaryFragment(bd, "fr"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
