package app

import (
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"relais/internal/diag/bundle"
	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/status"
	"relais/internal/version"
)

// newTestDiag is the Diagnostic screen of a test UI in language l, in a
// 1024×700 window; it reads the log and the delivery again at every
// refresh. The bundle's verdict is a stand-in: these tests are about the
// screen, not about diag's summary.
func newTestDiag(t testing.TB, fb *frontendtest.Backend, l string) (*testUI, *diagScreen, fyne.CanvasObject) {
	t.Helper()
	tu := newTestUI(t, fb, l)
	s := newDiag(tu.ui)
	s.reloadEvery = 0
	s.summarize = func(b *bundle.Bundle, l string) string {
		return "VERDICT(" + l + ") " + b.Manifest.CaseCode + "\nMessagerie : en panne"
	}
	c := s.content()
	tu.window.SetContent(c)
	tu.window.Resize(fyne.NewSize(1024, 700))
	return tu, s, c
}

// sampleBundle is an encrypted bundle as OpenBundle returns it.
func sampleBundle() *bundle.Bundle {
	return &bundle.Bundle{
		Manifest: bundle.Manifest{
			Schema:    bundle.Schema,
			CaseCode:  "RLS-4HXC-W7PJ",
			Created:   testNow.Add(-2 * time.Hour),
			App:       version.Info{Version: "1.2.3", Commit: "abc1234", OS: "linux", Arch: "amd64"},
			Level:     bundle.LevelStandard,
			Encrypted: true,
			Files: []bundle.FileEntry{
				{Name: "summary.html", Size: 5 * 1024},
				{Name: "manifest.json", Size: 900},
				{Name: "log.txt", Size: 3 * 1024 * 1024},
			},
			Failures:   []bundle.CollectorFailure{{Name: "routes", Error: "délai dépassé"}},
			Redactions: 3,
		},
		Files: map[string][]byte{"summary.html": []byte("<html></html>"), "manifest.json": []byte("{}"), "log.txt": []byte("")},
	}
}

// chosenFile is what a file dialog hands over: a file's URI.
type chosenFile struct {
	uri    fyne.URI
	closed bool
}

func chosen(path string) *chosenFile                 { return &chosenFile{uri: storage.NewFileURI(path)} }
func (c *chosenFile) URI() fyne.URI                  { return c.uri }
func (c *chosenFile) Read(p []byte) (n int, e error) { return 0, io.EOF }
func (c *chosenFile) Close() error                   { c.closed = true; return nil }

// Encryption is on by default when the profile gives the helpdesk's key;
// without one it is off, disabled, and the screen says why; a profile that
// starts offering it turns it on.
func TestDiagEncryptionDefault(t *testing.T) {
	fb := newFakeBackend(t)
	fb.Diag.CanEncrypt = true
	_, s, c := newTestDiag(t, fb, "fr")
	if !s.encrypt.Checked || s.encrypt.Disabled() {
		t.Fatalf("can encrypt: checked %v, disabled %v; want on and enabled", s.encrypt.Checked, s.encrypt.Disabled())
	}
	wantText(t, c, "Chiffrer pour le centre de services", "Seul le centre de services pourra ouvrir le fichier.")

	fb2 := newFakeBackend(t)
	_, s2, c2 := newTestDiag(t, fb2, "fr")
	if s2.encrypt.Checked || !s2.encrypt.Disabled() {
		t.Fatalf("cannot encrypt: checked %v, disabled %v; want off and disabled", s2.encrypt.Checked, s2.encrypt.Disabled())
	}
	if !containsText(c2, "ne donne pas de clé du centre de services") {
		t.Errorf("no explanation: %q", visibleTexts(c2))
	}
	d := fb2.Diag
	d.Lock()
	d.CanEncrypt = true
	d.Unlock()
	s2.refresh()
	if !s2.encrypt.Checked || s2.encrypt.Disabled() {
		t.Errorf("the profile now gives a key: checked %v, disabled %v", s2.encrypt.Checked, s2.encrypt.Disabled())
	}
	// The person's choice stays across refreshes.
	s2.encrypt.SetChecked(false)
	s2.refresh()
	if s2.encrypt.Checked {
		t.Error("a refresh turned encryption back on")
	}
}

