package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"relais/internal/backend"
	"relais/internal/frontend"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/profile/profiletest"
	"relais/internal/tunnel"
)

// A machine whose managed configuration names only a bootstrap file: a
// second sync, with the profile cached, once dereferenced nil and crashed.
// A package upgrade that ships a newer file at the same path is adopted.
func TestProfileSyncBootstrapFileOnly(t *testing.T) {
	t.Parallel()
	pk, sk := newKey(t)
	o := profiletest.New(t)
	o.Publish(t, sk, 7) // serves the asset the profile pins
	f := filepath.Join(t.TempDir(), "profile.toml")
	install := func(serial int) {
		body := profiletest.Example(t, o.Base(), serial)
		os.WriteFile(f, body, 0o644)
		os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644)
	}
	install(7)
	m := newMachine(t)
	m.manage("", f, pk)
	if r := m.run("profile", "sync"); r.code != ExitOK || !strings.Contains(r.stdout, "Profil accepté : série 7") {
		t.Fatalf("first sync: %+v", r)
	}
	if r := m.run("profile", "sync"); r.code != ExitOK || !strings.Contains(r.stdout, "Profil à jour : série 7") {
		t.Fatalf("second sync: %+v", r)
	}
	install(8)
	r := m.run("profile", "sync", "--json")
	var doc syncJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK || doc.Outcome != "accepted" || doc.Serial != 8 || doc.Source != f {
		t.Fatalf("newer file: %v %+v %+v", err, r, doc)
	}
	if s := m.show(); s.Serial != 8 || !s.Signed {
		t.Fatalf("after the upgrade: %+v", s)
	}
	install(7) // a downgrade of the package: not newer, nothing changes
	if r := m.run("profile", "sync"); r.code != ExitOK || !strings.Contains(r.stdout, "Profil à jour : série 8") {
		t.Fatalf("older file: %+v", r)
	}
}

// bootstrapOffice is the demo office with its profile republished by the
// organisation as a bootstrap file signed with its own key, at serial 7,
// on a machine that names only that file; install replaces the file as a
// package upgrade does.
func bootstrapOffice(t *testing.T) (m *machineT, install func(serial int)) {
	t.Helper()
	return bootstrapOfficeAt(t, "")
}

// bootstrapOfficeAt is bootstrapOffice with the data directory at home
// ("" for a temporary one).
func bootstrapOfficeAt(t *testing.T, home string) (m *machineT, install func(serial int)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Options{Serial: 7, SlowDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	tunnelConfig := func(_ context.Context, _ *backend.Machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	}
	pk, sk := newKey(t)
	f := filepath.Join(t.TempDir(), "profile.toml")
	install = func(serial int) {
		body := bytes.Replace(o.Profile, []byte("serial = 7\n"), []byte(fmt.Sprintf("serial = %d\n", serial)), 1)
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f+".minisig", minisign.Sign(sk, body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install(7)
	m = newMachine(t)
	m.seams.TunnelConfig = tunnelConfig
	if home != "" {
		m.vars["RELAIS_HOME"] = home
	}
	m.manage("", f, pk)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	return m, install
}

func TestCheckAdoptsNewerBootstrapFile(t *testing.T) {
	t.Parallel()
	m, install := bootstrapOffice(t)
	install(8)
	r := m.run("check", "--mode", "userspace", "--json")
	var doc cliCheckDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Profile.Serial != 8 || !doc.Profile.Signed {
		t.Fatalf("check after the upgrade: %v %+v", err, r)
	}
	if s := m.show(); s.Serial != 8 {
		t.Fatalf("stored: %+v", s)
	}
}

func TestUpAdoptsNewerBootstrapFile(t *testing.T) {
	t.Parallel()
	m, install := bootstrapOffice(t)
	install(8)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	upCtx, stop := context.WithCancel(ctx)
	defer stop()
	_, errb, done := m.start(upCtx, "up", "--mode", "userspace")
	for {
		if code, doc := m.status(); code == ExitOK {
			if doc.Profile == nil || doc.Profile.Serial != 8 {
				t.Fatalf("status while up: %+v", doc)
			}
			break
		}
		select {
		case c := <-done:
			t.Fatalf("up ended: %d\n%s", c, errb.String())
		case <-ctx.Done():
			t.Fatalf("up never came up\n%s", errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	if c := <-done; c != ExitOK {
		t.Fatalf("up: %d\n%s", c, errb.String())
	}
}

func TestDeskAdoptsNewerBootstrapFile(t *testing.T) {
	t.Parallel()
	m, install := bootstrapOffice(t)
	install(8)
	d := openDesk(t, m, backend.Options{Lang: "fr"})
	if ps := d.Profile(); ps.Serial != 8 || ps.Signature != "valid" || ps.Problem != nil {
		t.Fatalf("at open: %+v", ps)
	}
	install(9) // upgraded while the app runs
	ch, cancel := events(d)
	defer cancel()
	if err := d.Start(frontend.ModeUserspace); err != nil {
		t.Fatal(err)
	}
	if snap := waitReport(t, ch, 0); snap.Profile.Serial != 9 {
		t.Fatalf("engine: %+v", snap.Profile)
	}
	if ps := d.Profile(); ps.Serial != 9 || ps.Problem != nil {
		t.Fatalf("after Start: %+v", ps)
	}
	d.Stop()
}
