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

	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The test binary runs many commands in one process: do not give it the
// memory limit of a tunnel process.
func init() { limitMemory = func(int64) {} }

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
	env := Env{Stdout: out, Stderr: errb, GOOS: "linux", Home: m.t.TempDir(), Now: time.Now,
		Getenv: func(k string) string { return m.vars[k] }}
	ch := make(chan int, 1)
	go func() { ch <- Main(ctx, args, env) }()
	return out, errb, ch
}

type statusDoc struct {
	Tunnel *struct {
		tunnel.Status
		Stale bool `json:"stale"`
	} `json:"tunnel"`
	Profile *struct {
		Serial int64 `json:"serial"`
		Signed bool  `json:"signed"`
	} `json:"profile"`
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	// The device identity comes from the keyring in the app; here the
	// office issued it.
	defer func(f func(context.Context, *run, *machine, *profile.Profile) (tunnel.Config, error)) {
		tunnelConfigFor = f
	}(tunnelConfigFor)
	tunnelConfigFor = func(_ context.Context, _ *run, _ *machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	}

	m := newMachine(t)
	if r := m.run("up"); r.code != ExitUsage || !strings.Contains(r.stderr, "relais profile sync") {
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
	var printed tunnel.Status
	if err := json.Unmarshal([]byte(out.String()), &printed); err != nil || printed.SOCKS5 != st.SOCKS5 {
		t.Fatalf("up --json printed %q (%v)", out, err)
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
	if r := m.run("status"); r.code != ExitOK || !strings.Contains(r.stdout, "Tunnel : ouvert en mode userspace") {
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
		if err := db.RecordTunnelState(context.Background(), store.TunnelState{PID: tt.pid, StatusJSON: up, UpdatedAt: tt.at}); err != nil {
			t.Fatal(err)
		}
		r := m.run("status", "--json")
		var doc statusJSON
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitUnhealthy || doc.Tunnel == nil ||
			!doc.Tunnel.Stale || doc.Tunnel.StaleReason != tt.reason {
			t.Fatalf("%s: exit %d %v %s", tt.reason, r.code, err, r.stdout)
		}
	}
}

func TestProcessAlive(t *testing.T) {
	if !processAlive(1) && !processAlive(2) {
		t.Skip("cannot see other processes here")
	}
	if processAlive(0) || processAlive(1<<22+12345) {
		t.Fatal("a process that cannot exist is alive")
	}
}
