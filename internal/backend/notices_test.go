package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/checks"
	"relais/internal/frontend"
	"relais/internal/notices"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/status"
	"relais/internal/tunnel"
	"relais/internal/tunnel/tunneltest"
)

const noticesPath = "/relais/v1/notices.json"

// noticesMachine is memMachine whose profile names notices signed with a
// notice key of its own; it returns the office and the notice key.
func noticesMachine(t *testing.T) (Env, *profiletest.Office, minisign.PrivateKey, minisign.PrivateKey) {
	t.Helper()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	npk, nsk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := profiletest.New(t)
	body := profiletest.Example(t, o.Base(), 7)
	body = regexpReplaceKey(body, npk.String())
	o.Set(profiletest.ProfilePath, body)
	o.Set(profiletest.SignaturePath, minisign.Sign(sk, body))
	o.Set(profiletest.AssetPath, profiletest.Testdata(t, "profiles", "assets", "etape1.png"))
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
			LimitMemory:     func(int64) {},
			NoticesInterval: 100 * time.Millisecond,
		}}, o, nsk, sk
}

// regexpReplaceKey puts key as the example profile's [notices] public_key.
func regexpReplaceKey(body []byte, key string) []byte {
	lines := bytes.Split(body, []byte("\n"))
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("public_key = ")) {
			lines[i] = []byte(fmt.Sprintf("public_key = %q", key))
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

func noticesDoc(serial int, now time.Time, extra string) []byte {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return []byte(fmt.Sprintf(`{"schema":1,"serial":%d,"issued_at":%q%s,
 "notices":[{"id":"paie-14h","level":"warning","text":{"fr":"La paie est en maintenance jusqu'à 14 h.","en":"Payroll is under maintenance until 2 pm."}},
  {"id":"ancien","level":"info","text":{"fr":"Passé.","en":"Past."},"until":%q}],
 "maintenance":[{"app":"paie","from":%q,"until":%q,"text":{"fr":"Maintenance prévue.","en":"Planned maintenance."}}]}`,
		serial, f(now), extra, f(now.Add(-time.Hour)), f(now.Add(-time.Hour)), f(now.Add(time.Hour))))
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The backend fetches the notices when Mode urgence starts and every
// interval while it runs; an app down during its window reads
// "maintenance" in the snapshot; a refused document keeps the last good
// one, with the coded reason; notices stay shown from the store offline.
func TestLocalNotices(t *testing.T) {
	t.Parallel()
	env, o, nsk, profileSK := noticesMachine(t)
	now := time.Now()
	doc := noticesDoc(3, now, "")
	o.Set(noticesPath, doc)
	o.Set(noticesPath+".minisig", notices.Sign(doc, nsk))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Open(ctx, Options{Env: env, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if st := b.Notices(); st.Configured {
		t.Fatalf("no profile yet, notices %+v", st)
	}
	if err := b.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the notices", func() bool { return b.Notices().Serial == 3 })
	st := b.Notices()
	if !st.Configured || len(st.Active) != 1 || st.Active[0].ID != "paie-14h" || len(st.Maintenance) != 1 ||
		st.Maintenance[0].AppName.FR != "Paie" || st.Problem != nil || st.FetchedAt.IsZero() {
		t.Fatalf("%+v", st)
	}
	waitUntil(t, "paie in maintenance", func() bool {
		s := b.Snapshot()
		if s.Report == nil {
			return false
		}
		a := s.Report.App("paie")
		return a != nil && a.State == status.StateMaintenance && a.Maintenance != nil
	})
	if v := b.Snapshot().Verdict; v.Level == status.VerdictOperational || slices0(v.Failing, "paie") {
		t.Fatalf("verdict %+v", v)
	}

	// Refused: each keeps the last good notices, and says why.
	_, otherSK := keyPair(t)
	hostile := noticesDoc(4, now, `,"tunnel":{"endpoint":"evil.example:51820"}`)
	for _, c := range []struct {
		name      string
		body, sig []byte
		code      string
	}{
		{"another key", noticesDoc(4, now, ""), notices.Sign(noticesDoc(4, now, ""), otherSK), "untrusted_key"},
		{"a profile key", noticesDoc(4, now, ""), notices.Sign(noticesDoc(4, now, ""), profileSK), "untrusted_key"},
		{"a tunnel", hostile, notices.Sign(hostile, nsk), "unknown_field"},
		{"rolled back", noticesDoc(2, now, ""), notices.Sign(noticesDoc(2, now, ""), nsk), "rollback"},
	} {
		o.Set(noticesPath, c.body)
		o.Set(noticesPath+".minisig", c.sig)
		var fe *frontend.Error
		waitUntil(t, c.name+" refused", func() bool {
			st := b.Notices()
			return errors.As(st.Problem, &fe) && fe.Key == "notices.kept" && len(fe.Args) == 1 &&
				fe.Args[0].(*frontend.Error).Key == "notices.reason."+c.code
		})
		if st := b.Notices(); st.Serial != 3 || len(st.Active) != 1 {
			t.Fatalf("%s: the last good notices are gone: %+v", c.name, st)
		}
	}
	newer := noticesDoc(5, now, "")
	o.Set(noticesPath, newer)
	o.Set(noticesPath+".minisig", notices.Sign(newer, nsk))
	waitUntil(t, "the newer notices", func() bool { st := b.Notices(); return st.Serial == 5 && st.Problem == nil })
	b.Close()

	// Offline: another backend on the same machine shows them from the store.
	o.Remove(noticesPath)
	b2, err := Open(ctx, Options{Env: env, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if st := b2.Notices(); st.Serial != 5 || len(st.Active) != 1 {
		t.Fatalf("offline: %+v", st)
	}
	m, err := OpenMachine(env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cur, err := m.Policy().Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.SyncNotices(ctx, cur.Profile); err == nil || notices.Code(err) != "" {
		t.Fatalf("an unreachable source: %v", err)
	}
	st = m.NoticesState(ctx, cur.Profile, time.Now())
	var fe *frontend.Error
	if st.Serial != 5 || !errors.As(st.Problem, &fe) || fe.Key != "notices.kept" || !strings.Contains(fe.Args[0].(*frontend.Error).Key, "unreachable") {
		t.Fatalf("after a failure: %+v", st)
	}
}

func slices0(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keyPair(t *testing.T) (minisign.PublicKey, minisign.PrivateKey) {
	t.Helper()
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

// relais up's session fetches the notices itself: the window shows in its
// engine's snapshot.
func TestUpSessionNotices(t *testing.T) {
	t.Parallel()
	env, o, nsk, _ := noticesMachine(t)
	doc := noticesDoc(3, time.Now(), "")
	o.Set(noticesPath, doc)
	o.Set(noticesPath+".minisig", notices.Sign(doc, nsk))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := OpenMachine(env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.SyncProfile(ctx); err != nil {
		t.Fatal(err)
	}
	s, _, err := m.UpSession(ctx, frontend.ModeUserspace, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Down()
	waitUntil(t, "paie in maintenance under relais up", func() bool {
		snap := s.Engine.Snapshot()
		if snap.Report == nil {
			return false
		}
		a := snap.Report.App("paie")
		return a != nil && a.State == status.StateMaintenance
	})
}