// The level offered by default is standard, with its explanation; each
// level explains itself.
func TestDiagLevels(t *testing.T) {
	fb := newFakeBackend(t)
	_, s, c := newTestDiag(t, fb, "fr")
	wantText(t, c, "Aucune", "Standard (recommandé)", "Stricte")
	if s.level.Selected != "Standard (recommandé)" || !containsText(c, "Standard : les adresses IP publiques") {
		t.Fatalf("default level %q: %q", s.level.Selected, visibleTexts(c))
	}
	s.level.SetSelected("Stricte")
	if !containsText(c, "Stricte : comme Standard, et les adresses IP internes") {
		t.Errorf("no explanation of strict: %q", visibleTexts(c))
	}
	s.level.SetSelected("Aucune")
	if !containsText(c, "Aucune : les adresses, les noms de machines") {
		t.Errorf("no explanation of none: %q", visibleTexts(c))
	}
}

// Créer le diagnostic passes the level and the encryption chosen, then
// shows the case code, big, with what to do with it, the file, its size,
// whether it is encrypted and what could not be gathered.
func TestDiagExport(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.CanEncrypt = true
	_, s, c := newTestDiag(t, fb, "fr")
	wantNoText(t, c, "Donnez ce code au centre de services", "Copier le code")

	tap(t, c, "Créer le diagnostic")
	if len(d.Exports) != 1 || d.Exports[0] != (frontendtest.Export{Dir: "", Level: "standard", Encrypt: true}) {
		t.Fatalf("exports %+v, want one at the default folder, standard, encrypted", d.Exports)
	}
	path := filepath.Join("/home", "camille", "Téléchargements", "relais-diag-RLS-7K3M-Q9TD.zip.age")
	wantText(t, c, "RLS-7K3M-Q9TD", "Donnez ce code au centre de services",
		"Fichier : "+path, "48,2 Ko, chiffré pour le centre de services.")
	if !s.caseCode.TextStyle.Monospace || s.caseCode.SizeName != "headingText" {
		t.Errorf("the case code is not big and monospace: %+v %q", s.caseCode.TextStyle, s.caseCode.SizeName)
	}
	if s.exportBusy.Visible() || s.export.Disabled() {
		t.Error("the activity still shows, or the button stays disabled, after the export")
	}

	d.CaseCode, d.Failures = "RLS-9PQR-T3WX", []string{"routes", "dns"}
	s.level.SetSelected("Stricte")
	s.encrypt.SetChecked(false)
	tap(t, c, "Créer le diagnostic")
	if len(d.Exports) != 2 || d.Exports[1] != (frontendtest.Export{Dir: "", Level: "strict", Encrypt: false}) {
		t.Fatalf("exports %+v, want the second strict and not encrypted", d.Exports)
	}
	wantText(t, c, "RLS-9PQR-T3WX", "48,0 Ko, non chiffré.",
		"Ces informations n'ont pas pu être recueillies : routes, dns. Le diagnostic contient tout le reste.")
	wantNoText(t, c, "RLS-7K3M-Q9TD")
}

