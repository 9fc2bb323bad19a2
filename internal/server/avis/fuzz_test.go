package avis

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/notices"
	"relais/internal/server/db"
)

// FuzzForm: no input may panic the form's checks, every refusal is a
// sentence, and whatever they accept makes a document that notices.Parse
// accepts: the form never lets through what laptops would refuse.
func FuzzForm(f *testing.F) {
	f.Add("warning", "La paie est en maintenance.", "Payroll is down.", "", "2026-12-05T14:00", "", true)
	f.Add("crisis", "a\u202eb", "x", "2026-12-05T15:00", "2026-12-05T14:00", "", true)
	f.Add("", "", "", "2026-12-05T09:00", "2026-12-05T14:00:30", "paie", false)
	f.Add("info", "é\r\nà", " ", "2026-13-45T99:99", "0001-01-01T00:00", "Paie", false)
	_, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	signer := NewSigner(priv)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, level, fr, en, from, until, app string, isNotice bool) {
		kind := db.KindWindow
		if isNotice {
			kind = db.KindNotice
		}
		fm := &form{Kind: kind, Level: level, TextFR: fr, TextEN: en, From: from, Until: until, App: app, lang: "fr"}
		it, ok := fm.validate(now, time.UTC)
		if !ok {
			if len(fm.Errors) == 0 {
				t.Fatal("refused without a sentence")
			}
			for _, e := range fm.Errors {
				if e.Message == "" || strings.HasPrefix(e.Message, "avis.") {
					t.Fatalf("refusal %+v", e)
				}
			}
			return
		}
		it.ID = 1
		body, _, err := signer.Build(1, now, []db.NoticeItem{it})
		if err != nil {
			t.Fatalf("the form accepted %+v, the document refused it: %v", it, err)
		}
		if _, err := notices.Parse(body); err != nil {
			t.Fatal(err)
		}
	})
}
