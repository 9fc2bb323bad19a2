package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/checks"
)

func TestDemoHeadless(t *testing.T) {
	t.Parallel()

	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond // still above the profile's 800 ms degraded_if
	r := m.run("demo", "--headless")
	if r.code != ExitOK {
		t.Fatalf("demo --headless: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The broken app is down as designed, during the maintenance window the
	// office's signed notices announce: planned, not a failure.
	for _, want := range []string{"Paie", "ok", "Dossiers partagés", "dégradée", "Messagerie", "en maintenance (prévue)",
		"En maintenance (prévue) jusqu'au", "Avis de votre organisation :", "⚠ Avertissement — Démonstration : la messagerie est en maintenance prévue",
		"Archives du courrier", "bloquée", "Raison :", "À faire :", "+1-555-0100", "comme prévu"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("relais demo --headless:\n%s", r.stdout)

	// Again, in English and JSON: a second demo is newer than the first
	// (the demo store keeps the old profile) and behaves the same.
	r = m.run("demo", "--headless", "--json", "--lang", "en")
	var doc struct {
		cliCheckDoc
		AsDesigned bool `json:"as_designed"`
		Notices    []struct {
			Level string   `json:"level"`
			Text  textJSON `json:"text"`
		} `json:"notices"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("demo --json: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, a := range doc.Apps {
		got[a.ID] = a.State
	}
	if got["paie"] != "ok" || got["dossiers"] != "degraded" || got["messagerie"] != "maintenance" || got["archives"] != "blocked" || !doc.AsDesigned {
		t.Fatalf("states %v", got)
	}
	if len(doc.Notices) != 1 || doc.Notices[0].Level != "warning" || !strings.Contains(doc.Notices[0].Text.EN, "email") {
		t.Fatalf("notices %+v", doc.Notices)
	}
	if !doc.Tunnel.Up || doc.Tunnel.LastHandshakeAgeS == nil || !doc.Profile.Signed {
		t.Fatalf("tunnel/profile: %+v %+v", doc.Tunnel, doc.Profile)
	}
	if !strings.Contains(r.stderr, "Demo profile accepted") {
		t.Errorf("stderr not in English: %s", r.stderr)
	}
	// The demo never touches the user's own profile cache.
	if r := m.run("profile", "show"); r.code != ExitUnhealthy {
		t.Fatalf("the user's profile cache changed: %+v", r)
	}
}

// demoSurprises is backend.DemoSurprises, as the desk's tests name it.
func demoSurprises(rep *checks.Report) []string { return backend.DemoSurprises(rep) }
