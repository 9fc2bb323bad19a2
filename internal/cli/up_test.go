package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"relais/internal/backend"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The test binary runs many commands in one process: do not give it the
// memory limit of a tunnel process.

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (m *machineT) start(ctx context.Context, args ...string) (out, errb *syncBuffer, done <-chan int) {
	out, errb = &syncBuffer{}, &syncBuffer{}
	env := Env{Stdout: out, Stderr: errb, Env: backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams, Getenv: func(k string) string { return m.vars[k] }}}
	ch := make(chan int, 1)
	go func() { ch <- Main(ctx, args, env) }()
	return out, errb, ch
}

type statusDoc struct {
	Demo   bool `json:"demo"`
	Tunnel *struct {
		tunnel.Status
		Stale bool `json:"stale"`
	} `json:"tunnel"`
	Profile *struct {
		Serial int64 `json:"serial"`
		Signed bool  `json:"signed"`
	} `json:"profile"`
	Engine *struct {
		Phase   string `json:"phase"`
		Stopped bool   `json:"stopped"`
		Runs    int    `json:"runs"`
	} `json:"engine"`
	Checks []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"checks"`
}

func (m *machineT) status() (int, statusDoc) {
	m.t.Helper()
	r := m.run("status", "--json")
	var doc statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		m.t.Fatalf("status --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return r.code, doc
}

func TestUpAgainstTheOffice(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	// The device identity comes from the keyring in the app; here the
	// office issued it.
	tunnelConfig := func(_ context.Context, _ *backend.Machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	}

	m := newMachine(t)
	m.seams.TunnelConfig = tunnelConfig
	if r := m.run("up"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais demo --headless") /* no managed configuration */ {
		t.Fatalf("up without a profile: %+v", r)
	}
	m.manage(o.ProfileURL, "", o.TrustedKey)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	if code, doc := m.status(); code != ExitUnhealthy || doc.Tunnel != nil || doc.Profile == nil || !doc.Profile.Signed {
		t.Fatalf("status before up: %d %+v", code, doc)
	}
	if r := m.run("up", "--socks", "0.0.0.0:1080"); r.code != ExitUsage {
		t.Fatalf("up with a public SOCKS address: %+v", r)
	}

	upCtx, stop := context.WithCancel(ctx)
	defer stop()
	out, errb, done := m.start(upCtx, "up", "--mode", "auto", "--json")
	var doc statusDoc
	for {
		code, d := m.status()
		if code == ExitOK {
			doc = d
			break
		}
		select {
		case c := <-done:
			t.Fatalf("up exited %d\n%s\n%s", c, out, errb)
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("status never showed the tunnel up: %+v\n%s", d, errb)
		}
	}
	st := doc.Tunnel.Status
	if st.Mode != tunnel.ModeUserspace || !st.Up || st.Endpoint != o.Endpoint || st.SOCKS5 == "" || st.HTTPProxy == "" {
		t.Fatalf("recorded status: %+v", st)
	}
	// The record is written as the tunnel comes up, a moment before up
	// prints its document: wait for the document.
	var printed tunnel.Status
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := json.Unmarshal([]byte(out.String()), &printed)
		if err == nil && printed.SOCKS5 == st.SOCKS5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("up --json printed %q (%v)", out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Another program uses the tunnel through the recorded SOCKS5 proxy.
	d, _ := proxy.SOCKS5("tcp", st.SOCKS5, nil, &net.Dialer{Timeout: 5 * time.Second})
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.(proxy.ContextDialer).DialContext}}
	resp, err := c.Get("http://paie.intra/sante")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Fatalf("through the proxy: %d %s", resp.StatusCode, body)
	}
	if r := m.run("status"); r.code != ExitOK || !strings.Contains(r.stdout, "Tunnel : ouvert (sans droits d'administrateur)") {
		t.Fatalf("status: %+v", r)
	}

	stop() // what main does on SIGINT
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("up exit %d\n%s", code, errb)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("up did not stop")
	}
	if code, doc := m.status(); code != ExitUnhealthy || doc.Tunnel != nil {
		t.Fatalf("status after up stopped: %d %+v", code, doc.Tunnel)
	}
	if _, err := net.DialTimeout("tcp", st.SOCKS5, time.Second); err == nil {
		t.Fatal("the SOCKS5 proxy still listens after up stopped")
	}
}

func TestStatusStale(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	if r := m.run("status"); r.code != ExitUnhealthy || !strings.Contains(r.stdout, "aucun tunnel") {
		t.Fatalf("status with nothing recorded: %+v", r)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	up := `{"mode":"userspace","up":true,"endpoint":"127.0.0.1:1"}`
	for _, tt := range []struct {
		pid    int
		at     time.Time
		reason string
	}{
		{1<<22 + 12345, time.Now(), "process_gone"},
		{os.Getpid(), time.Now().Add(-time.Minute), "old_record"},
	} {
		if err := db.RecordLive(context.Background(), store.LiveRecord{PID: tt.pid, SnapshotJSON: liveTunnelJSON(up), UpdatedAt: tt.at}); err != nil {
			t.Fatal(err)
		}
		r := m.run("status", "--json")
		var doc statusJSON
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitUnhealthy || doc.Tunnel == nil ||
			!doc.Tunnel.Stale || doc.Tunnel.StaleReason != tt.reason {
			t.Fatalf("%s: exit %d %v %s", tt.reason, r.code, err, r.stdout)
		}
		if err := db.ClearLive(context.Background(), tt.pid); err != nil { // one record per process
			t.Fatal(err)
		}
	}
}

// TestUpRunsModeUrgence: while `relais up` runs, Mode urgence re-checks
// on its own, and `relais status` from elsewhere shows the engine's phase
// and the last checks; stopping up clears every record.
func TestUpRunsModeUrgence(t *testing.T) {
	t.Parallel()
	// The failure's path: messagerie down, and no maintenance announced.
	o, m := officeMachine(t, office.Options{NoNotices: true})
	if r := m.run("up", "--recheck", "0s"); r.code != ExitUsage || !strings.Contains(r.stderr, "--recheck") {
		t.Fatalf("up --recheck 0s: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	upCtx, stop := context.WithCancel(ctx)
	defer stop()
	out, errb, done := m.start(upCtx, "up", "--mode", "userspace", "--recheck", "1s")

	// wait polls `relais status --json` until ok holds.
	wait := func(what string, ok func(statusJSON) bool) statusJSON {
		t.Helper()
		for {
			r := m.run("status", "--json")
			var doc statusJSON
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("status --json: %v\n%s\n%s", err, r.stdout, r.stderr)
			}
			if ok(doc) {
				if r.code != ExitOK {
					t.Fatalf("status exit %d with the tunnel up\n%s", r.code, r.stdout)
				}
				return doc
			}
			select {
			case c := <-done:
				t.Fatalf("up exited %d\n%s\n%s", c, out, errb)
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				t.Fatalf("%s: never seen; last status %+v\nstderr of up:\n%s", what, doc, errb)
			}
		}
	}
	doc := wait("the first report", func(d statusJSON) bool {
		return d.Tunnel != nil && d.Tunnel.Up && d.Engine != nil && d.Engine.Runs >= 1 && len(d.Checks) > 0
	})
	e := doc.Engine
	if e.Phase != "failed" || e.Stopped || e.Stale || e.PID != os.Getpid() || e.TimeToOperationalMS != nil {
		t.Errorf("engine %+v, want phase failed (messagerie is essential and down), live", e)
	}
	if doc.Tunnel.Mode != tunnel.ModeUserspace || doc.Tunnel.Endpoint != o.Endpoint || doc.Tunnel.SOCKS5 == "" || doc.Tunnel.Stale {
		t.Errorf("tunnel %+v", doc.Tunnel)
	}
	rank := map[string]int{"ok": 1, "degraded": 2, "blocked": 3, "failed": 4}
	apps := map[string]string{} // app -> its worst check state
	for _, c := range doc.Checks {
		if c.AppID != "" && rank[c.State] > rank[apps[c.AppID]] {
			apps[c.AppID] = c.State
		}
	}
	if apps["paie"] != "ok" || apps["messagerie"] != "failed" || apps["dossiers"] != "degraded" || apps[office.Dependent] != "blocked" {
		t.Errorf("checks by app %v\n%+v", apps, doc.Checks)
	}
	for _, c := range doc.Checks {
		if c.State != "ok" && c.ReasonCode == "" {
			t.Errorf("a check at fault without a reason: %+v", c)
		}
	}

	// A re-check comes on its own, without a network change: more runs,
	// newer results in the history.
	first := doc
	doc = wait("a re-check", func(d statusJSON) bool {
		return d.Engine != nil && d.Engine.Runs > first.Engine.Runs && len(d.Checks) > 0 && d.Checks[0].At.After(first.Checks[0].At)
	})
	if doc.Engine.Phase != "failed" {
		t.Errorf("phase after a re-check: %s", doc.Engine.Phase)
	}
	if r := m.run("status"); r.code != ExitOK || !strings.Contains(r.stdout, "Vous êtes connecté à l'environnement d'urgence") || strings.Contains(r.stdout, "en échec") {
		t.Errorf("status:\n%s", r.stdout)
	}

	stop() // SIGINT
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("up exit %d\n%s", code, errb)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("up did not stop")
	}
	// The state changed once (some essential apps do not answer) and is
	// said once, in French, in the verdict's words, with the essential app
	// at fault and its reason on a line of its own.
	se := errb.String()
	const verdict = "Vous êtes connecté à l'environnement d'urgence — 2 applications essentielles sur 3 répondent."
	if n := strings.Count(se, "] "+verdict+"\n"); n != 1 || !strings.Contains(se, "  • Messagerie est en panne") || !strings.Contains(se, "Tunnel fermé.") ||
		strings.Contains(se, "inactif") {
		t.Errorf("stderr of up (%d state lines):\n%s", n, se)
	}
	if strings.Contains(out.String(), verdict) {
		t.Errorf("state lines on stdout:\n%s", out)
	}
	r := m.run("status", "--json")
	var after statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &after); err != nil || r.code != ExitUnhealthy || after.Tunnel != nil || after.Engine != nil {
		t.Fatalf("status after up stopped: exit %d %v\n%s", r.code, err, r.stdout)
	}
	if _, err := net.DialTimeout("tcp", first.Tunnel.SOCKS5, time.Second); err == nil {
		t.Fatal("the SOCKS5 proxy still listens after up stopped")
	}
}

// TestUpOperational: with only healthy essentials, up says once that Mode
// urgence is operational and how long it took, in the language asked for,
// and stays quiet while nothing changes.
func TestUpOperational(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{HealthyEssentialsOnly: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	upCtx, stop := context.WithCancel(ctx)
	defer stop()
	_, errb, done := m.start(upCtx, "--lang", "en", "up", "--mode", "userspace", "--recheck", "200ms")
	for {
		r := m.run("status", "--json")
		var doc statusJSON
		_ = json.Unmarshal([]byte(r.stdout), &doc)
		if doc.Engine != nil && doc.Engine.Runs >= 3 {
			if doc.Engine.Phase != "operational" || doc.Engine.TimeToOperationalMS == nil {
				t.Fatalf("engine %+v", doc.Engine)
			}
			break
		}
		select {
		case c := <-done:
			t.Fatalf("up exited %d\n%s", c, errb)
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("never three runs: %+v\n%s", doc.Engine, errb)
		}
	}
	stop()
	if code := <-done; code != ExitOK {
		t.Fatalf("up exit %d\n%s", code, errb)
	}
	se := errb.String()
	if strings.Count(se, "] You are connected to the emergency environment and every essential application answers.\n") != 1 ||
		strings.Count(se, "Operational ") != 1 || strings.Contains(se, "Opérationnel") || strings.Contains(se, "is off") {
		t.Fatalf("stderr of up:\n%s", se)
	}
}
