package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/profile/profiletest"
)

// A refused profile's problems are kept so that whoever reads them later
// reads them in their own language: `profile show` in French after a sync
// in English says the lint problem in French (and the reverse), the JSON
// carries the sentence in both, and the app opened later says why the
// last update was refused, in its language.
func TestRefusedSyncIsWordedInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	m := newMachine(t) // LANG=fr_FR.UTF-8
	m.manage(o.URL(), "", pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("profile sync: %+v", r)
	}
	bad := profiletest.Testdata(t, "profiles", "bad", "http-target-ftp.toml")
	o.Set(profiletest.ProfilePath, bad)
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, bad))
	m.vars["LANG"] = "en_GB.UTF-8" // the sync runs in English…
	if r := m.run("profile", "sync"); r.code == ExitOK {
		t.Fatalf("a profile with a lint error was accepted: %+v", r)
	}

	const fr, en = "le schéma doit être http ou https", "scheme must be http or https"
	m.vars["LANG"] = "fr_FR.UTF-8" // …and is read in French
	r := m.run("profile", "show")
	if !strings.Contains(r.stdout, fr) || strings.Contains(r.stdout, en) {
		t.Errorf("profile show in French:\n%s", r.stdout)
	}
	m.vars["LANG"] = "en_GB.UTF-8"
	if r := m.run("profile", "show"); !strings.Contains(r.stdout, en) || strings.Contains(r.stdout, fr) {
		t.Errorf("profile show in English:\n%s", r.stdout)
	}
	var doc struct {
		LastSync struct {
			Code   string `json:"code"`
			Reason struct {
				FR string `json:"fr"`
				EN string `json:"en"`
			} `json:"reason"`
		} `json:"last_sync"`
	}
	r = m.run("profile", "show", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if ls := doc.LastSync; ls.Code != "invalid" || !strings.Contains(ls.Reason.FR, fr) || !strings.Contains(ls.Reason.EN, en) {
		t.Errorf("last_sync %+v", ls)
	}

	for lang, want := range map[string]string{"fr": fr, "en": en} {
		d := openDesk(t, m, backend.Options{Lang: lang})
		ps := d.Profile()
		if ps.Serial != 7 || !strings.Contains(appWords(lang, ps.Problem), want) {
			t.Errorf("%s: the app does not say why the update was refused: %+v", lang, ps.Problem)
		}
	}
}
