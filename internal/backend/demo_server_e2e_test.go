package backend_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"relais/internal/backend"
	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/office"
	"relais/internal/server/db"
	"relais/internal/server/web/webtest"
)

// The whole loop of the demo: the demo drill walked to the end through
// the real backend (the demo office in the process, its engine, tunnel,
// store and outbox), the report delivered by the outbox to the
// organisation's server the office runs, and the continuity team's demo
// account finding the drill's figures on its Campagne page in a real
// Chromium; then an encrypted diagnostics bundle uploaded to the same
// server, which the helpdesk's demo account finds by its case code in
// Dossiers, its verdict decrypted with the demo helpdesk's key.
func TestDemoLoopThroughTheServer(t *testing.T) {
	ctx := webtest.Browser(t) // skips without Chromium (fails under RELAIS_REQUIRE_E2E=1)
	home := t.TempDir()
	vars := map[string]string{"RELAIS_HOME": home, "RELAIS_CONFIG": filepath.Join(home, "none.toml"), "LANG": "fr_FR.UTF-8",
		"XDG_CONFIG_HOME": filepath.Join(home, "config")}
	var off *office.Office
	env := backend.Env{GOOS: "linux", Home: home, Now: time.Now,
		Getenv:       func(k string) string { return vars[k] },
		StartProgram: func(string, ...string) error { return nil }, // the portal step's browser
		LookPath: func(name string) (string, error) {
			if name == "chromium" {
				return "/fake/chromium", nil
			}
			return "", errors.New("not found")
		},
		Seams: backend.Seams{DemoSlowDelay: 300 * time.Millisecond, DemoStarted: func(o *office.Office) { off = o }},
	}
	d, err := backend.Open(context.Background(), backend.Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Demo() {
		t.Fatal("not the demo office")
	}

	run, err := d.StartDrill("demo")
	if err != nil {
		t.Fatal(err)
	}
	if off == nil {
		t.Fatal("the demo office did not start")
	}
	for i := 0; run.Current() < len(run.Steps); i++ {
		if i > 10 {
			t.Fatalf("stuck at step %d", run.Current()+1)
		}
		step := run.Drill.Steps[run.Current()]
		var in drills.Input
		if step.Kind == "question" && len(step.Choices) > 0 {
			c := 1
			in.Choice = &c
		}
		if run, err = d.CompleteStep(run.ID, step.ID, in); err != nil {
			t.Fatalf("step %s: %v", step.ID, err)
		}
	}
	rep, err := d.FinishDrill(run.ID, "Très clair, merci.")
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, d, run.ID)
	if got := off.Reports(); len(got) != 1 {
		t.Fatalf("the server stored %d reports, want 1", len(got))
	}
	if del := d.Delivery(run.ID); del.ReceiptID <= 0 || del.Received.IsZero() {
		t.Errorf("the server's receipt did not reach the delivery: %+v", del)
	}

	exp, err := d.ExportDiagnostics(t.TempDir(), "standard", true)
	if err != nil || !exp.Encrypted {
		t.Fatalf("export: %+v %v", exp, err)
	}
	if _, canUpload := d.HelpdeskOptions(); !canUpload {
		t.Fatal("the demo profile offers no upload")
	}
	if err := d.UploadBundle(exp.Path); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, d, exp.CaseCode)

	dir := webtest.Dir(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string { t.Helper(); return webtest.Text(t, ctx, sel) }
	// The app signs in with the accounts the backend gives.
	accounts := map[string]frontend.DemoAccount{}
	for _, a := range d.DemoAccounts() {
		accounts[a.Role] = a
	}
	if len(accounts) != 3 {
		t.Fatalf("demo accounts: %+v", d.DemoAccounts())
	}
	signIn := func(role db.Role) {
		t.Helper()
		a, ok := accounts[string(role)]
		if !ok {
			t.Fatalf("no demo account for %s", role)
		}
		do("sign in as "+a.Name,
			chromedp.Navigate(off.ServerURL+"/connexion?lang=fr"), chromedp.WaitVisible(css("#name")),
			chromedp.SendKeys(css("#name"), a.Name),
			chromedp.SendKeys(css("#password"), a.Password),
			chromedp.Click(css(`form.login button[type="submit"]`)),
			chromedp.WaitVisible(css(`ul.cards`)))
	}

	signIn(db.RoleContinuity)
	campaignURL := d.CampaignURL(rep.DrillID)
	if campaignURL != off.ServerURL+"/campagnes/"+rep.DrillID {
		t.Fatalf("campaign URL %q, server %s", campaignURL, off.ServerURL)
	}
	do("the drill's campaign", chromedp.Navigate(campaignURL), chromedp.WaitVisible(css("#participation")))
	page := text("main")
	for _, want := range []string{"Exercice de démonstration", "Très clair, merci."} {
		if !strings.Contains(page, want) {
			t.Errorf("the campaign page lacks %q:\n%.1500s", want, page)
		}
	}
	if part := text(`section[aria-labelledby="participation"]`); !strings.Contains(part, "1") {
		t.Errorf("participation: %q", part)
	}
	webtest.ShootFull(t, ctx, dir, "demo-campagne-fr", 1280, 800)
	do("sign out", chromedp.Click(css(`form[action="/deconnexion"] button`)), chromedp.WaitVisible(css("#name")))
	signIn(db.RoleHelpdesk)
	caseURL := d.CaseURL(exp.CaseCode)
	if caseURL != off.ServerURL+"/dossiers/"+exp.CaseCode {
		t.Fatalf("case URL %q, server %s", caseURL, off.ServerURL)
	}
	do("the case", chromedp.Navigate(caseURL), chromedp.WaitVisible(css("#verdict")))
	if h1 := text("h1"); !strings.Contains(h1, exp.CaseCode) {
		t.Errorf("case page h1: %q", h1)
	}
	if v := text("#verdict"); strings.Contains(v, "Verdict non disponible") || strings.Contains(text("main"), "n'a pas sa clé") {
		t.Errorf("the verdict was not decrypted: %.800s", text("main"))
	}
	webtest.ShootFull(t, ctx, dir, "demo-dossier-fr", 1280, 800)
	t.Logf("screenshots in %s", dir)
}

// waitDelivered waits until the outbox delivered key (a run id or a case
// code).
func waitDelivered(t *testing.T, d *backend.Local, key string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for d.Delivery(key).State != frontend.DeliveryDelivered {
		if time.Now().After(deadline) {
			t.Fatalf("%s was not delivered: %+v", key, d.Delivery(key))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
