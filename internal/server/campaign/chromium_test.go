package campaign_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/server/db"
	"relais/internal/testenv"
)

// The page in headless Chromium, French and English, at 1280×800 and
// 1024×768: it loads without JavaScript of its own, the crafted report
// runs nothing, and the screenshots go to $RELAIS_SCREENSHOTS (else a
// temporary directory) to be looked at.
func TestCampaignPageInChromium(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	d := openDB(t, db.Options{DataDir: t.TempDir()})
	store(t, d, append(variants(t), hostile(t))...)
	srv := httptest.NewServer(handler(d))
	defer srv.Close()

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
	bctx, cancel = context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	for _, lang := range []string{"fr", "en"} {
		for _, size := range [][2]int64{{1280, 800}, {1024, 768}} {
			err := chromedp.Do(bctx,
				chromedp.EmulateViewport(size[0], size[1]),
				chromedp.Navigate(srv.URL+"/campagnes/automne-2026?lang="+lang),
				chromedp.WaitReady("h2#participation"),
			)
			if err != nil {
				t.Fatal(err)
			}
			pwned, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__pwned === 1`))
			if err != nil {
				t.Fatal(err)
			}
			heading, err := chromedp.Run(bctx, chromedp.Text("h2#participation"))
			if err != nil {
				t.Fatal(err)
			}
			htmlLang, err := chromedp.Run(bctx, chromedp.AttributeValue("html", "lang"))
			if err != nil {
				t.Fatal(err)
			}
			rtoLabel, err := chromedp.Run(bctx, chromedp.TextContent("svg .rto-label"))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(90))
			if err != nil {
				t.Fatal(err)
			}
			if pwned {
				t.Errorf("%s: the crafted report ran a script", lang)
			}
			if htmlLang.Value != lang || heading != "Participation" || rtoLabel == "" {
				t.Errorf("%s: lang %q, heading %q, RTO label %q", lang, htmlLang.Value, heading, rtoLabel)
			}
			name := filepath.Join(dir, fmt.Sprintf("campagne-%s-%dx%d.jpg", lang, size[0], size[1]))
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", name)
		}
	}
}
