package notices

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
)

const good = `{"schema": 1, "serial": 12, "issued_at": "2026-12-05T09:00:00Z",
 "notices": [{"id": "paie-14h", "level": "warning",
   "text": {"fr": "La paie est en maintenance jusqu'à 14 h.", "en": "Payroll is under maintenance until 2 pm."},
   "from": "2026-12-05T09:00:00Z", "until": "2026-12-05T13:00:00Z"},
  {"id": "crise", "level": "crisis", "text": {"fr": "Cellule de crise ouverte.", "en": "Crisis unit open."}}],
 "maintenance": [{"app": "paie", "from": "2026-12-05T09:00:00Z", "until": "2026-12-05T13:00:00Z",
   "text": {"fr": "Maintenance prévue.", "en": "Planned maintenance."}}]}`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseGood(t *testing.T) {
	d, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d.Serial != 12 || len(d.Notices) != 2 || len(d.Maintenance) != 1 || len(d.SHA256) != 64 {
		t.Fatalf("%+v", d)
	}
	act := d.Active(at("2026-12-05T10:00:00Z"))
	if len(act) != 2 || act[0].ID != "crise" || act[1].ID != "paie-14h" {
		t.Fatalf("active, the most serious first: %+v", act)
	}
	if act := d.Active(at("2026-12-05T13:00:00Z")); len(act) != 1 || act[0].ID != "crise" {
		t.Fatalf("until is exclusive: %+v", act)
	}
	if w, ok := d.MaintenanceOf("paie", at("2026-12-05T12:59:59Z")); !ok || w.Text.EN != "Planned maintenance." {
		t.Fatalf("maintenance of paie: %v %+v", ok, w)
	}
	for _, now := range []string{"2026-12-05T08:59:59Z", "2026-12-05T13:00:00Z"} {
		if _, ok := d.MaintenanceOf("paie", at(now)); ok {
			t.Fatalf("window holds at %s", now)
		}
	}
	if _, ok := d.MaintenanceOf("messagerie", at("2026-12-05T10:00:00Z")); ok {
		t.Fatal("another app in maintenance")
	}
	var none *Document
	if none.Active(time.Now()) != nil || len(none.ActiveMaintenance(time.Now())) != 0 {
		t.Fatal("nil document")
	}
	if _, ok := none.MaintenanceOf("paie", time.Now()); ok {
		t.Fatal("nil document")
	}
}