// An export that fails says why, and the button works again.
func TestDiagExportError(t *testing.T) {
	fb := newFakeBackend(t)
	path := filepath.Join("/home", "camille", "Téléchargements", "relais-diag-RLS-7K3M-Q9TD.zip")
	fb.Diag.ExportErr = frontend.Errorf("cli.diag.write_failed", path, "no space left on device")
	_, s, c := newTestDiag(t, fb, "fr")
	tap(t, c, "Créer le diagnostic")
	failed := "Le diagnostic n'a pas pu être créé : Impossible d'écrire le diagnostic " + path + " : no space left on device"
	wantText(t, c, failed)
	wantNoText(t, c, "Donnez ce code au centre de services")
	if s.export.Disabled() {
		t.Error("the button stays disabled after a failure")
	}
	fb.Diag.ExportErr = nil
	tap(t, c, "Créer le diagnostic")
	wantNoText(t, c, failed)
	wantText(t, c, "RLS-7K3M-Q9TD")
}

// Copier le code puts the case code on the clipboard; Ouvrir le dossier
// opens the bundle's folder.
func TestDiagCopyCodeAndFolder(t *testing.T) {
	fb := newFakeBackend(t)
	tu, _, c := newTestDiag(t, fb, "fr")
	tap(t, c, "Créer le diagnostic")
	tap(t, c, "Copier le code")
	if got := tu.app.Clipboard().Content(); got != "RLS-7K3M-Q9TD" {
		t.Errorf("clipboard %q, want the case code", got)
	}
	wantText(t, c, "Code copié")
	tap(t, c, "Ouvrir le dossier")
	if len(tu.urls) != 1 {
		t.Fatalf("opened %q, want the folder", tu.urls)
	}
	u, err := url.Parse(tu.urls[0])
	if err != nil || u.Scheme != "file" || u.Path != filepath.Join("/home", "camille", "Téléchargements") {
		t.Errorf("opened %q (%v), want file:// of the folder", tu.urls[0], err)
	}
	tu.openURL = func(*url.URL) error { return errors.New("aucun gestionnaire de fichiers") }
	tap(t, c, "Ouvrir le dossier")
	// The system's error, not the backend's: the generic sentence.
	wantText(t, c, "Le dossier n'a pas pu être ouvert : Relais a rencontré une erreur. (détail : aucun gestionnaire de fichiers)")
}

// Envoyer au centre de services shows only when the profile has an upload
// address; it queues the bundle's file, and where its delivery stands
// (keyed by the case code) follows on refresh.
func TestDiagUpload(t *testing.T) {
	fb := newFakeBackend(t)
	_, _, c := newTestDiag(t, fb, "fr")
	tap(t, c, "Créer le diagnostic")
	wantNoText(t, c, "Envoyer au centre de services")

	fb = newFakeBackend(t)
	d := fb.Diag
	d.CanUpload = true
	_, s, c := newTestDiag(t, fb, "fr")
	tap(t, c, "Créer le diagnostic")
	dr := fb.Drills
	dr.Delivery = frontend.Delivery{State: frontend.DeliveryPending}
	tap(t, c, "Envoyer au centre de services")
	path := filepath.Join("/home", "camille", "Téléchargements", "relais-diag-RLS-7K3M-Q9TD.zip")
	if len(d.Uploads) != 1 || d.Uploads[0] != path {
		t.Fatalf("uploads %q, want %q", d.Uploads, path)
	}
	wantText(t, c, "En attente d'envoi : le diagnostic partira dès que le réseau le permettra.")
	wantNoText(t, c, "Envoyer au centre de services")
	if calls := dr.Calls(); len(calls) == 0 || calls[len(calls)-1] != "Delivery RLS-7K3M-Q9TD" {
		t.Errorf("delivery asked as %q, want by the case code", calls)
	}

	dr.Lock()
	dr.Delivery = frontend.Delivery{State: frontend.DeliveryPending, Attempts: 2, Problem: frontend.Errorf("cli.drill.delivery_status", 503)}
	dr.Unlock()
	s.refresh()
	wantText(t, c, "En attente d'envoi (tentatives : 2) : le diagnostic partira dès que le réseau le permettra. Dernier essai : le serveur a répondu 503.")

	at := testNow.Add(-time.Minute)
	dr.Lock()
	dr.Delivery = frontend.Delivery{State: frontend.DeliveryDelivered, Attempts: 3, Delivered: at}
	dr.Unlock()
	s.refresh()
	wantText(t, c, "Envoyé au centre de services le "+longDate(testNow, at)+".")

	dr.Lock()
	dr.Delivery = frontend.Delivery{State: frontend.DeliveryRejected, Problem: frontend.Errorf("cli.drill.delivery_status", 413)}
	dr.Unlock()
	s.refresh()
	wantText(t, c, "Refusé par le centre de services : le serveur a répondu 413. Donnez-lui le code et transmettez le fichier autrement.")

	// A new bundle can be sent again.
	tap(t, c, "Créer le diagnostic")
	wantText(t, c, "Envoyer au centre de services")
}

