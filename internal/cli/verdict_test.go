package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/engine"
	"relais/internal/engine/verdicttest"
	"relais/internal/store"
)

// `relais status` words the verdict of the state Mode urgence recorded
// with the same sentence as the app's Accueil, tray and summary and a
// bundle's summary (verdicttest), in French and in English; where some
// essential app does not answer, it never says "en échec".
func TestStatusSaysTheOneVerdict(t *testing.T) {
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
		if err := db.RecordEngineState(context.Background(), store.EngineState{PID: os.Getpid(), SnapshotJSON: string(b), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"fr", "en"} {
			r := m.run("--lang", l, "status")
			if !strings.Contains(r.stdout, c.Text(l)+"\n") {
				t.Errorf("%s %s: status does not say %q:\n%s", l, c.Name, c.Text(l), r.stdout)
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
