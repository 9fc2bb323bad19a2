// Package webtest drives the server's pages in a real headless Chromium
// (chromedp) for tests: Browser starts one with a fresh profile, Shoot
// takes a screenshot at a viewport size into $RELAIS_SCREENSHOTS (or the
// test's temporary directory). It is imported by tests only.
package webtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/testenv"
)

// Timeout bounds a whole browser session of a test.
const Timeout = 2 * time.Minute

// Browser starts headless Chromium for t and returns its context; it is
// closed when the test ends. Without Chromium the test is skipped (fails
// under RELAIS_REQUIRE_E2E=1).
func Browser(t *testing.T) context.Context {
	t.Helper()
	var exec string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := lookPath(name); err == nil {
			exec = p
			break
		}
	}
	if exec == "" {
		exec = testenv.NeedTools(t, "chromium")[0]
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, Timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		testenv.Need(t, false, "Chromium does not start: "+err.Error())
	}
	return ctx
}

// Dir is where screenshots go: $RELAIS_SCREENSHOTS, else a temporary
// directory of the test.
func Dir(t *testing.T) string {
	if d := os.Getenv("RELAIS_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// Shoot sets the viewport to w×h and writes what it shows to dir/name.png.
func Shoot(t *testing.T, ctx context.Context, dir, name string, w, h int64) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ShootFull writes the whole page, at viewport width w, to dir/name.png.
func ShootFull(t *testing.T, ctx context.Context, dir, name string, w, h int64) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Text is the text of the element sel of the page the browser shows. A
// page still replacing the last one (after a form's post) answers "no
// node with given id" for a moment: Text asks again, for up to 10 s.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}