// An upload the backend refuses says why.
func TestDiagUploadError(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.CanUpload, d.UploadErr = true, frontend.Errorf("cli.diag.upload_https")
	_, _, c := newTestDiag(t, fb, "fr")
	tap(t, c, "Créer le diagnostic")
	tap(t, c, "Envoyer au centre de services")
	wantText(t, c, "L'envoi n'a pas pu être demandé : L'adresse d'envoi des diagnostics doit être en https.", "Envoyer au centre de services")
}

// The recent log: the last 200 lines, oldest first, read again on
// refresh when due and with Actualiser; an empty log and an unreadable
// one say so.
func TestDiagRecentLog(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.Log = []bundle.LogLine{
		{At: testNow.Add(-3 * time.Minute), Source: "profile", Message: "profil 42 vérifié"},
		{At: testNow.Add(-2 * time.Minute), Source: "tunnel", Message: "poignée de main avec 203.0.113.5:51820"},
		{At: testNow.Add(-time.Minute), Source: "engine", Message: "messagerie : en panne\n"},
	}
	_, s, c := newTestDiag(t, fb, "fr")
	if len(d.LogReads) != 1 || d.LogReads[0] != 200 {
		t.Fatalf("log reads %v, want one of 200 lines", d.LogReads)
	}
	got := strings.Split(s.logText.Text, "\n")
	want := []string{
		clock(testNow, testNow.Add(-3*time.Minute)) + "  profile  profil 42 vérifié",
		clock(testNow, testNow.Add(-2*time.Minute)) + "  tunnel   poignée de main avec 203.0.113.5:51820",
		clock(testNow, testNow.Add(-time.Minute)) + "  engine   messagerie : en panne",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", s.logText.Text, strings.Join(want, "\n"))
	}
	// The raw log is the program's own words: folded under "Détails",
	// not what a person reads first; opened, it is there, in monospace.
	if containsText(c, "profil 42 vérifié") {
		t.Errorf("the raw log is shown before its Détails line: %q", visibleTexts(c))
	}
	if !containsText(c, "Détails : le journal technique de Relais") {
		t.Fatalf("no Détails line: %q", visibleTexts(c))
	}
	if s.logDetails.Items[0].Open {
		t.Error("the Détails line is open at first")
	}
	test.Tap(findButtonLike(t, s.logDetails))
	if !s.logDetails.Items[0].Open || !s.logText.TextStyle.Monospace || !strings.Contains(s.logText.Text, "profil 42 vérifié") {
		t.Errorf("the log is not shown in monospace once opened: %q", s.logText.Text)
	}

	// Given newest first, it still shows oldest first.
	d.Lock()
	d.Log = []bundle.LogLine{d.Log[2], d.Log[1], d.Log[0], {At: testNow, Source: "outbox", Message: "rapport envoyé"}}
	d.Unlock()
	s.refresh()
	got = strings.Split(s.logText.Text, "\n")
	if len(got) != 4 || got[0] != want[0] || !strings.HasSuffix(got[3], "rapport envoyé") {
		t.Fatalf("log after a refresh:\n%s", s.logText.Text)
	}

	// Not due: a refresh does not read it; Actualiser does.
	s.reloadEvery = time.Hour
	n := len(d.LogReads)
	s.refresh()
	if len(d.LogReads) != n {
		t.Errorf("a refresh read the log %d times before it was due", len(d.LogReads)-n)
	}
	d.Lock()
	d.Log = nil
	d.Unlock()
	tap(t, c, "Actualiser")
	if len(d.LogReads) != n+1 {
		t.Fatalf("Actualiser: %d reads, want %d", len(d.LogReads), n+1)
	}
	wantText(t, c, "Le journal est vide.")
	d.Lock()
	// A store error as the backend codes it (backend.Coded).
	d.LogErr = &frontend.Error{Key: "cli.reason.corrupt", Detail: "database disk image is malformed"}
	d.Unlock()
	tap(t, c, "Actualiser")
	wantText(t, c, "Le journal n'a pas pu être lu : La base de données locale de Relais est endommagée. (détail : database disk image is malformed)")
}

