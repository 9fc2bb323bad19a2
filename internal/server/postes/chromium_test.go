package postes_test

import (
	"context"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/enrolment"
	"relais/internal/server/db"
	"relais/internal/server/web/webtest"
)

// The Postes page in headless Chromium, through the real forms, in French
// then English: sign in as the helpdesk, create a code for a person (shown
// big, XXXXX-XXXXX, and it enrols), find a laptop and revoke it through
// the confirmation page (stored revoked, by alice). Screenshots at
// 1024×768 and 1280×800 go to $RELAIS_SCREENSHOTS (else a temporary
// directory) to be looked at.
func TestPostesInChromium(t *testing.T) {
	e := newEnv(t, db.Options{DataDir: t.TempDir()})
	peers := map[string]db.Peer{"fr": e.enrol("PC-COMPTA-01"), "en": e.enrol("LAPTOP-HR-07")}
	e.enrol("PORTABLE-ACCUEIL-02")
	ctx := webtest.Browser(t)
	dir := webtest.Dir(t)
	base := e.srv.URL
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			webtest.Shoot(t, ctx, dir, "postes-echec", 1280, 800)
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string { t.Helper(); return webtest.Text(t, ctx, sel) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// waitText polls until the element sel of the page shown now says want.
	waitText := func(sel, want string) string {
		t.Helper()
		var got string
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			got, _ = chromedp.Run(ctx, chromedp.Text(css(sel)))
			if strings.Contains(got, want) {
				return got
			}
			if time.Now().After(deadline) {
				webtest.Shoot(t, ctx, dir, "postes-echec", 1280, 800)
				t.Fatalf("%s never said %q (last %q)", sel, want, got)
			}
		}
	}
	shoot := func(name string) {
		for _, s := range [][2]int64{{1024, 768}, {1280, 800}} {
			webtest.Shoot(t, ctx, dir, name+"-"+strconv.FormatInt(s[0], 10)+"x"+strconv.FormatInt(s[1], 10), s[0], s[1])
		}
		webtest.ShootFull(t, ctx, dir, name+"-full-1024", 1024, 768)
	}
	run("sign in",
		chromedp.Navigate(base+"/connexion?lang=fr"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "alice"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css(`form.login button[type="submit"]`)),
		chromedp.WaitVisible(css(`ul.cards a[href="/postes"]`)))
	words := map[string]struct{ person, heading, created, flash, revoke string }{
		"fr": {"Marie Dupont", "Créer un code d'enrôlement", "Code d'enrôlement pour Marie Dupont", "est révoqué", "Révoquer le poste"},
		"en": {"John Smith", "Create an enrolment code", "Enrolment code for John Smith", "is revoked", "Revoke the laptop"},
	}
	grouped := regexp.MustCompile(`^[A-Z0-9]{5}-[A-Z0-9]{5}$`)
	for _, lang := range []string{"fr", "en"} {
		w := words[lang]
		run(lang+": page", chromedp.Navigate(base+"/postes?lang="+lang), chromedp.WaitVisible(css("#person")))
		if h := text("#code-title"); h != w.heading {
			t.Fatalf("%s: heading %q", lang, h)
		}
		shoot("postes-" + lang)
		run(lang+": create a code",
			chromedp.SendKeys(css("#person"), w.person),
			chromedp.Click(css(`#code-form button[type="submit"]`)))
		waitText("#created", w.created)
		code := strings.TrimSpace(text("#code-value .groups"))
		if !grouped.MatchString(code) {
			t.Fatalf("%s: the code reads %q", lang, code)
		}
		shoot("postes-code-" + lang)
		if _, err := e.db.Enrol(context.Background(), db.EnrolRequest{Hash: enrolment.Hash(code), IsCode: true, PublicKey: newKey(t),
			DeviceName: "PC-" + lang, Pools: []netip.Prefix{pool}}); err != nil {
			t.Fatalf("%s: the code shown does not enrol: %v", lang, err)
		}
		p := peers[lang]
		id := strconv.FormatInt(p.ID, 10)
		run(lang+": find",
			chromedp.Navigate(base+"/postes"),
			chromedp.WaitVisible(css("#q")),
			chromedp.SendKeys(css("#q"), p.DeviceName[:6]),
			chromedp.Click(css(`form.find button[type="submit"]`)))
		waitText("#peer-count", p.DeviceName[:6])
		run(lang+": revoke…", chromedp.Click(css(`#peer-`+id+` a.postes-revoke`)), chromedp.WaitVisible(css("#confirm-form")))
		waitText("h1", w.revoke)
		shoot("postes-revoquer-" + lang)
		run(lang+": confirm", chromedp.Click(css(`#confirm-form button[type="submit"]`)))
		waitText(".postes-flash", w.flash)
		all, err := e.db.Peers(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range all {
			if q.ID == p.ID && (q.State != db.PeerRevoked || q.RevokedBy != "alice") {
				t.Fatalf("%s: stored %+v", lang, q)
			}
		}
		htmlLang, err := chromedp.Run(ctx, chromedp.AttributeValue(css("html"), "lang"))
		if err != nil || htmlLang.Value != lang {
			t.Errorf("%s: html lang %q %v", lang, htmlLang.Value, err)
		}
		shoot("postes-apres-" + lang)
	}
	t.Logf("screenshots in %s", dir)
}
