package app

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/version"
)

// fakeBackend is a frontend.Backend for screen tests: it records what the GUI
// asked and returns what the test set.
type fakeBackend struct {
	mu       sync.Mutex
	starts   []string // the mode of each Start
	stops    int
	rechecks int
	opened   []string // OpenLink ids
	saved    []frontend.Settings
	imported []string
	keysMade int
	lang     string
	active   bool

	snap     engine.Snapshot
	prof     frontend.ProfileState
	assets   map[string][]byte
	settings frontend.Settings
	locks    frontend.Locks
	identity frontend.Identity
	// importErr: ImportConf fails with it; replaced: an import replaced
	// another key; deleted: DeleteKey calls.
	importErr error
	replaced  bool
	deleted   int
	startErr  error
	openErr   error
	demo      bool

	subs map[int]func(engine.Event)
	next int
}

var _ frontend.Backend = (*fakeBackend)(nil)

// newFakeBackend serves the example profile of testdata, with its image.
func newFakeBackend(t testing.TB) *fakeBackend {
	t.Helper()
	b, err := os.ReadFile("../testdata/profiles/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse("example.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile("../testdata/profiles/assets/etape1.png")
	if err != nil {
		t.Fatal(err)
	}
	return &fakeBackend{
		snap:     engine.Snapshot{Phase: engine.PhaseIdle},
		prof:     frontend.ProfileState{Profile: p, Serial: p.Serial, Signature: "valid", FetchedAt: testNow.Add(-3 * time.Minute)},
		assets:   map[string][]byte{"etape1.png": img},
		settings: frontend.DefaultSettings(),
		identity: frontend.Identity{PublicKey: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", Source: "generated", Setup: frontend.SetupReady},
		subs:     map[int]func(engine.Event){},
	}
}

func (f *fakeBackend) Start(mode string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, mode)
	if f.startErr != nil {
		return f.startErr
	}
	f.active = true
	return nil
}

func (f *fakeBackend) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	f.active = false
}

func (f *fakeBackend) Active() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active
}

func (f *fakeBackend) Recheck() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rechecks++
}

func (f *fakeBackend) Snapshot() engine.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeBackend) Subscribe(fn func(engine.Event)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

// emit sets the snapshot and publishes an event of kind with it.
func (f *fakeBackend) emit(kind string, s engine.Snapshot) {
	f.mu.Lock()
	f.snap = s
	subs := make([]func(engine.Event), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(engine.Event{Kind: kind, At: testNow, Snapshot: s})
	}
}

func (f *fakeBackend) Profile() frontend.ProfileState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prof
}

func (f *fakeBackend) Asset(id string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.assets[id]
	return b, ok
}

func (f *fakeBackend) OpenLink(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, id)
	return f.openErr
}

func (f *fakeBackend) Settings() frontend.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeBackend) SaveSettings(s frontend.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.locks.TunnelMode && s.TunnelMode != f.settings.TunnelMode || f.locks.Autostart && s.Autostart != f.settings.Autostart {
		return errors.New("locked")
	}
	f.saved = append(f.saved, s)
	f.settings = s
	return nil
}

func (f *fakeBackend) Locks() frontend.Locks {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.locks
}

func (f *fakeBackend) Identity() frontend.Identity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identity
}

func (f *fakeBackend) GenerateKey(replace bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.identity.PublicKey != "" && !replace {
		return &frontend.IdentityError{Code: frontend.IdentityErrExists, PublicKey: f.identity.PublicKey}
	}
	f.keysMade++
	f.identity = frontend.Identity{PublicKey: "bmV3S2V5bmV3S2V5bmV3S2V5bmV3S2V5bmV3S2V5MDA=", Source: "generated", Setup: frontend.SetupNoAddress}
	return nil
}

// fakeImportKey is the public key of the .conf files the fake imports.
const fakeImportKey = "aW1wb3J0ZWRpbXBvcnRlZGltcG9ydGVkaW1wb3J0ZWQ="