// Opening a bundle shows its case code, its facts, its verdict, its files
// and what could not be gathered; Retour comes back.
func TestDiagOpenBundle(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.Bundle = sampleBundle()
	_, s, c := newTestDiag(t, fb, "fr")
	wantText(t, c, "Ouvrir un diagnostic…", "Clé d'identité age…")
	f := chosen(filepath.Join(t.TempDir(), "relais-diag-RLS-4HXC-W7PJ.zip.age"))
	s.onBundleChosen(f, nil)
	if !f.closed || len(d.Opened) != 1 || d.Opened[0] != [2]string{f.uri.Path(), ""} {
		t.Fatalf("opened %q (closed %v), want the chosen file without identity", d.Opened, f.closed)
	}
	c = s.root
	wantText(t, c, "RLS-4HXC-W7PJ", "VERDICT(fr) RLS-4HXC-W7PJ\nMessagerie : en panne")
	for _, sub := range []string{
		"Créé le " + longDate(testNow, testNow.Add(-2*time.Hour)),
		"Relais 1.2.3 (révision abc1234) — linux/amd64",
		"Anonymisation : standard",
		"Chiffré pour le centre de services",
		"Secrets retirés : 3",
		"summary.html — 5,0 Ko\nmanifest.json — 900 octets\nlog.txt — 3,0 Mo",
		"routes : délai dépassé",
	} {
		if !containsText(c, sub) {
			t.Errorf("%q not shown in %q", sub, visibleTexts(c))
		}
	}
	if s.view != diagBundle {
		t.Fatal("not on the bundle view")
	}
	tap(t, c, "Retour")
	if s.view != diagMain {
		t.Fatal("Retour did not come back")
	}
	wantText(t, c, "Créer le diagnostic")
	s.onBundleChosen(nil, nil) // cancelled
	if len(d.Opened) != 1 {
		t.Errorf("a cancelled dialog opened something: %q", d.Opened)
	}
}

// An encrypted bundle without the right identity says why; choosing the
// identity file then opens it with it.
func TestDiagOpenEncryptedBundle(t *testing.T) {
	fb := newFakeBackend(t)
	d := fb.Diag
	d.Bundle = sampleBundle()
	dir := t.TempDir()
	key := chosen(filepath.Join(dir, "centre-de-services.key"))
	d.NeedIdentity = key.uri.Path()
	_, s, c := newTestDiag(t, fb, "fr")
	s.onBundleChosen(chosen(filepath.Join(dir, "dossier.zip.age")), nil)
	wantText(t, c, "Le diagnostic dossier.zip.age n'a pas pu être ouvert : Cette clé n'ouvre pas le diagnostic "+filepath.Join(dir, "dossier.zip.age")+".")
	if s.view != diagMain {
		t.Fatal("left the main view on an error")
	}
	s.onIdentityChosen(key, nil)
	if len(d.Opened) != 2 || d.Opened[1] != [2]string{filepath.Join(dir, "dossier.zip.age"), key.uri.Path()} {
		t.Fatalf("opened %q, want the bundle again with the identity", d.Opened)
	}
	if s.view != diagBundle || !hasText(s.root, "RLS-4HXC-W7PJ") {
		t.Fatalf("not shown with the identity: %q", visibleTexts(s.root))
	}
	tap(t, s.root, "Retour")
	wantText(t, c, "Clé d'identité : centre-de-services.key", "Retirer la clé")
	wantNoText(t, c, "Le diagnostic dossier.zip.age n'a pas pu être ouvert : Cette clé n'ouvre pas le diagnostic "+filepath.Join(dir, "dossier.zip.age")+".")
	tap(t, c, "Retirer la clé")
	wantNoText(t, c, "Clé d'identité : centre-de-services.key", "Retirer la clé")
}

