package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"relais/internal/checks"
	"relais/internal/profile"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// The captive built-in probes the profile's [captive] url for its
// expect_status, unless the runner it is given names a probe already (the
// managed configuration's, set by the backend).
func TestEngineCaptiveFromProfile(t *testing.T) {
	t.Parallel()
	var profileHits, managedHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/profile":
			profileHits.Add(1)
			fmt.Fprint(w, "ok") // 200
		case "/managed":
			managedHits.Add(1)
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()
	p := &profile.Profile{Serial: 1, Captive: &profile.Captive{URL: srv.URL + "/profile", ExpectStatus: 200},
		Apps: []profile.App{{ID: "a", Name: profile.Text{FR: "A", EN: "A"}, Criticality: "essential", Requires: []string{profile.BuiltinCaptive}}}}
	run := func(url string, status int) checks.CheckResult {
		ft := tunneltest.New(tunnel.Status{LastHandshake: time.Now(), TxBytes: 148, RxBytes: 92})
		e := fakeEngine(p, ft)
		e.Once = true
		e.Checks = func() *checks.Runner { return &checks.Runner{CaptiveURL: url, CaptiveStatus: status} }
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-e.Done()
		return e.Snapshot().Report.Builtins[profile.BuiltinCaptive]
	}
	c := run("", 0)
	if c.State != checks.StateOK || c.Target != srv.URL+"/profile" || profileHits.Load() != 1 {
		t.Errorf("profile's probe: %s %q, %d requests", c.State, c.Target, profileHits.Load())
	}
	c = run(srv.URL+"/managed", http.StatusAccepted)
	if c.State != checks.StateOK || c.Target != srv.URL+"/managed" || managedHits.Load() != 1 || profileHits.Load() != 1 {
		t.Errorf("managed probe: %s %q, %d/%d requests", c.State, c.Target, managedHits.Load(), profileHits.Load())
	}
}

// Behind a captive portal the checks run again every
// CaptiveRecheckInterval instead of RecheckInterval: once the person has
// logged in, the captive built-in turns green without waiting the full
// interval, nor any "Vérifier".
func TestEngineCaptiveRecheck(t *testing.T) {
	t.Parallel()
	var loggedIn atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loggedIn.Load() {
			http.Redirect(w, r, "http://portail.hotel.example/login", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	p := &profile.Profile{Serial: 1, Captive: &profile.Captive{URL: srv.URL + "/"},
		Apps: []profile.App{{ID: "a", Name: profile.Text{FR: "A", EN: "A"}, Criticality: "essential", Requires: []string{profile.BuiltinCaptive}}}}
	ft := tunneltest.New(tunnel.Status{LastHandshake: time.Now(), TxBytes: 148, RxBytes: 92})
	e := fakeEngine(p, ft)
	e.RecheckInterval = time.Hour
	e.CaptiveRecheckInterval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	captive := func() checks.CheckResult {
		if r := e.Snapshot().Report; r != nil {
			return r.Builtins[profile.BuiltinCaptive]
		}
		return checks.CheckResult{}
	}
	waitFor := func(what string, ok func(checks.CheckResult) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok(captive()) {
			if time.Now().After(deadline) {
				t.Fatalf("never %s: %+v", what, captive())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("behind the portal", func(c checks.CheckResult) bool {
		return c.Reason != nil && c.Reason.Code == checks.CodeCaptivePortal
	})
	loggedIn.Store(true)
	waitFor("past the portal", func(c checks.CheckResult) bool { return c.State == checks.StateOK })
	cancel()
	<-e.Done()
}
