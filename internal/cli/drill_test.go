package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/launch"
	"relais/internal/office"
)

// runIn runs a command with stdin, in the machine's environment.
func (m *machineT) runIn(stdin string, args ...string) result {
	m.t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Env: backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams, Getenv: func(k string) string { return m.vars[k] }}}
	code := Main(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

// watchOffices collects the demo offices the commands start.
func watchOffices(m *machineT) func() []*office.Office {
	var (
		mu   sync.Mutex
		offs []*office.Office
	)
	m.seams.DemoStarted = func(o *office.Office) {
		mu.Lock()
		defer mu.Unlock()
		offs = append(offs, o)
	}
	return func() []*office.Office {
		mu.Lock()
		defer mu.Unlock()
		return append([]*office.Office(nil), offs...)
	}
}

// The demo office's drill, walked from the terminal to the end: the
// tunnel comes up for the connexion step and its check verifies it, the
// portal link opens (recorded, no browser), payroll is checked, the
// question is answered; the report reaches the office's receiver exactly
// once and `drill status` says it was delivered.
func TestDrillStartDemoFromTheTerminal(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond
	offices := watchOffices(m)
	launches := recordLaunches(m)

	r := m.run("drill", "list", "--json")
	var listDoc struct {
		Drills []struct {
			ID     string `json:"id"`
			Window string `json:"window"`
		} `json:"drills"`
	}
	err := json.Unmarshal([]byte(r.stdout), &listDoc)
	list := listDoc.Drills
	if err != nil || r.code != 0 || len(list) != 1 || list[0].ID != "demo" || list[0].Window != "open" {
		t.Fatalf("drill list: %d %v %+v\n%s%s", r.code, err, list, r.stdout, r.stderr)
	}

	// scenario, connexion, portail, paie: Enter; avis: choice 2; feedback.
	r = m.runIn("\n\n\n\n2\nTrès clair.\n", "drill", "start", "demo")
	if r.code != 0 {
		t.Fatalf("drill start: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Étape 1 sur 5", "Étape 5 sur 5", "Exercice « Exercice de démonstration » terminé", "Rapport envoyé"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drill start output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := len(launches()); n != 1 {
		t.Errorf("the portal link opened %d times, want 1", n)
	}
	offs := offices()
	last := offs[len(offs)-1]
	reports := last.Reports()
	if len(reports) != 1 {
		t.Fatalf("the office received %d reports, want 1", len(reports))
	}
	rep, err := drills.ParseReport(reports[0])
	if err != nil {
		t.Fatalf("the received report does not parse: %v\n%s", err, reports[0])
	}
	if !rep.Completed || rep.DrillID != "demo" || len(rep.Steps) != 5 || rep.Feedback != "Très clair." {
		t.Fatalf("report: %+v", rep)
	}
	// The demo's broken app is not essential: the drill reaches
	// operational, and its time to operational is within the objective.
	if rep.TimeToOperationalMS == nil || rep.WithinRTO == nil || !*rep.WithinRTO {
		t.Errorf("the demo drill never reached operational: %v %v", rep.TimeToOperationalMS, rep.WithinRTO)
	}
	if got := rep.Steps[4].Evidence.Answer; got != "Oui, avec de l'aide" {
		t.Errorf("the answer is %q", got)
	}
	if ev := rep.Steps[1].Evidence.Checks; len(ev) != 1 || ev[0].ID != "paie-dns" || ev[0].State != "ok" {
		t.Errorf("connexion evidence: %+v", ev)
	}

	r = m.run("drill", "status", "--json")
	var runsDoc struct {
		Runs []struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			Delivery struct {
				State   string `json:"state"`
				Receipt *struct {
					ID       int64     `json:"id"`
					Received time.Time `json:"received"`
				} `json:"receipt"`
			} `json:"delivery"`
		} `json:"runs"`
	}
	err = json.Unmarshal([]byte(r.stdout), &runsDoc)
	runs := runsDoc.Runs
	if err != nil || r.code != 0 || len(runs) != 1 ||
		runs[0].State != "completed" || runs[0].Delivery.State != frontend.DeliveryDelivered || runs[0].ID != rep.RunID {
		t.Fatalf("drill status: %d %v %+v\n%s%s", r.code, err, runs, r.stdout, r.stderr)
	}
	// The demo office runs the organisation's server: it gave a receipt.
	if rc := runs[0].Delivery.Receipt; rc == nil || rc.ID <= 0 || rc.Received.IsZero() {
		t.Errorf("drill status: no receipt in the delivery: %+v\n%s", rc, r.stdout)
	}

	// The report, as a file, and an ambassador's table of it.
	dir := t.TempDir()
	for _, f := range []string{"r.json", "r.html"} {
		if r := m.run("drill", "report", rep.RunID, "-o", filepath.Join(dir, f)); r.code != 0 {
			t.Fatalf("drill report -o %s: %d\n%s", f, r.code, r.stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "r.html")); !bytes.Contains(b, []byte("Exercice de démonstration")) {
		t.Errorf("HTML report lacks the drill's title")
	}
	csvPath := filepath.Join(dir, "t.csv")
	if r := m.run("drill", "summarize", filepath.Join(dir, "r.json"), "-o", csvPath); r.code != 0 {
		t.Fatalf("drill summarize: %d\n%s", r.code, r.stderr)
	}
	f, _ := os.Open(csvPath)
	defer f.Close()
	bom := make([]byte, 3)
	if _, err := io.ReadFull(f, bom); err != nil || string(bom) != "\ufeff" {
		t.Fatalf("the CSV has no byte order mark: %q %v", bom, err)
	}
	cr := csv.NewReader(f)
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("table: %v %q", err, rows)
	}

	// The page saved by "Enregistrer le rapport" is a report too; a file
	// that is not one gets a sentence, not the decoder's message.
	if r := m.run("drill", "summarize", filepath.Join(dir, "r.html"), "-o", csvPath); r.code != 0 {
		t.Fatalf("drill summarize r.html: %d\n%s", r.code, r.stderr)
	}
	other := filepath.Join(dir, "autre.json")
	os.WriteFile(other, []byte(`{"rows": []}`), 0o644)
	r = m.run("drill", "summarize", other, "-o", csvPath)
	if r.code == 0 || !strings.Contains(r.stderr, "« autre.json » n'est pas un rapport d'exercice de Relais") || strings.Contains(r.stderr, "json:") {
		t.Fatalf("a file that is not a report: %d\n%s", r.code, r.stderr)
	}
}

// A required step is not skipped without a reason; q pauses and start
// resumes at the same step.
func TestDrillPauseSkipAndResume(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond
	// scenario: "p" then an empty reason (EOF): paused, nothing skipped.
	r := m.runIn("p\n", "drill", "start", "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "pourquoi la passez-vous") || !strings.Contains(r.stdout, "Exercice mis en pause") {
		t.Fatalf("skip without reason: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = m.runIn("p\nPas le temps\nq\n", "drill", "start", "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "Étape 2 sur 5") {
		t.Fatalf("skip with a reason: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = m.runIn("q\n", "drill", "start", "demo")
	if !strings.Contains(r.stdout, "Reprise de l'exercice à l'étape 2 sur 5") || !strings.Contains(r.stdout, "Pas le temps") {
		t.Fatalf("resume: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A run resumed after a restart (a new process: Mode urgence is off)
// whose next step opens a link through the tunnel brings the tunnel back
// first: the portal opens instead of "activez d'abord le Mode urgence".
func TestDrillResumeBringsTheTunnelBack(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond
	launches := recordLaunches(m)
	// scenario, connexion (the tunnel comes up), then quit.
	r := m.runIn("\n\nq\n", "drill", "start", "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "Étape 3 sur 5") {
		t.Fatalf("first part: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Durations as a person reads them, not Go's "15m" or "1m0s".
	if !strings.Contains(r.stdout, "objectif de reprise : 15 min") || !strings.Contains(r.stdout, "Durée prévue : 1 min") || strings.Contains(r.stdout, "0s") {
		t.Errorf("durations:\n%s", r.stdout)
	}
	// Restarted: portail at once.
	r = m.runIn("\nq\n", "drill", "start", "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "Étape 4 sur 5") || len(launches()) != 1 {
		t.Fatalf("resumed: the portal did not open (%d launches): %d\n%s%s", len(launches()), r.code, r.stdout, r.stderr)
	}
}

// An action that fails says why and what to do next, in words: never
// the action's code ("open_link:portail").
func TestDrillFailedActionSaysWhy(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.seams.DemoSlowDelay = 900 * time.Millisecond
	// No browser to start with the tunnel's proxy.
	m.seams.NewLauncher = func(dataDir string) *launch.Launcher {
		return &launch.Launcher{DataDir: dataDir,
			Exec:     func(string, ...string) error { return errors.New("exit status 3") },
			LookPath: func(string) (string, error) { return "", errors.New("not found") },
		}
	}
	r := m.runIn("\n\n\nq\n", "drill", "start", "demo")
	out := r.stdout + r.stderr
	if strings.Contains(out, "open_link") || strings.Contains(out, "action_failed") || !strings.Contains(out, "Aucun navigateur compatible") || !strings.Contains(out, "Ouvrez ensuite : http://portail.intra/") {
		t.Fatalf("the failed portal step: %d\n%s", r.code, out)
	}
}