func TestParseRefuses(t *testing.T) {
	base := func(repl ...string) string {
		return strings.NewReplacer(repl...).Replace(good)
	}
	notice := func(fields string) string {
		return `{"schema":1,"serial":1,"issued_at":"2026-12-05T09:00:00Z","notices":[` + fields + `]}`
	}
	long := strings.Repeat("é", MaxText+1)
	cases := []struct {
		name, doc, code string
	}{
		{"tunnel", base(`"serial": 12`, `"serial": 12, "tunnel": {"endpoint": "evil.example:51820"}`), CodeUnknownField},
		{"checks", base(`"maintenance"`, `"checks": [], "maintenance"`), CodeUnknownField},
		{"link in a notice", base(`"level": "warning"`, `"level": "warning", "url": "https://evil.example"`), CodeUnknownField},
		{"endpoint in a window", base(`"app": "paie"`, `"app": "paie", "endpoint": "x:1"`), CodeUnknownField},
		{"third language", base(`"en": "Crisis unit open."`, `"en": "Crisis unit open.", "de": "x"`), CodeUnknownField},
		{"case-folded key", base(`"serial"`, `"Serial"`), CodeUnknownField},
		{"duplicate key", base(`"serial": 12`, `"serial": 12, "serial": 13`), CodeDuplicateField},
		{"trailing data", good + ` {}`, CodeMalformed},
		{"not json", `schema = 1`, CodeMalformed},
		{"array at top", `[]`, CodeMalformed},
		{"object as text", base(`"fr": "Cellule de crise ouverte."`, `"fr": {"x": 1}`), CodeMalformed},
		{"string serial", base(`"serial": 12`, `"serial": "12"`), CodeMalformed},
		{"float serial", base(`"serial": 12`, `"serial": 12.5`), CodeMalformed},
		{"bad time", base(`"issued_at": "2026-12-05T09:00:00Z"`, `"issued_at": "demain"`), CodeMalformed},
		{"no schema", base(`"schema": 1,`, ``), CodeSchema},
		{"schema 2", base(`"schema": 1`, `"schema": 2`), CodeSchema},
		{"serial 0", base(`"serial": 12`, `"serial": 0`), CodeSerial},
		{"no issued_at", base(`"issued_at": "2026-12-05T09:00:00Z",`, ``), CodeIssuedAt},
		{"bad level", base(`"level": "warning"`, `"level": "red"`), CodeLevel},
		{"bad id", base(`"id": "paie-14h"`, `"id": "Paie 14h"`), CodeID},
		{"same id", base(`"id": "crise"`, `"id": "paie-14h"`), CodeID},
		{"bad app", base(`"app": "paie"`, `"app": "../paie"`), CodeApp},
		{"window backwards", base(`"until": "2026-12-05T13:00:00Z",
   "text": {"fr": "Maintenance`, `"until": "2026-12-05T08:00:00Z",
   "text": {"fr": "Maintenance`), CodeWindow},
		{"window without end", notice(``)[:len(notice(``))-1] + `,"maintenance":[{"app":"paie","from":"2026-12-05T09:00:00Z"}]}`, CodeWindow},
		{"one language", notice(`{"id":"a","level":"info","text":{"fr":"Bonjour"}}`), CodeTextMissing},
		{"blank english", notice(`{"id":"a","level":"info","text":{"fr":"Bonjour","en":"  "}}`), CodeTextMissing},
		{"no text", notice(`{"id":"a","level":"info"}`), CodeTextMissing},
		{"text too long", notice(`{"id":"a","level":"info","text":{"fr":"` + long + `","en":"x"}}`), CodeTextTooLong},
		{"control character", notice(`{"id":"a","level":"info","text":{"fr":"a\u0007b","en":"x"}}`), CodeTextControl},
		{"newline", notice(`{"id":"a","level":"info","text":{"fr":"a\nb","en":"x"}}`), CodeTextControl},
		{"bidi override", notice(`{"id":"a","level":"info","text":{"fr":"ok","en":"pay \u202eKO"}}`), CodeTextControl},
		{"bidi isolate raw", notice(`{"id":"a","level":"info","text":{"fr":"ok","en":"pay ` + "\u2067" + `x"}}`), CodeTextControl},
		{"invalid utf-8", notice(`{"id":"a","level":"info","text":{"fr":"ok","en":"` + "\xff" + `"}}`), CodeTextControl},
		{"oversized", `{"schema":1,"serial":1,"issued_at":"2026-12-05T09:00:00Z","notices":[]` + strings.Repeat(" ", MaxSize) + `}`, CodeTooLarge},
	}
	many := make([]string, MaxNotices+1)
	for i := range many {
		many[i] = `{"id":"n` + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + `-` + itoa(i) + `","level":"info","text":{"fr":"a","en":"a"}}`
	}
	cases = append(cases, struct{ name, doc, code string }{"too many notices", notice(strings.Join(many, ",")), CodeTooMany})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse([]byte(c.doc))
			if d != nil || err == nil {
				t.Fatalf("accepted: %+v", d)
			}
			if got := Code(err); got != c.code {
				t.Fatalf("code %q, want %q (%v)", got, c.code, err)
			}
			if !errors.Is(err, &Error{Code: c.code}) {
				t.Fatal("errors.Is by code")
			}
		})
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func keys(t testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestAccept(t *testing.T) {
	noticePub, noticeKey := keys(t)
	profilePub, profileKey := keys(t)
	doc := []byte(good)
	sig := Sign(doc, noticeKey)
	d, err := Accept(doc, sig, noticePub, []minisign.PublicKey{profilePub}, Previous{})
	if err != nil || d.Serial != 12 {
		t.Fatal(d, err)
	}
	prev := Previous{Serial: d.Serial, SHA256: d.SHA256}
	if _, err := Accept(doc, sig, noticePub, nil, prev); err != nil {
		t.Fatalf("the same bytes again: %v", err)
	}
	older := []byte(strings.Replace(good, `"serial": 12`, `"serial": 11`, 1))
	same := []byte(strings.Replace(good, `Cellule de crise ouverte.`, `Tout va bien.`, 1))
	newer := []byte(strings.Replace(good, `"serial": 12`, `"serial": 13`, 1))
	hostile := []byte(strings.Replace(good, `"serial": 12`, `"serial": 13, "tunnel": {"endpoint": "evil:1"}`, 1))
	cases := []struct {
		name    string
		doc     []byte
		sig     []byte
		key     minisign.PublicKey
		profile []minisign.PublicKey
		code    string
	}{
		{"rolled back serial", older, Sign(older, noticeKey), noticePub, nil, CodeRollback},
		{"same serial, other bytes", same, Sign(same, noticeKey), noticePub, nil, CodeRollback},
		{"signed by a profile key", newer, Sign(newer, profileKey), noticePub, []minisign.PublicKey{profilePub}, CodeUntrustedKey},
		{"signed by another key", newer, Sign(newer, keysPriv(t)), noticePub, nil, CodeUntrustedKey},
		{"altered after signing", newer, Sign(doc, noticeKey), noticePub, nil, CodeBadSignature},
		{"unsigned", newer, nil, noticePub, nil, CodeUnsigned},
		{"garbage signature", newer, []byte("untrusted comment: x\nnot base64\n"), noticePub, nil, CodeSignatureMalform},
		{"notice key is a profile key", newer, Sign(newer, noticeKey), noticePub, []minisign.PublicKey{noticePub}, CodeKeySharedWithProf},
		{"no key", newer, Sign(newer, noticeKey), minisign.PublicKey{}, nil, CodeNoKey},
		{"signed, but carries a tunnel", hostile, Sign(hostile, noticeKey), noticePub, nil, CodeUnknownField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Accept(c.doc, c.sig, c.key, c.profile, prev)
			if d != nil || Code(err) != c.code {
				t.Fatalf("got %v %v, want code %s", d, err, c.code)
			}
		})
	}
	if d, err := Accept(newer, Sign(newer, noticeKey), noticePub, []minisign.PublicKey{profilePub}, prev); err != nil || d.Serial != 13 {
		t.Fatal(d, err)
	}
}

func keysPriv(t testing.TB) minisign.PrivateKey { _, k := keys(t); return k }

func TestParseKey(t *testing.T) {
	pub, _ := keys(t)
	text, _ := pub.MarshalText()
	if k, err := ParseKey(string(text)); err != nil || k.ID() != pub.ID() {
		t.Fatal(k, err)
	}
	if _, err := ParseKey("RWQ-nope"); Code(err) != CodeNoKey {
		t.Fatal(err)
	}
}

func TestCodesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		if seen[c] || c == "" {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
}
