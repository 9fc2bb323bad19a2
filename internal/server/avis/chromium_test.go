package avis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/notices"
	"relais/internal/server/avis"
	"relais/internal/server/db"
	"relais/internal/testenv"
)

// The Avis page in headless Chromium, French and English: a person fills
// the notice form (a level, both texts, an end picked in the date field)
// and publishes; the page says which document was published and lists
// it; the endpoint serves it signed. A form with a missing language shows
// its sentence. A hostile text published before runs nothing.
// Screenshots at 1280×800 and 1024×768 go to $RELAIS_SCREENSHOTS (else a
// temporary directory) to be looked at.
func TestAvisPageInChromium(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	pub, priv := newKey(t)
	s := newSite(t, db.Options{DataDir: t.TempDir()}, avis.NewSigner(priv))
	hostile := noticeForm()
	hostile.Set("level", "info")
	hostile.Set("text_fr", `<img src=x onerror="window.__pwned=1">Réunion d'information à 16 h.`)
	hostile.Set("text_en", `<script>window.__pwned=1</script>Briefing at 4 pm.`)
	hostile.Set("from", "2026-12-05T15:00")
	hostile.Set("until", "2026-12-05T17:00")
	s.post(t, "/avis/avis", hostile)
	s.post(t, "/avis/maintenance", windowForm())
	off := newSite(t, db.Options{DataDir: t.TempDir()}, nil)

	dir := os.Getenv("RELAIS_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	shoot := func(name string, w, h int64) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.EmulateViewport(w, h)); err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.jpg", name, w, h))
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noticeForm := `form[action^="/avis/avis"]`
	// submit clicks a form's button and waits for the page it leads to.
	submit := func(form string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		resp, err := chromedp.RunResponse(sctx, chromedp.Click(form+` button[type=submit]`))
		if err != nil {
			t.Fatalf("submit %s: %v", form, err)
		}
		if resp.Status >= 500 {
			t.Fatalf("submit %s: HTTP %d", form, resp.Status)
		}
	}
	// waitFor polls for an element of the page the browser shows now.
	waitFor := func(sel string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", sel)))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				shoot("avis-echec", 1280, 800)
				t.Fatalf("%s never showed: %v", sel, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	texts := map[string][2]string{
		"fr": {"La messagerie est coupée jusqu'à 12 h : utilisez le téléphone.", "Email is down until noon: use the phone."},
		"en": {"Le VPN de secours est ouvert.", "The backup VPN is open."},
	}
	for i, lang := range []string{"fr", "en"} {
		err := chromedp.Do(bctx,
			chromedp.EmulateViewport(1280, 800),
			chromedp.Navigate(s.URL+"/avis?lang="+lang),
			chromedp.WaitReady("h2#new-notice"),
			// A refused form first: the English text is missing.
			chromedp.SendKeys("#notice-text_fr", texts[lang][0]),
		)
		if err != nil {
			t.Fatal(err)
		}
		submit(noticeForm)
		waitFor(noticeForm + " .avis-errors")
		if got := text("#notice-text_en-error"); got == "" {
			t.Errorf("%s: no sentence beside the English text", lang)
		}
		if got, _ := chromedp.Run(bctx, chromedp.Value("#notice-text_fr")); got != texts[lang][0] {
			t.Errorf("%s: the French text was lost: %q", lang, got)
		}
		shoot("avis-erreur-"+lang, 1280, 800)
		for n, a := range []chromedp.Action[chromedp.Void]{
			chromedp.Click(noticeForm + ` input[value=crisis]`),
			chromedp.SendKeys("#notice-text_en", texts[lang][1]),
			chromedp.SetValue("#notice-until", "2026-12-05T12:00"),
		} {
			sctx, scancel := context.WithTimeout(bctx, 15*time.Second)
			err := chromedp.Do(sctx, a)
			scancel()
			if err != nil {
				shoot("avis-echec-"+lang, 1280, 800)
				t.Fatalf("%s: step %d: %v", lang, n, err)
			}
		}
		submit(noticeForm)
		waitFor(".avis-flash")
		flash := text(".avis-flash")
		if want := fmt.Sprint(3 + i); !strings.Contains(flash, want) {
			t.Errorf("%s: flash %q does not name document %s", lang, flash, want)
		}
		pwned, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__pwned === 1`))
		if err != nil {
			t.Fatal(err)
		}
		if pwned {
			t.Errorf("%s: a notice's text ran a script", lang)
		}
		htmlLang, err := chromedp.Run(bctx, chromedp.AttributeValue("html", "lang"))
		if err != nil || htmlLang.Value != lang {
			t.Errorf("%s: html lang %q %v", lang, htmlLang.Value, err)
		}
		for _, size := range [][2]int64{{1280, 800}, {1024, 768}} {
			shoot("avis-"+lang, size[0], size[1])
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(off.URL+"/avis?lang="+lang), chromedp.WaitReady("h2#off")); err != nil {
			t.Fatal(err)
		}
		shoot("avis-sans-cle-"+lang, 1280, 800)
	}

	// What the browser published is what laptops accept.
	resp, doc := s.get(t, avis.PathDocument)
	_, sig := s.get(t, avis.PathSignature)
	d, err := notices.Accept(doc, sig, pub, nil, notices.Previous{})
	if resp.StatusCode != 200 || err != nil || d.Serial != 4 || len(d.Notices) != 3 {
		t.Fatalf("%d %v %+v", resp.StatusCode, err, d)
	}
	last := d.Notices[2]
	if last.Level != notices.Crisis || last.Text.EN != texts["en"][1] ||
		!last.Until.Equal(time.Date(2026, 12, 5, 12, 0, 0, 0, paris)) {
		t.Fatalf("published %+v", last)
	}
}
