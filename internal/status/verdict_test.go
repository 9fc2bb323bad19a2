package status_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"relais/internal/engine/verdicttest"
	"relais/internal/i18n"
	"relais/internal/status"
)

// sentence words v as every front end does.
func sentence(lang string, v status.Verdict) string {
	key, n, args := v.Message()
	if n >= 0 {
		return i18n.N(lang, key, n, args...)
	}
	return i18n.T(lang, key, args...)
}

func TestVerdictOfEachState(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)
	levels := map[string]status.VerdictLevel{
		"two of three": status.VerdictPartial, "one of three": status.VerdictPartial, "none of three": status.VerdictFailed,
		"all ok": status.VerdictOperational, "an optional app down": status.VerdictOperational, "one slow": status.VerdictDegraded,
		"tunnel failed": status.VerdictFailed, "revoked": status.VerdictFailed, "stopped": status.VerdictOff,
		"one of three in maintenance": status.VerdictMaintenance, "two of three in maintenance": status.VerdictMaintenance,
		"three of three in maintenance": status.VerdictMaintenance, "one of three in maintenance, one down": status.VerdictPartial,
	}
	for _, c := range verdicttest.Cases(now) {
		v := status.Judge(c.Snap)
		if v.Level != levels[c.Name] {
			t.Errorf("%s: level %q, want %q", c.Name, v.Level, levels[c.Name])
		}
		for _, l := range []string{"fr", "en"} {
			if got := sentence(l, v); got != c.Text(l) {
				t.Errorf("%s %s: %q, want %q", c.Name, l, got, c.Text(l))
			}
		}
	}
	v := status.Judge(verdicttest.Cases(now)[0].Snap)
	if v.EssentialsAnswering != 2 || v.EssentialsTotal != 3 || !slices.Equal(v.Failing, []string{"messagerie"}) {
		t.Errorf("two of three: %+v", v)
	}
}

// Before the first report, the verdict follows the tunnel; a snapshot read
// back from its JSON record keeps its verdict.
func TestVerdictBeforeReportAndRecorded(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tt := range []struct {
		s    status.Snapshot
		want status.VerdictLevel
	}{
		{status.Snapshot{}, status.VerdictOff},
		{status.Snapshot{Phase: status.PhaseIdle, Started: now}, status.VerdictConnecting},
		{status.Snapshot{Phase: status.PhaseConnecting, Started: now}, status.VerdictConnecting},
		{status.Snapshot{Phase: status.PhaseChecking, Started: now}, status.VerdictChecking},
		{status.Snapshot{Phase: status.PhaseFailed, Started: now, TunnelError: "x"}, status.VerdictFailed},
	} {
		if got := status.Judge(tt.s).Level; got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
	s := verdicttest.Cases(now)[0].Snap
	s.Verdict = status.Judge(s)
	b, _ := json.Marshal(s)
	var back status.Snapshot
	if err := json.Unmarshal(b, &back); err != nil || back.Verdict.Level != status.VerdictPartial || status.VerdictOf(back).EssentialsAnswering != 2 {
		t.Errorf("recorded verdict: %+v %v", back.Verdict, err)
	}
}

// Every sentence Message may name exists in both languages, each plural
// form too.
func TestVerdictKeysTranslated(t *testing.T) {
	t.Parallel()
	for _, l := range []string{"fr", "en"} {
		c, err := i18n.Catalog(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []status.Verdict{
			{Level: status.VerdictOff}, {Level: status.VerdictConnecting}, {Level: status.VerdictChecking},
			{Level: status.VerdictFailed, TunnelFailed: true}, {Level: status.VerdictFailed, EssentialsTotal: 2},
			{Level: status.VerdictPartial, EssentialsAnswering: 1, EssentialsTotal: 2}, {Level: status.VerdictDegraded, Slow: []string{"a"}},
			{Level: status.VerdictOperational}, {Level: status.VerdictOperational, EssentialsTotal: 1},
			{Level: status.VerdictOperational, EssentialsTotal: 1, Others: []string{"b"}}, {Level: "newer"},
		} {
			key, n, _ := v.Message()
			keys := []string{key}
			if n >= 0 {
				keys = []string{key + ".one", key + ".other"}
			}
			for _, k := range keys {
				if c[k] == "" {
					t.Errorf("%s: %s missing", l, k)
				}
			}
		}
	}
}

// Planned maintenance: an essential app that fails during its announced
// window is listed apart, neither failing nor answering, and the sentence
// says so in both languages with the plural of the count; the one
// essential app of a profile in maintenance reads "its", without a number.
func TestVerdictMaintenance(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)
	for _, c := range verdicttest.Cases(now) {
		if c.Name != "one of three in maintenance, one down" {
			continue
		}
		v := status.Judge(c.Snap)
		if !slices.Equal(v.Maintenance, []string{"messagerie"}) || !slices.Equal(v.Failing, []string{"paie"}) || v.EssentialsAnswering != 1 {
			t.Fatalf("%+v", v)
		}
	}
	one := status.Snapshot{Started: now, Phase: status.PhaseFailed, Tunnel: status.Tunnel{Up: true}, Report: &status.Report{Apps: []status.AppResult{
		{ID: "paie", Criticality: "essential", State: status.StateMaintenance}}}}
	v := status.Judge(one)
	if v.Level != status.VerdictMaintenance {
		t.Fatalf("%+v", v)
	}
	for l, want := range map[string]string{
		"fr": "Vous êtes connecté à l'environnement d'urgence — son application essentielle est en maintenance prévue.",
		"en": "You are connected to the emergency environment — its essential application is under planned maintenance.",
	} {
		if got := sentence(l, v); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
}

// ApplyMaintenance marks an app that fails during its window, and only
// then; an app that answers keeps its state, with the window beside it.
func TestApplyMaintenance(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)
	rep := &status.Report{Apps: []status.AppResult{
		{ID: "paie", State: status.StateFailed, Checks: []status.CheckResult{{ID: "paie-web", State: status.StateFailed}}},
		{ID: "annuaire", State: status.StateOK},
		{ID: "messagerie", State: status.StateBlocked},
		{ID: "site-public", State: status.StateFailed},
	}}
	win := func(id string, at time.Time) (status.Maintenance, bool) {
		if id == "site-public" || !at.Equal(now) {
			return status.Maintenance{}, false
		}
		return verdicttest.Window, true
	}
	status.ApplyMaintenance(rep, win, now)
	want := []status.State{status.StateMaintenance, status.StateOK, status.StateMaintenance, status.StateFailed}
	for i, a := range rep.Apps {
		if a.State != want[i] || (a.Maintenance != nil) != (i < 3) {
			t.Errorf("%s: %s %v", a.ID, a.State, a.Maintenance)
		}
	}
	if rep.Apps[0].Checks[0].State != status.StateFailed {
		t.Error("the checks' own states changed")
	}
	b, _ := json.Marshal(rep.Apps[0])
	var back status.AppResult
	if err := json.Unmarshal(b, &back); err != nil || back.State != status.StateMaintenance || back.Maintenance == nil || !back.Maintenance.Until.Equal(verdicttest.Window.Until) {
		t.Fatalf("JSON: %s → %+v %v", b, back, err)
	}
	status.ApplyMaintenance(nil, win, now)
	status.ApplyMaintenance(rep, nil, now)
}