// An error from OpenBundle (a corrupt file) is a sentence on the main view.
func TestDiagOpenBundleError(t *testing.T) {
	fb := newFakeBackend(t)
	path := filepath.Join(t.TempDir(), "abime.zip")
	fb.Diag.OpenErr = frontend.Errorf("cli.diag.unreadable", path, "diag: summary.html does not match the manifest (altered or damaged)")
	_, s, c := newTestDiag(t, fb, "fr")
	s.openPath(path)
	wantText(t, c, "Le diagnostic abime.zip n'a pas pu être ouvert : Diagnostic "+path+" illisible : diag: summary.html does not match the manifest (altered or damaged)")
	if s.view != diagMain || s.openBundle.Disabled() || s.openBusy.Visible() {
		t.Error("after an error: not back on the main view, ready to open another")
	}
	s.onBundleChosen(nil, errors.New("permission refusée"))
	// The file dialog's error, not the backend's: the generic sentence.
	wantText(t, c, "Le fichier n'a pas pu être choisi : Relais a rencontré une erreur. (détail : permission refusée)")
}

// Both languages: every view in words, no raw key.
func TestDiagLanguages(t *testing.T) {
	for _, l := range []string{"fr", "en"} {
		t.Run(l, func(t *testing.T) {
			fb := newFakeBackend(t)
			d := fb.Diag
			d.CanEncrypt, d.CanUpload, d.Failures, d.Bundle = true, true, []string{"routes"}, sampleBundle()
			d.Log = []bundle.LogLine{{At: testNow, Source: "engine", Message: "ok"}}
			fb.Drills.Delivery = frontend.Delivery{State: frontend.DeliveryPending, Attempts: 1, Problem: frontend.Errorf("cli.drill.delivery_status", 500)}
			_, s, c := newTestDiag(t, fb, l)
			assertNoRawKeys(t, c)
			s.export.OnTapped()
			s.upload.OnTapped()
			s.onCopyCode()
			assertNoRawKeys(t, c)
			s.openPath("/tmp/x.zip")
			if s.view != diagBundle {
				t.Fatal("not on the bundle view")
			}
			assertNoRawKeys(t, s.root)
			s.onBack()
			d.OpenErr, d.ExportErr, d.LogErr = errors.New("x"), errors.New("x"), errors.New("x")
			s.openPath("/tmp/x.zip")
			s.export.OnTapped()
			s.onReload()
			assertNoRawKeys(t, c)
			if l == "en" {
				wantText(t, c, "Make the diagnostics file", "Encrypt for the service desk", "Standard (recommended)", "What happened")
			}
		})
	}
}

