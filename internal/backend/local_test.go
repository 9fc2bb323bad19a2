package backend

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/store"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

// memMachine is an organisation's laptop whose Mode urgence runs on an
// in-memory tunnel (tunneltest): a managed configuration naming a profile
// server (profiletest) and its key, a data directory of its own, and the
// backend's seams for the device identity, the tunnel and the built-in
// probes. No office, no WireGuard, no keyring.
func memMachine(t *testing.T) (Env, *tunneltest.Tunnel) {
	t.Helper()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := profiletest.New(t)
	o.Publish(t, sk, 7)
	dir := t.TempDir()
	conf := filepath.Join(dir, "relais.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("profile_url = %q\ntrusted_keys = [%q]\n", o.URL(), pk.String())), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"RELAIS_HOME": filepath.Join(dir, "home"), "RELAIS_CONFIG": conf, "XDG_CONFIG_HOME": filepath.Join(dir, "config")}
	tun := tunneltest.New(tunnel.Status{Mode: tunnel.ModeUserspace, LastHandshake: time.Now()})
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(probe.Close)
	return Env{GOOS: "linux", Home: dir, Now: time.Now, Getenv: func(k string) string { return vars[k] },
		Seams: Seams{
			TunnelConfig: func(_ context.Context, _ *Machine, p *profile.Profile) (tunnel.Config, error) {
				return tunnel.FromProfile(p.Tunnel, tunnel.Key{1}, []netip.Prefix{netip.MustParsePrefix("10.99.0.7/32")})
			},
			StartTunnel: func(context.Context, tunnel.Config) (tunnel.Tunnel, error) { return tun, nil },
			Checks: func() *checks.Runner {
				return &checks.Runner{InternetURL: probe.URL, CaptiveURL: probe.URL, HandshakeWait: -1}
			},
			LimitMemory: func(int64) {},
		}}, tun
}

// One Mode urgence of the backend on an in-memory tunnel, from Start to
// Stop: the first sync, the report, the live record another process reads,
// the tunnel lock that refuses a second session, and everything let go at
// Stop.
func TestLocalModeUrgenceLifecycle(t *testing.T) {
	t.Parallel()
	env, tun := memMachine(t)
	ctx, b := openLocal(t, env)
	if b.Demo() {
		t.Fatal("an organisation's machine runs the demo office")
	}
	var fe *frontend.Error
	if ps := b.Profile(); ps.Profile != nil || !errors.As(ps.Problem, &fe) || fe.Key != "cli.desk.no_profile" {
		t.Fatalf("before the first sync: %+v", ps)
	}
	reports := make(chan engine.Snapshot, 100)
	unsub := b.Subscribe(func(ev engine.Event) {
		if ev.Snapshot.Report != nil {
			select {
			case reports <- ev.Snapshot:
			default:
			}
		}
	})
	defer unsub()
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-reports:
		if !s.Tunnel.Up || s.Profile.Serial != 7 {
			t.Fatalf("report on %+v", s)
		}
	case <-ctx.Done():
		t.Fatal("no report")
	}
	if ps := b.Profile(); ps.Serial != 7 || ps.Problem != nil {
		t.Fatalf("after the first sync: %+v", ps)
	}
	if !b.Active() {
		t.Fatal("not active")
	}
	live, ok := ReadLive(ctx, b.em.DB, time.Now)
	if !ok || !live.Own() || !live.Tunnel().Up {
		t.Fatalf("live record %+v %v", live, ok)
	}

	// One key, one tunnel: another session on this machine is refused,
	// naming this process.
	m2, err := OpenMachine(env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.NewSession(ctx, tunnel.ModeUserspace, SessionOptions{}, "instance.up.running"); !errors.As(err, &fe) || fe.Key != "instance.up.running" || fe.Args[0] != os.Getpid() {
		t.Fatalf("a second session: %v", err)
	}

	b.Stop()
	if b.Active() || !tun.Closed() {
		t.Fatalf("after Stop: active %v, tunnel closed %v", b.Active(), tun.Closed())
	}
	if _, err := LastLive(ctx, b.em.DB, time.Now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the live record stays after Stop: %v", err)
	}
	s2, err := m2.NewSession(ctx, tunnel.ModeUserspace, SessionOptions{}, "instance.up.running")
	if err != nil {
		t.Fatalf("the tunnel lock was not let go: %v", err)
	}
	if err := s2.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A Start that cannot get a profile (its server does not answer) returns a
// coded error, and Mode urgence stays off.
func TestLocalStartWithoutProfileIsCoded(t *testing.T) {
	t.Parallel()
	env, _ := memMachine(t)
	conf := env.Getenv("RELAIS_CONFIG")
	pk, _, _ := minisign.GenerateKey(rand.Reader)
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("profile_url = %q\ntrusted_keys = [%q]\n", "http://127.0.0.1:1/relais/profile.toml", pk.String())), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Start(frontend.ModeUserspace)
	var fe *frontend.Error
	if !errors.As(err, &fe) || fe.Key != "cli.profile.sync.refused_none" || b.Active() {
		t.Fatalf("Start without a profile: %v (active %v)", err, b.Active())
	}
	if got := frontend.Describe("fr", err); got == "" || got == err.Error() {
		t.Fatalf("not worded: %q", got)
	}
}
