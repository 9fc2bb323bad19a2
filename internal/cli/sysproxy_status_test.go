package cli

import (
	"os"
	"strings"
	"testing"

	"relais/internal/backend"
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