// The shell has the Diagnostic tab after Aide and before Réglages; Ctrl+5
// selects it (and reads the log), Ctrl+6 selects Réglages.
func TestShellDiagTab(t *testing.T) {
	fb := newFakeBackend(t)
	tu := newTestUI(t, fb, "fr")
	sh := newShell(tu.ui, "fr")
	sh.start()
	sh.diag.reloadEvery = 0
	names := make([]string, len(sh.tabs.Items))
	for i, it := range sh.tabs.Items {
		names[i] = it.Text
	}
	if got := strings.Join(names, ","); got != "Accueil,Applications,Exercices,Aide,Diagnostic,Réglages" {
		t.Fatalf("tabs %s", got)
	}
	d := fb.Diag
	reads := len(d.LogReads)
	sc := tu.win.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key5, Modifier: fyne.KeyModifierShortcutDefault})
	if sh.tabs.SelectedIndex() != 4 {
		t.Fatalf("Ctrl+5: tab %d, want 4", sh.tabs.SelectedIndex())
	}
	if len(d.LogReads) <= reads {
		t.Error("selecting the tab did not read the log")
	}
	if !hasText(tu.win.Content(), "Créer le diagnostic") {
		t.Errorf("the Diagnostic screen is not shown: %q", visibleTexts(tu.win.Content()))
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key6, Modifier: fyne.KeyModifierShortcutDefault})
	if sh.tabs.SelectedIndex() != 5 {
		t.Fatalf("Ctrl+6: tab %d, want 5", sh.tabs.SelectedIndex())
	}
}

// By default the verdict shown is the bundle's own Summary, in the
// screen's language.
func TestDiagBundleSummaryIsTheBundles(t *testing.T) {
	fb := newFakeBackend(t)
	b := sampleBundle()
	fb.Diag.Bundle = b
	tu := newTestUI(t, fb, "en")
	s := newDiag(tu.ui)
	s.reloadEvery = 0
	tu.window.SetContent(s.content())
	s.openPath("/tmp/x.zip.age")
	want := bundle.Summary(b, "en")
	if want == "" || s.bSummary.Text != want {
		t.Fatalf("summary shown:\n%s\nwant:\n%s", s.bSummary.Text, want)
	}
	if !strings.Contains(want, "RLS-4HXC-W7PJ") {
		t.Errorf("the summary does not name the case code:\n%s", want)
	}
}

// findButtonLike is the accordion's first item header, to tap like a person.
func findButtonLike(t *testing.T, a *widget.Accordion) fyne.Tappable {
	t.Helper()
	for _, o := range test.WidgetRenderer(a).Objects() {
		if b, ok := o.(fyne.Tappable); ok {
			return b
		}
	}
	t.Fatal("no header to tap in the accordion")
	return nil
}

// What happened is said in words, from Mode urgence's timeline, in the
// person's language: never the program's English log lines.
func TestDiagEventsInWords(t *testing.T) {
	for _, tc := range []struct{ lang, none, intro, up string }{
		{"fr", "Le mode urgence n'a encore rien fait depuis l'ouverture de Relais.", "Les derniers événements du mode urgence :", "tunnel actif"},
		{"en", "Mode urgence has done nothing yet since Relais opened.", "Mode urgence's latest events:", "tunnel up"},
	} {
		fb := newFakeBackend(t)
		tu, s, c := newTestDiag(t, fb, tc.lang)
		if !containsText(c, tc.none) {
			t.Errorf("%s: %q", tc.lang, visibleTexts(c))
		}
		tu.snap.Timeline = []status.TimelineEntry{
			{At: testNow.Add(-time.Minute), Kind: status.EventStarted},
			{At: testNow.Add(-50 * time.Second), Kind: status.EventTunnelUp, Detail: "mode userspace"},
		}
		s.refreshLog()
		if !containsText(c, tc.intro) || !containsText(c, clock(testNow, testNow.Add(-50*time.Second))+"  "+tc.up) {
			t.Errorf("%s: events not in words: %q", tc.lang, s.events.Text)
		}
		if strings.Contains(s.events.Text, "tunnel_up") || strings.Contains(s.events.Text, "userspace") {
			t.Errorf("%s: raw codes: %q", tc.lang, s.events.Text)
		}
	}
	useLanguage("fr")
}