func (f *fakeBackend) ImportConf(path string, replace bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imported = append(f.imported, path)
	if f.importErr != nil {
		return f.importErr
	}
	if f.identity.PublicKey != "" && f.identity.PublicKey != fakeImportKey && !replace {
		return &frontend.IdentityError{Code: frontend.IdentityErrExists, File: filepath.Base(path), PublicKey: f.identity.PublicKey}
	}
	f.replaced = f.replaced || replace
	f.identity = frontend.Identity{PublicKey: fakeImportKey, Source: filepath.Base(path), Addresses: []string{"10.77.0.2/32"}, Setup: frontend.SetupReady}
	return nil
}

func (f *fakeBackend) DeleteKey() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted++
	f.identity = frontend.Identity{Setup: frontend.SetupNone}
	return nil
}

func (f *fakeBackend) SetLanguage(l string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lang = l
}

func (f *fakeBackend) Demo() bool { return f.demo }
func (f *fakeBackend) Close()     {}

// testNow is the fixed clock of the screen tests.
var testNow = time.Date(2026, 11, 22, 14, 30, 0, 0, time.Local)

// notification is one desktop notification a test saw.
type notification struct{ title, body string }

// testUI is a ui on Fyne's test app in language l, with a synchronous
// background, a fixed clock, and recorders for notifications and opened
// URLs. Fyne's thread checks stay on.
type testUI struct {
	*ui
	notes  []notification
	urls   []string
	window fyne.Window
}

func newTestUI(t testing.TB, b frontend.Backend, l string) *testUI {
	t.Helper()
	a := test.NewTempApp(t)
	useLanguage(l)
	tu := &testUI{}
	tu.ui = &ui{
		b: b, app: a, lang: l,
		info:       version.Info{Version: "1.2.3", Commit: "abc1234"},
		now:        func() time.Time { return testNow },
		background: func(f func()) { f() },
		notify:     func(title, body string) { tu.notes = append(tu.notes, notification{title, body}) },
		openURL:    func(u *url.URL) error { tu.urls = append(tu.urls, u.String()); return nil },
	}
	tu.window = test.NewWindow(nil)
	tu.win = tu.window
	t.Cleanup(tu.window.Close)
	tu.prof = b.Profile()
	tu.snap = b.Snapshot()
	return tu
}

// Snapshots of the example profile's apps, for the screen tests.

func checkResult(app, id string, st checks.State, code string) checks.CheckResult {
	c := checks.CheckResult{ID: id, AppID: app, Type: "http", State: st, At: testNow.Add(-20 * time.Second), Duration: 42 * time.Millisecond, Attempts: 1}
	if st != checks.StateOK {
		c.Reason = &checks.Reason{Code: code,
			Text: profile.Text{FR: "Le serveur de " + app + " a refusé la connexion.", EN: "The " + app + " server refused the connection."},
			Next: profile.Text{FR: "Appelez le centre de services au +1-555-0100.", EN: "Call the service desk on +1-555-0100."}}
	}
	return c
}

// sampleSnapshot: tunnel up, last handshake 2 s ago, every app of the
// example ok but messagerie, failed (refused).
func sampleSnapshot(p *profile.Profile) engine.Snapshot {
	rep := &checks.Report{Started: testNow.Add(-21 * time.Second), Finished: testNow.Add(-20 * time.Second)}
	for _, a := range p.Apps {
		ar := checks.AppResult{ID: a.ID, Name: a.Name, Criticality: a.Criticality, State: checks.StateOK}
		st, code := checks.StateOK, ""
		switch a.ID {
		case "messagerie":
			st, code = checks.StateFailed, "refused"
			ar.State = checks.StateFailed
		}
		for _, c := range a.Checks {
			ar.Checks = append(ar.Checks, checkResult(a.ID, c.ID, st, code))
		}
		rep.Apps = append(rep.Apps, ar)
	}
	tto := 1500 * time.Millisecond
	return engine.Snapshot{
		Phase:   engine.PhaseFailed,
		Started: testNow.Add(-30 * time.Second),
		Profile: engine.ProfileInfo{Serial: p.Serial, Signed: true, Signature: "valid"},
		Tunnel: tunnel.Status{Mode: tunnel.ModeUserspace, Up: true, Endpoint: "203.0.113.5:51820",
			LastHandshake: testNow.Add(-2 * time.Second), RxBytes: 4096, TxBytes: 2048},
		Report:            rep,
		Runs:              1,
		TimeToOperational: &tto,
	}
}
