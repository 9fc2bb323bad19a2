package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/server/web/webtest"
	"relais/internal/status"
)

// In headless Chromium, through the real forms: sign in, find a bundle by
// its case code typed as heard (lower case, spaces), take it, add a note;
// screenshots of /connexion, /dossiers and /dossiers/{code} in French and
// English at 1280×800 and 1024×768.
func TestBrowserHelpdeskFlow(t *testing.T) {
	id := newIdentity(t)
	e := newEnv(t, id)
	e.putBundle("RLS-CCCC-DDDD", encrypt(t, makeBundle(t, "RLS-CCCC-DDDD", []app{{"Messagerie", "important", status.StateOK}}, "", nil), id.Recipient()))
	e.clock.add(3 * time.Minute)
	e.putBundle(code1, encrypt(t, makeBundle(t, code1, []app{
		{"Paie", "essential", status.StateFailed}, {"Messagerie", "important", status.StateOK}, {"Intranet", "optional", status.StateDegraded},
	}, "", nil), id.Recipient()))
	e.clock.add(5 * time.Minute)
	e.putBundle("RLS-EEEE-FFFF", []byte("age-encryption.org/v1\nnot for this server"))
	if err := e.db.TakeBundle(context.Background(), "RLS-EEEE-FFFF", "bob"); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Now() // the browser's session cookie lives in real time from here

	ctx := webtest.Browser(t)
	dir := webtest.Dir(t)
	base := e.srv.URL
	sizes := [][2]int64{{1280, 800}, {1024, 768}}
	shoot := func(name string) {
		for _, s := range sizes {
			webtest.Shoot(t, ctx, dir, name+"-"+itoa(s[0])+"x"+itoa(s[1]), s[0], s[1])
		}
	}
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string { t.Helper(); return webtest.Text(t, ctx, sel) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	run("sign-in page in English", chromedp.Navigate(base+"/connexion?lang=en"), chromedp.WaitVisible(css("#name")))
	shoot("connexion-en")
	run("sign-in page", chromedp.Navigate(base+"/connexion?lang=fr"), chromedp.WaitVisible(css("#name")))
	shoot("connexion-fr")

	run("sign in",
		chromedp.SendKeys(css("#name"), "alice"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css(`form.login button[type="submit"]`)),
		chromedp.WaitVisible(css(`ul.cards`)))
	if h1 := text("h1"); h1 != "Accueil" {
		t.Fatalf("after sign-in: %q", h1)
	}
	run("inbox", chromedp.Click(css(`ul.cards a[href="/dossiers"]`)), chromedp.WaitVisible(css("#code")))
	shoot("dossiers-fr")
	run("find by code",
		chromedp.SendKeys(css("#code"), "rls 7k3m q9td"),
		chromedp.Click(css(`form.find button[type="submit"]`)),
		chromedp.WaitVisible(css(`#verdict`)))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/dossiers/"+code1) {
		t.Fatalf("the typed code led to %s (%v)", loc, err)
	}
	run("take it",
		chromedp.Click(css(`form[action$="/prendre"] button`)),
		chromedp.WaitNotPresent(css(`form[action$="/prendre"]`)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		facts := text("main") // the page after the post, once it has come
		if strings.Contains(facts, "Pris en charge par alice") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after taking: %.500s", facts)
		}
	}
	run("add a note",
		chromedp.SendKeys(css("#note"), "Rappelée à 10 h : la paie répond de nouveau après redémarrage du tunnel."),
		chromedp.Click(css(`form.add-note button[type="submit"]`)),
		chromedp.WaitVisible(css(`article.note`)))
	if notes := text("section.notes"); !strings.Contains(notes, "alice") || !strings.Contains(notes, "la paie répond de nouveau") {
		t.Fatalf("notes: %q", notes)
	}
	shoot("dossier-fr")
	webtest.ShootFull(t, ctx, dir, "dossier-fr-full", 1280, 800)
	run("inbox in English", chromedp.Navigate(base+"/dossiers?lang=en"), chromedp.WaitVisible(css("#code")))
	shoot("dossiers-en")
	run("case in English", chromedp.Navigate(base+"/dossiers/"+code1), chromedp.WaitVisible(css("#verdict")))
	if h1 := text("h1"); h1 != "Case "+code1 {
		t.Fatalf("English h1: %q", h1)
	}
	shoot("dossier-en")
	b, err := e.db.Bundle(context.Background(), code1)
	if err != nil || b.TakenBy != "alice" {
		t.Fatalf("stored: %+v %v", b, err)
	}
	n, _ := e.db.Notes(context.Background(), code1)
	if len(n) != 1 || n[0].Author != "alice" {
		t.Fatalf("notes stored: %+v", n)
	}
	t.Logf("screenshots in %s", dir)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
