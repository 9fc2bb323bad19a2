package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/store"
)

// relais status says the system proxy only when it matters (on, pointed,
// or locked), and always in --json.
func TestStatusSystemProxy(t *testing.T) {
	t.Parallel()
	pk, _ := newKey(t)
	m := newMachine(t)
	m.manage("https://continuite.example.org/profile.toml", "", pk)
	if r := m.run("status"); strings.Contains(r.stdout, "Proxy de mes programmes") {
		t.Fatalf("status with the setting off talks of it:\n%s", r.stdout)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyOff {
		t.Fatalf("--json state %q, want off", st)
	}
	setSystemProxy(t, m, true)
	if r := m.run("status"); !strings.Contains(r.stdout, "Proxy de mes programmes : réglage activé ; vos propres valeurs sont en place (rétablies).") {
		t.Fatalf("status with the setting on:\n%s", r.stdout)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyRestored {
		t.Fatalf("--json state %q, want restored", st)
	}

	conf, err := os.ReadFile(m.vars["RELAIS_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.vars["RELAIS_CONFIG"], append(conf, "[locked]\nsystem_proxy = false\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	m.vars["LANG"] = "en_GB.UTF-8"
	r := m.run("status")
	if !strings.Contains(r.stdout, "My programs' proxy: not changed by Relais (setting off).") || !strings.Contains(r.stdout, "This setting is managed by your organisation.") {
		t.Fatalf("status with the lock off:\n%s", r.stdout)
	}
}

// While Mode urgence runs and could not point the setting, relais status
// says so in words (never the raw code), and --json gives the state
// "failed" with the problem's code. With no Mode urgence running, a code
// left in the store says nothing.
func TestStatusSystemProxyFailed(t *testing.T) {
	t.Parallel()
	pk, _ := newKey(t)
	m := newMachine(t)
	m.manage("https://continuite.example.org/profile.toml", "", pk)
	setSystemProxy(t, m, true)
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.SetSetting(ctx, backend.SettingSystemProxyProblem, backend.SystemProxySetFailed); err != nil {
		t.Fatal(err)
	}
	if st := systemProxyState(t, m); st != backend.SystemProxyRestored {
		t.Fatalf("--json state %q with no Mode urgence running, want restored", st)
	}
	if err := db.RecordLive(ctx, store.LiveRecord{PID: os.Getpid(), SnapshotJSON: liveTunnelJSON(userspaceState), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		code, lang string
		want       []string
	}{
		{backend.SystemProxySetFailed, "fr_FR.UTF-8", []string{
			"Proxy de mes programmes : réglage activé, mais il n'a pas pu être pointé vers Relais ; vos programmes ne passent pas par Relais.",
			"Le réglage de proxy du bureau n'a pas pu être lu ou modifié.",
		}},
		{backend.SystemProxyNoDesktop, "fr_FR.UTF-8", []string{
			"Aucun réglage de proxy du bureau (GNOME, KDE ou Windows) n'a été trouvé dans cette session.",
		}},
		{backend.SystemProxySetFailed, "en_GB.UTF-8", []string{
			"My programs' proxy: setting on, but it could not be pointed at Relais; your programs do not go through Relais.",
			"The desktop's proxy setting could not be read or changed.",
		}},
		{backend.SystemProxyNoDesktop, "en_GB.UTF-8", []string{
			"No desktop proxy setting (GNOME, KDE or Windows) was found in this session.",
		}},
	} {
		if err := db.SetSetting(ctx, backend.SettingSystemProxyProblem, tt.code); err != nil {
			t.Fatal(err)
		}
		m.vars["LANG"] = tt.lang
		r := m.run("status")
		for _, w := range tt.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s %s: status lacks %q:\n%s", tt.code, tt.lang, w, r.stdout)
			}
		}
		if strings.Contains(r.stdout, tt.code) || strings.Contains(r.stdout, "system_proxy") {
			t.Errorf("%s %s: status shows a raw code:\n%s", tt.code, tt.lang, r.stdout)
		}
		var doc struct {
			SystemProxy systemProxyJSON `json:"system_proxy"`
		}
		r = m.run("status", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("status --json: %v\n%s", err, r.stdout)
		}
		if want := (systemProxyJSON{State: backend.SystemProxyFailed, Problem: tt.code, On: true}); doc.SystemProxy != want {
			t.Errorf("--json system_proxy %+v, want %+v", doc.SystemProxy, want)
		}
	}
}
