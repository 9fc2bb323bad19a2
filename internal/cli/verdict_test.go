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
	"relais/internal/engine"
	"relais/internal/engine/verdicttest"
	"relais/internal/store"
)

// `relais status` words the verdict of the state Mode urgence recorded
// with the same sentence as the app's Accueil, tray and summary and a
// bundle's summary (verdicttest), in French and in English; where some
// essential app does not answer, it never says "en échec".
func TestStatusSaysTheOneVerdict(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	if err := os.MkdirAll(m.vars["RELAIS_HOME"], 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(m.vars["RELAIS_HOME"], "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range verdicttest.Cases(time.Now()) {
		s := c.Snap
		s.Verdict = engine.Judge(s) // as the engine records it
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RecordLive(context.Background(), store.LiveRecord{PID: os.Getpid(), SnapshotJSON: string(b), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"fr", "en"} {
			r := m.run("--lang", l, "status")
			if !strings.Contains(r.stdout, c.Text(l)+"\n") {
				t.Errorf("%s %s: status does not say %q:\n%s", l, c.Name, c.Text(l), r.stdout)
			}
			// A revoked key: the plain reason, as the app says it.
			if want := map[string]string{"fr": "Cause : ce poste n'est plus autorisé : contactez le centre de services.",
				"en": "Cause: this device is no longer authorised: contact the service desk."}[l]; c.Name == "revoked" && !strings.Contains(r.stdout, want) {
				t.Errorf("%s revoked: status does not say %q:\n%s", l, want, r.stdout)
			}
			if strings.Contains(c.Name, "of three") && c.Name != "none of three" {
				for _, bad := range verdicttest.Contradictions {
					if strings.Contains(r.stdout, bad) {
						t.Errorf("%s %s: status says %q:\n%s", l, c.Name, bad, r.stdout)
					}
				}
			}
		}
	}
}

// `relais up` says each change of Mode urgence with that same verdict
// sentence, then one line per essential app that does not answer, in the
// checks' own words (never "Pas opérationnel" beside "connecté").
func TestUpLinesSayTheOneVerdict(t *testing.T) {
	t.Parallel()
	for _, c := range verdicttest.Cases(time.Now()) {
		if c.Snap.Report == nil {
			continue // up says the tunnel's own lines before any report
		}
		for _, l := range []string{"fr", "en"} {
			var errb strings.Builder
			p := &upPrinter{r: &run{Env: Env{Stderr: &errb, Env: backend.Env{Now: time.Now}}, lang: l}, ready: true}
			s := c.Snap
			s.Verdict = engine.Judge(s)
			p.event(engine.Event{Snapshot: s})
			if engine.Judge(s).Level == engine.VerdictOff {
				if strings.Contains(errb.String(), c.Text(l)) {
					t.Errorf("%s %s: up says Mode urgence is off while it closes:\n%s", l, c.Name, errb.String())
				}
				continue
			}
			if !strings.Contains(errb.String(), "] "+c.Text(l)+"\n") {
				t.Errorf("%s %s: no line says the verdict %q:\n%s", l, c.Name, c.Text(l), errb.String())
			}
			v, want := engine.Judge(s), 0
			if v.Level != engine.VerdictOff && !v.TunnelFailed {
				want = len(v.Failing) + len(v.Slow) + len(v.Maintenance)
			}
			if got := strings.Count(errb.String(), "  • "); got != want {
				t.Errorf("%s %s: %d fault lines, want %d:\n%s", l, c.Name, got, want, errb.String())
			}
			for _, bad := range append(verdicttest.Contradictions, "Pas opérationnel", "Not operational") {
				if v.Level == engine.VerdictPartial && strings.Contains(errb.String(), bad) {
					t.Errorf("%s %s: up says %q:\n%s", l, c.Name, bad, errb.String())
				}
			}
			// The same state again says nothing more.
			n := errb.Len()
			p.event(engine.Event{Snapshot: s})
			if errb.Len() != n {
				t.Errorf("%s %s: the same state was said twice:\n%s", l, c.Name, errb.String())
			}
		}
	}
}
