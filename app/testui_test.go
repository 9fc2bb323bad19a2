package app

import (
	"net/url"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"relais/internal/frontend"
	"relais/internal/frontend/frontendtest"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/version"
)

// newFakeBackend is the fake backend of the screen tests: it serves the
// example profile of testdata, with its image, on the tests' clock.
func newFakeBackend(t testing.TB) *frontendtest.Backend {
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
	f := frontendtest.New(p, testNow)
	f.Assets["etape1.png"] = img
	return f
}

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

func checkResult(app, id string, st status.State, code string) status.CheckResult {
	c := status.CheckResult{ID: id, AppID: app, Type: "http", State: st, At: testNow.Add(-20 * time.Second), Duration: 42 * time.Millisecond, Attempts: 1}
	if st != status.StateOK {
		c.Reason = &status.Reason{Code: code,
			Text: profile.Text{FR: "Le serveur de " + app + " a refusé la connexion.", EN: "The " + app + " server refused the connection."},
			Next: profile.Text{FR: "Appelez le centre de services au +1-555-0100.", EN: "Call the service desk on +1-555-0100."}}
	}
	return c
}

// sampleSnapshot: tunnel up, last handshake 2 s ago, every app of the
// example ok but messagerie, failed (refused).
func sampleSnapshot(p *profile.Profile) status.Snapshot {
	rep := &status.Report{Started: testNow.Add(-21 * time.Second), Finished: testNow.Add(-20 * time.Second)}
	for _, a := range p.Apps {
		ar := status.AppResult{ID: a.ID, Name: a.Name, Criticality: a.Criticality, State: status.StateOK}
		st, code := status.StateOK, ""
		switch a.ID {
		case "messagerie":
			st, code = status.StateFailed, "refused"
			ar.State = status.StateFailed
		}
		for _, c := range a.Checks {
			ar.Checks = append(ar.Checks, checkResult(a.ID, c.ID, st, code))
		}
		rep.Apps = append(rep.Apps, ar)
	}
	tto := 1500 * time.Millisecond
	return status.Snapshot{
		Phase:   status.PhaseFailed,
		Started: testNow.Add(-30 * time.Second),
		Profile: status.ProfileInfo{Serial: p.Serial, Signed: true, Signature: "valid"},
		Tunnel: status.Tunnel{Mode: status.ModeUserspace, Up: true, Endpoint: "203.0.113.5:51820",
			LastHandshake: testNow.Add(-2 * time.Second), RxBytes: 4096, TxBytes: 2048},
		Report:            rep,
		Runs:              1,
		TimeToOperational: &tto,
	}
}
