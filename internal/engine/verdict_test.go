package engine_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"relais/internal/engine"
	"relais/internal/engine/verdicttest"
	"relais/internal/i18n"
)

// sentence words v as every front end does.
func sentence(lang string, v engine.Verdict) string {
	key, n, args := v.Message()
	if n >= 0 {
		return i18n.N(lang, key, n, args...)
	}
	return i18n.T(lang, key, args...)
}

func TestVerdictOfEachState(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)
	levels := map[string]engine.VerdictLevel{
		"two of three": engine.VerdictPartial, "one of three": engine.VerdictPartial, "none of three": engine.VerdictFailed,
		"all ok": engine.VerdictOperational, "an optional app down": engine.VerdictOperational, "one slow": engine.VerdictDegraded,
		"tunnel failed": engine.VerdictFailed, "stopped": engine.VerdictOff,
	}
	for _, c := range verdicttest.Cases(now) {
		v := engine.Judge(c.Snap)
		if v.Level != levels[c.Name] {
			t.Errorf("%s: level %q, want %q", c.Name, v.Level, levels[c.Name])
		}
		for _, l := range []string{"fr", "en"} {
			if got := sentence(l, v); got != c.Text(l) {
				t.Errorf("%s %s: %q, want %q", c.Name, l, got, c.Text(l))
			}
		}
	}
	v := engine.Judge(verdicttest.Cases(now)[0].Snap)
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
		s    engine.Snapshot
		want engine.VerdictLevel
	}{
		{engine.Snapshot{}, engine.VerdictOff},
		{engine.Snapshot{Phase: engine.PhaseIdle, Started: now}, engine.VerdictConnecting},
		{engine.Snapshot{Phase: engine.PhaseConnecting, Started: now}, engine.VerdictConnecting},
		{engine.Snapshot{Phase: engine.PhaseChecking, Started: now}, engine.VerdictChecking},
		{engine.Snapshot{Phase: engine.PhaseFailed, Started: now, TunnelError: "x"}, engine.VerdictFailed},
	} {
		if got := engine.Judge(tt.s).Level; got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
	s := verdicttest.Cases(now)[0].Snap
	s.Verdict = engine.Judge(s)
	b, _ := json.Marshal(s)
	var back engine.Snapshot
	if err := json.Unmarshal(b, &back); err != nil || back.Verdict.Level != engine.VerdictPartial || engine.VerdictOf(back).EssentialsAnswering != 2 {
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
		for _, v := range []engine.Verdict{
			{Level: engine.VerdictOff}, {Level: engine.VerdictConnecting}, {Level: engine.VerdictChecking},
			{Level: engine.VerdictFailed, TunnelFailed: true}, {Level: engine.VerdictFailed, EssentialsTotal: 2},
			{Level: engine.VerdictPartial, EssentialsAnswering: 1, EssentialsTotal: 2}, {Level: engine.VerdictDegraded, Slow: []string{"a"}},
			{Level: engine.VerdictOperational}, {Level: engine.VerdictOperational, EssentialsTotal: 1},
			{Level: engine.VerdictOperational, EssentialsTotal: 1, Others: []string{"b"}}, {Level: "newer"},
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
