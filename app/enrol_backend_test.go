package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aead.dev/minisign"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/backend"
	"relais/internal/enrolment"
	"relais/internal/frontend"
	"relais/internal/profile/profiletest"
	"relais/internal/secrets"
	"relais/internal/secrets/secretstest"
)

// enrolOffice is a managed laptop's world for the app: a signed bootstrap
// profile naming an enrolment server that speaks the contract (one code;
// refuse makes it answer a refusal), and an in-memory keyring.
type enrolOffice struct {
	mu     sync.Mutex
	refuse string
	env    backend.Env
	kr     *secretstest.Keyring
}

func newEnrolOffice(t *testing.T, lang, token string) *enrolOffice {
	t.Helper()
	eo := &enrolOffice{kr: secretstest.New()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		eo.mu.Lock()
		defer eo.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		req, err := enrolment.ParseRequest(body)
		code := enrolment.Code(err)
		switch {
		case code != "":
		case eo.refuse != "":
			code = eo.refuse
		case enrolment.NormalizeSecret(req.Token) != "ACD4FGHJ7K" && req.Token != token:
			code = enrolment.CodeTokenUnknown
		}
		if code != "" {
			w.WriteHeader(enrolment.HTTPStatus(code))
			_ = json.NewEncoder(w).Encode(enrolment.ErrorBody{Error: code})
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(enrolment.Response{Addresses: []string{"10.20.128.7/32"}, ServerPublicKey: "b49b/tJYp/VejjTju4hQ/J1rRbS+yJBkPe64Z6EdAF0="})
	}))
	t.Cleanup(srv.Close)
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the assets the profile pins
	home := t.TempDir()
	file := filepath.Join(home, "profile.toml")
	body := append(profiletest.Example(t, o.Base(), 7), []byte("\n[enrolment]\nurl = \""+srv.URL+enrolment.Path+"\"\n")...)
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file+".minisig", minisign.Sign(sk, body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("profile_file = %q\ntrusted_keys = [%q]\n", file, pk.String())
	if token != "" {
		cfg += fmt.Sprintf("enrol_token = %q\n", token)
	}
	if err := os.WriteFile(filepath.Join(home, "relais.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"RELAIS_HOME": filepath.Join(home, "data"), "RELAIS_CONFIG": filepath.Join(home, "relais.toml"),
		"LANG": lang + "_FR.UTF-8", "XDG_CONFIG_HOME": filepath.Join(home, "config")}
	eo.env = backend.Env{GOOS: "linux", Home: home, Now: time.Now, Getenv: func(k string) string { return vars[k] },
		Seams: backend.Seams{Keyring: func() secrets.Keyring { return eo.kr }}}
	return eo
}

// The app against the real backend: a managed laptop with no identity
// enrols from Accueil with the helpdesk's code (a refusal first, said in
// words and changing nothing), in French and in English, at 1024×768;
// Réglages then says where and when. Screenshots go to RELAIS_SCREENSHOTS.
func TestEnrolFromTheGUI(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			eo := newEnrolOffice(t, lang, "")
			d, err := backend.Open(context.Background(), backend.Options{Env: eo.env, Lang: lang})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Demo() {
				t.Fatal("the demo office, not the managed laptop")
			}
			id := d.Identity()
			if id.Setup != frontend.SetupNone || id.EnrolHost == "" || id.EnrolAuto {
				t.Fatalf("identity %+v", id)
			}
			tu := newTestUI(t, d, lang)
			tu.now = time.Now
			h := newHome(tu.ui)
			c := h.content()
			tu.window.SetContent(c)
			tu.window.Resize(fyne.NewSize(1024, 768))
			if !h.enrol.codeRow.Visible() || !h.urgence.Disabled() {
				t.Fatalf("no code field: %q", visibleTexts(c))
			}
			screenshot(t, tu.window, "enrol-offer-"+lang+".png")

			eo.mu.Lock()
			eo.refuse = enrolment.CodeTokenExpired
			eo.mu.Unlock()
			test.Type(h.enrol.code, "acd4f ghj7k")
			test.Tap(h.enrol.button)
			want := map[string]string{"fr": "a expiré", "en": "has expired"}[lang]
			if !containsText(c, want) || eo.kr.Items()[secrets.Service+"/"+secrets.User] != "" {
				t.Fatalf("refused: %q", visibleTexts(c))
			}
			screenshot(t, tu.window, "enrol-refused-"+lang+".png")

			eo.mu.Lock()
			eo.refuse = ""
			eo.mu.Unlock()
			test.Tap(h.enrol.button)
			if d.Identity().Source != frontend.SourceEnrolled || h.urgence.Disabled() {
				t.Fatalf("not enrolled: %+v %q", d.Identity(), visibleTexts(c))
			}
			if !containsText(c, "10.20.128.7/32") {
				t.Fatalf("no addresses: %q", visibleTexts(c))
			}
			assertNoRawKeys(t, c)
			screenshot(t, tu.window, "enrol-done-"+lang+".png")

			s := newSettings(tu.ui, func(string) {})
			sc := s.content()
			tu.window.SetContent(sc)
			tu.window.Resize(fyne.NewSize(1024, 768))
			host := d.Identity().EnrolHost
			if !containsText(sc, map[string]string{"fr": "Enrôlé auprès de ", "en": "Enrolled with "}[lang]+host) {
				t.Fatalf("settings: %q", visibleTexts(sc))
			}
			screenshot(t, tu.window, "settings-enrolled-"+lang+".png")
		})
	}
	useLanguage("fr")
}

// With a managed setup token the app enrols by itself at its first
// showing of Accueil.
func TestEnrolAutomaticFromTheGUI(t *testing.T) {
	const tok = "rlst_abcdefghijklmnopqrstuvwxyz234567"
	eo := newEnrolOffice(t, "fr", tok)
	d, err := backend.Open(context.Background(), backend.Options{Env: eo.env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tu := newTestUI(t, d, "fr")
	tu.now = time.Now
	h := newHome(tu.ui)
	c := h.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 768))
	if d.Identity().Source != frontend.SourceEnrolled || h.urgence.Disabled() || h.enrol.codeRow.Visible() {
		t.Fatalf("not enrolled by itself: %+v %q", d.Identity(), visibleTexts(c))
	}
	if !containsText(c, "Ce poste est enrôlé.") || strings.Contains(strings.Join(visibleTexts(c), "\n"), tok) {
		t.Fatalf("shown: %q", visibleTexts(c))
	}
	screenshot(t, tu.window, "enrol-auto-fr.png")
}
