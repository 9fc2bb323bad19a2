package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"relais/internal/office"
)

// The demo office's signed notices, through `relais check` and `relais
// status`: the essential app designed to be down is "maintenance" during
// its announced window, the verdict says planned maintenance (never
// "failed", never "all works"), and both commands show the active notice,
// in text and JSON.
func TestCheckDemoOfficeMaintenance(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{Serial: 7})
	r := m.runCmd(cmdCheck, "--json", "--mode", "userspace")
	if r.code != ExitUnhealthy {
		t.Fatalf("check: exit %d, want 1 (an essential app does not answer, as announced)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Apps []struct {
			ID, State   string
			Maintenance *struct {
				Until string `json:"until"`
			} `json:"maintenance"`
		} `json:"apps"`
		Verdict struct {
			State       string   `json:"state"`
			Failing     []string `json:"failing"`
			Maintenance []string `json:"maintenance"`
			Text        textJSON `json:"text"`
		} `json:"verdict"`
		Notices []struct {
			ID, Level string
			Text      textJSON `json:"text"`
		} `json:"notices"`
		NoticesSync *struct {
			Serial int64 `json:"serial"`
		} `json:"notices_sync"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	states := map[string]string{}
	for _, a := range doc.Apps {
		states[a.ID] = a.State
		if a.ID == office.MaintenanceApp && (a.Maintenance == nil || a.Maintenance.Until == "") {
			t.Errorf("%s has no window: %+v", a.ID, a)
		}
	}
	if states["paie"] != "ok" || states["dossiers"] != "degraded" || states[office.MaintenanceApp] != "maintenance" || states[office.Dependent] != "blocked" {
		t.Fatalf("states %v", states)
	}
	if doc.Verdict.State != "maintenance" || len(doc.Verdict.Failing) != 0 || len(doc.Verdict.Maintenance) != 1 ||
		doc.Verdict.Text.FR != "Vous êtes connecté à l'environnement d'urgence — 1 application essentielle est en maintenance prévue, les autres répondent." {
		t.Fatalf("verdict %+v", doc.Verdict)
	}
	if len(doc.Notices) != 1 || doc.Notices[0].Level != "warning" || doc.NoticesSync == nil || doc.NoticesSync.Serial != 7 {
		t.Fatalf("notices %+v %+v", doc.Notices, doc.NoticesSync)
	}

	r = m.run("status")
	for _, w := range []string{"Avis de votre organisation :", "⚠ Avertissement — Démonstration : la messagerie est en maintenance prévue"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("status lacks %q:\n%s", w, r.stdout)
		}
	}
	for _, bad := range []string{"Tout fonctionne", "en échec"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("status says %q:\n%s", bad, r.stdout)
		}
	}
	r = m.run("status", "--json", "--lang", "en")
	var st struct {
		Apps []struct {
			ID, State string
		} `json:"apps"`
		Notices []struct {
			Text textJSON `json:"text"`
		} `json:"notices"`
		Maintenance []struct {
			App string `json:"app"`
		} `json:"maintenance"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Notices) != 1 || len(st.Maintenance) != 1 || st.Maintenance[0].App != office.MaintenanceApp {
		t.Fatalf("status --json: %v %+v\n%s", err, st, r.stdout)
	}
	found := false
	for _, a := range st.Apps {
		found = found || a.ID == office.MaintenanceApp && a.State == "maintenance"
	}
	if !found {
		t.Errorf("status --json apps: %+v", st.Apps)
	}
}
