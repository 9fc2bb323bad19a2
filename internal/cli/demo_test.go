package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDemoHeadless(t *testing.T) {
	defer func(d time.Duration) { demoSlowDelay = d }(demoSlowDelay)
	demoSlowDelay = 900 * time.Millisecond // still above the profile's 800 ms degraded_if

	m := newMachine(t)
	r := m.run("demo", "--headless")
	if r.code != ExitOK {
		t.Fatalf("demo --headless: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Paie", "ok", "Dossiers partagés", "dégradée", "Messagerie", "en panne", "HTTP 503", "comme prévu"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	// Again, in English and JSON: a second demo is newer than the first
	// (the demo store keeps the old profile) and behaves the same.
	r = m.run("demo", "--headless", "--json", "--lang", "en")
	var doc demoJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("demo --json: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, a := range doc.Apps {
		got[a.ID] = a.State
		if !a.AsDesigned {
			t.Errorf("%s: %+v", a.ID, a)
		}
	}
	if got["paie"] != "ok" || got["dossiers"] != "degraded" || got["messagerie"] != "failed" || !doc.AsDesigned {
		t.Fatalf("states %v", got)
	}
	if !doc.Tunnel.Up || doc.Tunnel.LastHandshake.IsZero() || !doc.Profile.Signed {
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

func TestEvalCondition(t *testing.T) {
	tests := []struct {
		cond string
		want bool
		expr string
	}{
		{"[STATUS] == 200", false, "[STATUS] (503) == 200"},
		{"[RESPONSE_TIME] < 1500", true, "[RESPONSE_TIME] (900) < 1500"},
		{"[BODY] == pat(*down*)", true, ""},
		{"[BODY] == pat(*ok*)", false, ""},
		{"[BODY] != pat(*ok*)", true, ""},
	}
	for _, tt := range tests {
		expr, ok := evalCondition(tt.cond, 503, 900*time.Millisecond, `{"status":"down"}`)
		if ok != tt.want || (tt.expr != "" && expr != tt.expr) {
			t.Errorf("%s: %q %v", tt.cond, expr, ok)
		}
	}
	if !globMatch("a*b*c", "axxbyyc") || globMatch("a*b", "ac") || !globMatch("*", "") {
		t.Error("globMatch")
	}
}
