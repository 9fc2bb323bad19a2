package drillrun

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
)

// The example's autumn drill, walked step by step with a scripted clock:
// every kind of step, a failed verification then a retry, a choice, an
// optional step skipped, and the report exactly as expected.
func TestWalkExampleDrillScripted(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	t0 := autumn
	tw := newTestWalker(t, p, t0)
	fe, clk := tw.engine, tw.clock

	run, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != "run-1" || run.State != drills.RunActive || !run.Started.Equal(t0) || run.Current() != 0 || !run.Steps[0].Started.Equal(t0) ||
		!run.Steps[1].Started.IsZero() || run.Language != "fr" || run.ProfileSerial != p.Serial || run.AppVersion != "1.4.0" {
		t.Fatalf("new run: %+v", run)
	}
	wantHash, _ := drills.DrillHash(p.Drills[0])
	if run.DrillHash != wantHash || len(run.DrillHash) != 64 {
		t.Fatalf("drill hash %q, want %q", run.DrillHash, wantHash)
	}

	step := func(id string, in drills.Input) *drills.Run {
		t.Helper()
		r, err := tw.Complete(ctx, run.ID, id, in)
		if err != nil {
			t.Fatalf("complete %s: %v", id, err)
		}
		return r
	}
	clk.Advance(30 * time.Second)
	step("contexte", drills.Input{Note: " Lu. "})
	clk.Advance(90 * time.Second)
	step("connexion", drills.Input{}) // tunnel_up, then annuaire-dns verified
	clk.Advance(4 * time.Minute)
	step("portail", drills.Input{}) // open_link:portail-urgence

	fe.set("paie-web", status.StateFailed)
	clk.Advance(time.Minute)
	failed, err := tw.Complete(ctx, run.ID, "applications", drills.Input{})
	var de *drills.Error
	if !errors.As(err, &de) || de.Code != drills.ErrCodeChecksFailed || de.Detail != "paie-web" {
		t.Fatalf("verification with paie-web down: %v", err)
	}
	if failed == nil || failed.Current() != 3 || failed.Steps[3].State != drills.StepFailed || failed.Steps[3].Failure != drills.ErrCodeChecksFailed ||
		len(failed.Steps[3].Evidence.Checks) != 3 || failed.Steps[3].Evidence.Checks[0].State != status.StateFailed ||
		failed.Steps[3].Evidence.Checks[0].Reason != "code_failed" || !failed.Steps[4].Started.IsZero() {
		t.Fatalf("after a failed verification: %+v", failed)
	}
	fe.set("paie-web", status.StateDegraded) // slow is operational: the step passes
	clk.Advance(2 * time.Minute)
	step("applications", drills.Input{})
	clk.Advance(20 * time.Second)
	step("difficulte", drills.Input{Choice: intp(1)})
	clk.Advance(40 * time.Second)
	if _, err := tw.Skip(ctx, run.ID, "commentaires", ""); err != nil {
		t.Fatalf("skipping an optional step without a reason: %v", err)
	}
	clk.Advance(time.Minute)
	rep, err := tw.Finish(ctx, run.ID, "  Très utile.  ", "Camille <Dupont>")
	if err != nil {
		t.Fatal(err)
	}

	if fe.tunnelUps != 1 || fe.checkRuns != 3 || !reflect.DeepEqual(fe.links, []string{"portail-urgence"}) {
		t.Errorf("engine calls: %d tunnel_up, %d check runs, links %v", fe.tunnelUps, fe.checkRuns, fe.links)
	}
	for i, left := range fe.deadlines {
		if left <= 0 || left > TunnelUpTimeout {
			t.Errorf("engine call %d: %v left on its context, want a deadline of at most %v", i, left, TunnelUpTimeout)
		}
	}

	d := p.Drills[0]
	f := func(d time.Duration) *float64 { v := ms(d); return &v }
	yes := true
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ok := func(id, app string, when time.Duration) drills.CheckEvidence {
		return drills.CheckEvidence{ID: id, AppID: app, State: status.StateOK, At: at(when)}
	}
	want := drills.Report{
		Schema: 1, RunID: "run-1", DrillID: "automne-2026", DrillHash: wantHash, DrillTitle: d.Title, Exercise: "simulation",
		Participant: "Camille <Dupont>", AppVersion: "1.4.0", ProfileSerial: p.Serial, Language: "fr",
		Started: t0, Finished: at(11 * time.Minute), Completed: true, RTOMS: 1_800_000,
		TimeToOperationalMS: f(2 * time.Minute), WithinRTO: &yes, Feedback: "Très utile.",
		Steps: []drills.ReportStep{
			{ID: "contexte", Title: d.Steps[0].Title, Kind: "instruction", Required: true, State: drills.StepDone,
				Started: t0, Finished: at(30 * time.Second), DurationMS: 30_000, Evidence: drills.Evidence{Note: "Lu."}},
			{ID: "connexion", Title: d.Steps[1].Title, Kind: "action", Required: true, State: drills.StepDone,
				Started: at(30 * time.Second), Finished: at(2 * time.Minute), DurationMS: 90_000, ExpectedMS: f(2 * time.Minute),
				Evidence: drills.Evidence{Action: "tunnel_up", Checks: []drills.CheckEvidence{ok("annuaire-dns", "annuaire", 2*time.Minute)}}},
			{ID: "portail", Title: d.Steps[2].Title, Kind: "action", Required: true, State: drills.StepDone,
				Started: at(2 * time.Minute), Finished: at(6 * time.Minute), DurationMS: 240_000, ExpectedMS: f(5 * time.Minute),
				Evidence: drills.Evidence{Action: "open_link:portail-urgence"}},
			{ID: "applications", Title: d.Steps[3].Title, Kind: "check", Required: true, State: drills.StepDone,
				Started: at(6 * time.Minute), Finished: at(9 * time.Minute), DurationMS: 180_000,
				Evidence: drills.Evidence{Checks: []drills.CheckEvidence{
					{ID: "paie-web", AppID: "paie", State: status.StateDegraded, Reason: "code_degraded", At: at(9 * time.Minute)},
					ok("messagerie-imaps", "messagerie", 9*time.Minute), ok("messagerie-smtp", "messagerie", 9*time.Minute)},
					Attempts: []drills.Attempt{{At: at(7 * time.Minute), Failure: drills.ErrCodeChecksFailed, Checks: failed.Steps[3].Evidence.Checks}}}},
			{ID: "difficulte", Title: d.Steps[4].Title, Choices: d.Steps[4].Choices, Kind: "question", Required: true, State: drills.StepDone,
				Started: at(9 * time.Minute), Finished: at(9*time.Minute + 20*time.Second), DurationMS: 20_000,
				Evidence: drills.Evidence{Answer: "Oui, avec l'aide d'un ambassadeur", Choice: intp(1)}},
			{ID: "commentaires", Title: d.Steps[5].Title, Kind: "question", Required: false, State: drills.StepSkipped,
				Started: at(9*time.Minute + 20*time.Second), Finished: at(10 * time.Minute), DurationMS: 40_000},
		},
	}
	if !reflect.DeepEqual(*rep, want) {
		got, _ := rep.JSON()
		exp, _ := want.JSON()
		t.Fatalf("report:\n%s\nwant:\n%s", got, exp)
	}
	// The report of the run as recorded is the same.
	recorded, err := tw.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again := drills.BuildReport(recorded, "Camille <Dupont>"); !reflect.DeepEqual(again, want) {
		t.Fatal("drills.BuildReport of the recorded run differs from Finish's report")
	}
	if recorded.State != drills.RunCompleted || recorded.TimeToOperational == nil || *recorded.TimeToOperational != 2*time.Minute {
		t.Fatalf("recorded run: %+v", recorded)
	}
}

// The demo office's drill (internal/office) walked to completion.
func TestWalkDemoDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo office")
	}
	ctx := context.Background()
	o, err := office.Start(ctx, office.Options{Serial: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	p, err := profile.Parse("demo.toml", o.Profile)
	if err != nil {
		t.Fatal(err)
	}
	tw := newTestWalker(t, p, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	run, err := tw.Start(ctx, p, "demo", "en")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for run.Current() < len(run.Steps) {
		s := run.Steps[run.Current()]
		kinds[s.Kind] = true
		var in drills.Input
		if s.Kind == "question" {
			in.Choice = intp(0)
		}
		tw.clock.Advance(time.Minute)
		if run, err = tw.Complete(ctx, run.ID, s.ID, in); err != nil {
			t.Fatalf("step %s: %v", s.ID, err)
		}
	}
	if len(kinds) != 4 {
		t.Errorf("the demo drill has steps of kinds %v, want all four", kinds)
	}
	rep, err := tw.Finish(ctx, run.ID, "", "Dominique")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Completed || rep.Steps[len(rep.Steps)-1].Evidence.Answer != "Yes, without help" || len(tw.engine.links) != 1 ||
		tw.engine.links[0] != "portail" || rep.TimeToOperationalMS == nil {
		t.Fatalf("demo report: %+v", rep)
	}
}

// miniProfile has one essential app, one important app and a short drill
// with a check step, open all of 2026.
func miniProfile() *profile.Profile {
	no := false
	return &profile.Profile{
		Schema: 1, Serial: 3,
		Apps: []profile.App{
			{ID: "paie", Criticality: "essential", Checks: []profile.Check{{ID: "paie-web", Type: "http"}}},
			{ID: "dossiers", Criticality: "important", Checks: []profile.Check{{ID: "dossiers-web", Type: "http"}}},
		},
		Drills: []profile.Drill{{
			ID: "mini", Title: profile.Text{FR: "Mini", EN: "Mini"}, Exercise: "walkthrough",
			Opens: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Closes: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), RTO: "10m",
			Steps: []profile.Step{
				{ID: "lire", Kind: "instruction"},
				{ID: "verifier", Kind: "check", Checks: []string{"paie-web", "dossiers-web"}},
				{ID: "choix", Kind: "question", Choices: []profile.Text{{FR: "Un", EN: "One"}, {FR: "Deux", EN: "Two"}}},
				{ID: "libre", Kind: "question"},
				{ID: "facultatif", Kind: "instruction", Required: &no},
				{ID: "action", Kind: "action", Action: "run_checks", Checks: []string{"paie-web"}},
			},
		}},
	}
}

var miniNow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func TestVerificationFailureThenRetry(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(ctx, p, "mini", "fr")
	if _, err := tw.Complete(ctx, run.ID, "lire", drills.Input{}); err != nil {
		t.Fatal(err)
	}
	started := tw.clock.Now()

	// The engine cannot run the checks.
	tw.engine.checksErr = errors.New("tunnel down")
	tw.clock.Advance(time.Minute)
	r, err := tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	var de *drills.Error
	if !errors.As(err, &de) || de.Code != drills.ErrCodeChecksFailed || de.Err == nil || de.Err.Error() != "tunnel down" {
		t.Fatalf("checks that cannot run: %v", err)
	}
	if r.Steps[1].State != drills.StepFailed || r.Steps[1].Failure != drills.ErrCodeChecksFailed {
		t.Fatalf("%+v", r.Steps[1])
	}

	// A check down, another missing from the report.
	tw.engine.checksErr = nil
	tw.engine.set("dossiers-web", status.StateBlocked)
	p2 := miniProfile()
	p2.Apps = p2.Apps[1:] // the engine's profile no longer has paie-web
	tw.engine.p = p2
	tw.clock.Advance(time.Minute)
	r, err = tw.Complete(ctx, run.ID, "verifier", drills.Input{Note: "réessai"})
	if codeOf(err) != drills.ErrCodeChecksFailed || err.(*drills.Error).Detail != "paie-web, dossiers-web" {
		t.Fatalf("second try: %v", err)
	}
	ev := r.Steps[1].Evidence
	if len(ev.Checks) != 2 || ev.Checks[0].State != status.StatePending || ev.Checks[0].Reason != drills.ReasonMissing ||
		ev.Checks[1].State != status.StateBlocked || ev.Checks[1].Reason != "code_blocked" || ev.Note != "réessai" {
		t.Fatalf("evidence: %+v", ev)
	}
	if r.Current() != 1 || !r.Steps[1].Started.Equal(started) || !r.Steps[1].Finished.Equal(tw.clock.Now()) {
		t.Fatalf("the failed step is still current, started when it became current: %+v", r.Steps[1])
	}

	// Both up: done, and the next step is current.
	tw.engine.p = p
	tw.engine.set("dossiers-web", status.StateOK)
	tw.clock.Advance(time.Minute)
	r, err = tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps[1].State != drills.StepDone || r.Steps[1].Failure != "" || r.Current() != 2 || !r.Steps[2].Started.Equal(tw.clock.Now()) ||
		r.Steps[1].Evidence.Note != "" || len(r.Steps[1].Evidence.Checks) != 2 {
		t.Fatalf("after the retry: %+v", r.Steps[1:3])
	}
	// The duration counts from when the step became current, retries included.
	if d := drills.BuildReport(r, "").Steps[1].DurationMS; d != ms(3*time.Minute) {
		t.Fatalf("duration %v ms", d)
	}
}

func TestActionFailures(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, _ := tw.Start(ctx, p, "automne-2026", "en")
	if _, err := tw.Complete(ctx, run.ID, "contexte", drills.Input{}); err != nil {
		t.Fatal(err)
	}
	down := errors.New("handshake timeout")
	tw.engine.tunnelErr = down
	r, err := tw.Complete(ctx, run.ID, "connexion", drills.Input{})
	var de *drills.Error
	if !errors.As(err, &de) || de.Code != drills.ErrCodeActionFailed || de.Detail != "tunnel_up" || !errors.Is(err, down) {
		t.Fatalf("tunnel that does not come up: %v", err)
	}
	if r.Steps[1].State != drills.StepFailed || r.Steps[1].Failure != drills.ErrCodeActionFailed || r.Steps[1].Evidence.Action != "tunnel_up" ||
		len(r.Steps[1].Evidence.Checks) != 0 || tw.engine.checkRuns != 0 {
		t.Fatalf("a failed action is not verified: %+v, %d check runs", r.Steps[1], tw.engine.checkRuns)
	}
	// Skipped with a reason, the failure stays on record beside it.
	r, err = tw.Skip(ctx, run.ID, "connexion", "pas de réseau")
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Steps[1]; s.State != drills.StepSkipped || s.SkipReason != "pas de réseau" || s.Failure != drills.ErrCodeActionFailed || r.Current() != 2 {
		t.Fatalf("skipped after failing: %+v", s)
	}
	tw.engine.linkErr = errors.New("no browser")
	if _, err := tw.Complete(ctx, run.ID, "portail", drills.Input{}); codeOf(err) != drills.ErrCodeActionFailed {
		t.Fatalf("link that cannot open: %v", err)
	}

	// No engine at all: steps that need one fail, others work.
	tw.Engine = nil
	if _, err := tw.Complete(ctx, run.ID, "portail", drills.Input{}); codeOf(err) != drills.ErrCodeActionFailed || !errors.Is(err, errNoEngine) {
		t.Fatalf("no engine, action: %v", err)
	}
	if _, err := tw.Skip(ctx, run.ID, "portail", "navigateur absent"); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Complete(ctx, run.ID, "applications", drills.Input{}); codeOf(err) != drills.ErrCodeChecksFailed || !errors.Is(err, errNoEngine) {
		t.Fatalf("no engine, checks: %v", err)
	}
}

func TestSkip(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(ctx, p, "mini", "fr")
	for _, reason := range []string{"", "   "} {
		r, err := tw.Skip(ctx, run.ID, "lire", reason)
		if codeOf(err) != drills.ErrCodeReasonRequired || r == nil || r.Steps[0].State != drills.StepOpen {
			t.Fatalf("skip a required step with reason %q: %v", reason, err)
		}
	}
	if r, _ := tw.Run(ctx, run.ID); r.Steps[0].State != drills.StepOpen || !r.Steps[0].Finished.IsZero() {
		t.Fatalf("a refused skip changed the step: %+v", r.Steps[0])
	}
	tw.clock.Advance(time.Second)
	r, err := tw.Skip(ctx, run.ID, "lire", " déjà lu ")
	if err != nil || r.Steps[0].State != drills.StepSkipped || r.Steps[0].SkipReason != "déjà lu" || r.Current() != 1 ||
		!r.Steps[1].Started.Equal(tw.clock.Now()) {
		t.Fatalf("skip with a reason: %v %+v", err, r)
	}
	for _, id := range []string{"verifier", "choix", "libre"} {
		if _, err := tw.Skip(ctx, run.ID, id, "plus tard"); err != nil {
			t.Fatal(err)
		}
	}
	if r, err = tw.Skip(ctx, run.ID, "facultatif", ""); err != nil || r.Steps[4].State != drills.StepSkipped || r.Steps[4].SkipReason != "" {
		t.Fatalf("skip an optional step without a reason: %v", err)
	}
}

func TestQuestions(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(ctx, p, "mini", "en")
	_, _ = tw.Complete(ctx, run.ID, "lire", drills.Input{})
	_, _ = tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	for _, tc := range []struct {
		step string
		in   drills.Input
		code string
	}{
		{"choix", drills.Input{}, drills.ErrCodeAnswerRequired},
		{"choix", drills.Input{Answer: "Deux"}, drills.ErrCodeAnswerRequired}, // a question with choices takes a choice
		{"choix", drills.Input{Choice: intp(2)}, drills.ErrCodeBadChoice},
		{"choix", drills.Input{Choice: intp(-1)}, drills.ErrCodeBadChoice},
	} {
		r, err := tw.Complete(ctx, run.ID, tc.step, tc.in)
		if codeOf(err) != tc.code || r.Steps[2].State != drills.StepOpen {
			t.Errorf("%s %+v: %v, want %s", tc.step, tc.in, err, tc.code)
		}
	}
	r, err := tw.Complete(ctx, run.ID, "choix", drills.Input{Choice: intp(1)})
	if err != nil || r.Steps[2].Evidence.Answer != "Two" || *r.Steps[2].Evidence.Choice != 1 {
		t.Fatalf("choice: %v %+v", err, r.Steps[2].Evidence)
	}
	for _, in := range []drills.Input{{}, {Answer: " \n "}} {
		if _, err := tw.Complete(ctx, run.ID, "libre", in); codeOf(err) != drills.ErrCodeAnswerRequired {
			t.Fatalf("free text %+v: %v", in, err)
		}
	}
	if _, err := tw.Complete(ctx, run.ID, "libre", drills.Input{Choice: intp(0)}); codeOf(err) != drills.ErrCodeBadChoice {
		t.Fatalf("a choice for a free-text question: %v", err)
	}
	r, err = tw.Complete(ctx, run.ID, "libre", drills.Input{Answer: " Le VPN <b>lent</b> "})
	if err != nil || r.Steps[3].Evidence.Answer != "Le VPN <b>lent</b>" || r.Steps[3].Evidence.Choice != nil {
		t.Fatalf("free text: %v %+v", err, r.Steps[3].Evidence)
	}
}

func TestNotCurrentAndCompleted(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(ctx, p, "mini", "fr")
	for _, id := range []string{"verifier", "nope", ""} {
		if r, err := tw.Complete(ctx, run.ID, id, drills.Input{}); codeOf(err) != drills.ErrCodeNotCurrent || err.(*drills.Error).Detail != id || r.Current() != 0 {
			t.Errorf("complete %q: %v", id, err)
		}
		if _, err := tw.Skip(ctx, run.ID, id, "x"); codeOf(err) != drills.ErrCodeNotCurrent {
			t.Errorf("skip %q: %v", id, err)
		}
	}
	if _, err := tw.Complete(ctx, "nope", "lire", drills.Input{}); codeOf(err) != drills.ErrCodeUnknownRun {
		t.Errorf("unknown run: %v", err)
	}
	if _, err := tw.Run(ctx, "nope"); codeOf(err) != drills.ErrCodeUnknownRun {
		t.Errorf("drills.Run of an unknown run: %v", err)
	}
	if _, err := tw.Finish(ctx, "nope", "", ""); codeOf(err) != drills.ErrCodeUnknownRun {
		t.Errorf("Finish of an unknown run: %v", err)
	}
	// Finish refused with open steps, naming the first.
	_, _ = tw.Complete(ctx, run.ID, "lire", drills.Input{})
	if _, err := tw.Finish(ctx, run.ID, "", ""); codeOf(err) != drills.ErrCodeStepsOpen || err.(*drills.Error).Detail != "verifier" {
		t.Fatalf("finish with open steps: %v", err)
	}
	// A failed step is not finished either.
	tw.engine.set("paie-web", status.StateFailed)
	_, _ = tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	if _, err := tw.Finish(ctx, run.ID, "", ""); codeOf(err) != drills.ErrCodeStepsOpen {
		t.Fatalf("finish with a failed step: %v", err)
	}
	for _, id := range []string{"verifier", "choix", "libre", "facultatif", "action"} {
		if _, err := tw.Skip(ctx, run.ID, id, "manque de temps"); err != nil {
			t.Fatal(err)
		}
	}
	// Every step done or skipped: not current any more, but not finished.
	if _, err := tw.Complete(ctx, run.ID, "action", drills.Input{}); codeOf(err) != drills.ErrCodeNotCurrent {
		t.Fatalf("complete after the last step: %v", err)
	}
	rep, err := tw.Finish(ctx, run.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Completed || rep.TimeToOperationalMS != nil || rep.WithinRTO != nil {
		t.Fatalf("a run of skipped steps: %+v", rep)
	}
	for _, f := range []func() error{
		func() error { _, err := tw.Complete(ctx, run.ID, "lire", drills.Input{}); return err },
		func() error { _, err := tw.Skip(ctx, run.ID, "lire", "x"); return err },
		func() error { _, err := tw.Finish(ctx, run.ID, "", ""); return err },
	} {
		if err := f(); codeOf(err) != drills.ErrCodeRunCompleted {
			t.Errorf("on a completed run: %v", err)
		}
	}
	// The drill can be taken again: a new run.
	again, err := tw.Start(ctx, p, "mini", "fr")
	if err != nil || again.ID == run.ID || again.Current() != 0 {
		t.Fatalf("second run: %v %+v", err, again)
	}
	runs, err := tw.Runs(ctx)
	if err != nil || len(runs) != 2 || runs[0].ID != again.ID || runs[1].ID != run.ID {
		t.Fatalf("Runs: %v %v", err, runs)
	}
}

func TestWindow(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	d := p.Drills[0] // 2026-11-01T00:00:00Z to 2026-11-30T23:59:59Z
	for _, tc := range []struct {
		at   time.Time
		want drills.Window
	}{
		{d.Opens.Add(-time.Nanosecond), drills.WindowUpcoming},
		{d.Opens, drills.WindowOpen},
		{d.Closes.Add(-time.Nanosecond), drills.WindowOpen},
		{d.Closes, drills.WindowClosed},
		{d.Closes.AddDate(1, 0, 0), drills.WindowClosed},
	} {
		if got := drills.WindowAt(d, tc.at); got != tc.want {
			t.Errorf("drills.WindowAt(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
	for _, at := range []time.Time{d.Opens.Add(-time.Hour), d.Closes} {
		tw := newTestWalker(t, p, at)
		if _, err := tw.Start(ctx, p, "automne-2026", "fr"); codeOf(err) != drills.ErrCodeWindowClosed || err.(*drills.Error).Detail != "automne-2026" {
			t.Errorf("start at %v: %v", at, err)
		}
		if runs, _ := tw.Runs(ctx); len(runs) != 0 {
			t.Errorf("a refused start recorded a run")
		}
	}
	tw := newTestWalker(t, p, autumn)
	for _, prof := range []*profile.Profile{p, nil} {
		if _, err := tw.Start(ctx, prof, "hiver", "fr"); codeOf(err) != drills.ErrCodeUnknownDrill {
			t.Errorf("unknown drill: %v", err)
		}
	}
	// A run under way resumes after its window closed.
	run, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil {
		t.Fatal(err)
	}
	tw.clock.Advance(60 * 24 * time.Hour)
	if again, err := tw.Start(ctx, p, "automne-2026", "en"); err != nil || again.ID != run.ID || again.Language != "fr" {
		t.Fatalf("resume after the window: %v", err)
	}
	if _, err := tw.Complete(ctx, run.ID, "contexte", drills.Input{}); err != nil {
		t.Fatal(err)
	}
}

// A new Walker on the same file (a restarted process) carries on at the
// same step with every piece of evidence.
func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, _ := tw.Start(ctx, p, "automne-2026", "fr")
	tw.clock.Advance(time.Minute)
	if _, err := tw.Complete(ctx, run.ID, "contexte", drills.Input{Note: "ok"}); err != nil {
		t.Fatal(err)
	}
	tw.engine.set("annuaire-dns", status.StateFailed)
	tw.clock.Advance(time.Minute)
	before, err := tw.Complete(ctx, run.ID, "connexion", drills.Input{Note: "lent"})
	if codeOf(err) != drills.ErrCodeChecksFailed {
		t.Fatal(err)
	}
	if err := tw.db.Close(); err != nil {
		t.Fatal(err)
	}

	tw.open(t)
	after, err := tw.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart:\n%+v\nbefore:\n%+v", after, before)
	}
	resumed, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil || !reflect.DeepEqual(resumed, before) {
		t.Fatalf("Start after restart: %v\n%+v", err, resumed)
	}
	if resumed.Current() != 1 || resumed.Steps[1].Evidence.Checks[0].ID != "annuaire-dns" || resumed.Steps[0].Evidence.Note != "ok" {
		t.Fatalf("resumed at step %d: %+v", resumed.Current(), resumed.Steps[:2])
	}
	tw.engine.set("annuaire-dns", status.StateOK)
	if r, err := tw.Complete(ctx, run.ID, "connexion", drills.Input{}); err != nil || r.Current() != 2 {
		t.Fatalf("carry on: %v", err)
	}
}

// A run keeps the drill it started with, whatever the profile says later.
func TestRunKeepsItsDrill(t *testing.T) {
	ctx := context.Background()
	p := exampleProfile(t)
	tw := newTestWalker(t, p, autumn)
	run, err := tw.Start(ctx, p, "automne-2026", "fr")
	if err != nil {
		t.Fatal(err)
	}
	kept := p.Drills[0] // as a run keeps it: its window in UTC
	kept.Opens, kept.Closes = kept.Opens.UTC(), kept.Closes.UTC()
	orig, _ := json.Marshal(kept)

	newer := exampleProfile(t)
	newer.Serial++
	newer.Drills[0].Title.FR = "Nouveau titre"
	newer.Drills[0].Steps = newer.Drills[0].Steps[3:] // the first three steps removed
	newer.Drills[0].RTO = "5m"
	for _, prof := range []*profile.Profile{newer, {Serial: 99}, nil} {
		again, err := tw.Start(ctx, prof, "automne-2026", "fr")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(again.Drill)
		if again.ID != run.ID || string(got) != string(orig) || again.DrillHash != run.DrillHash || len(again.Steps) != 6 ||
			again.ProfileSerial != p.Serial {
			t.Fatalf("resumed with a newer profile: %s", got)
		}
		if h, _ := drills.DrillHash(again.Drill); h != run.DrillHash {
			t.Fatalf("hash of the snapshot %s, recorded %s", h, run.DrillHash)
		}
	}
	if h, _ := drills.DrillHash(newer.Drills[0]); h == run.DrillHash {
		t.Fatal("a changed drill hashes the same")
	}
	// The run walks its own steps: the first one is still contexte.
	if _, err := tw.Complete(ctx, run.ID, "contexte", drills.Input{}); err != nil {
		t.Fatal(err)
	}
	// The same drill in another time zone is the same drill.
	shifted := p.Drills[0]
	loc := time.FixedZone("EST", -5*3600)
	shifted.Opens, shifted.Closes = shifted.Opens.In(loc), shifted.Closes.In(loc)
	if h, _ := drills.DrillHash(shifted); h != run.DrillHash {
		t.Fatal("the hash depends on the time zone")
	}
}

func TestTimeToOperational(t *testing.T) {
	ctx := context.Background()
	minute := time.Minute
	for _, tc := range []struct {
		name       string
		engineFrom time.Duration // engine start, relative to the run's start
		engineTTO  *time.Duration
		paie       status.State // paie-web during the run's verifications
		want       *time.Duration
		within     bool
	}{
		{"engine started during the run", 2 * time.Minute, &minute, status.StateOK, ptr(3 * time.Minute), true},
		{"engine operational before the run: the run's own measure", -time.Hour, &minute, status.StateOK, ptr(2 * time.Minute), true},
		{"engine not operational, verification ok", 0, nil, status.StateDegraded, ptr(2 * time.Minute), true},
		{"never", -time.Hour, nil, status.StateFailed, nil, false},
		{"beyond the objective", 5 * time.Minute, ptr(6 * time.Minute), status.StateOK, ptr(11 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := miniProfile()
			tw := newTestWalker(t, p, miniNow)
			tw.engine.snapshot.Started = miniNow.Add(tc.engineFrom)
			tw.engine.snapshot.TimeToOperational = tc.engineTTO
			tw.engine.set("paie-web", tc.paie)
			tw.engine.set("dossiers-web", status.StateFailed) // important, not essential
			run, _ := tw.Start(ctx, p, "mini", "fr")
			tw.clock.Advance(time.Minute)
			_, _ = tw.Complete(ctx, run.ID, "lire", drills.Input{})
			tw.clock.Advance(time.Minute)
			_, _ = tw.Complete(ctx, run.ID, "verifier", drills.Input{}) // fails (dossiers-web), sees paie
			tw.engine.set("paie-web", status.StateOK)
			tw.clock.Advance(time.Minute)
			for _, id := range []string{"verifier", "choix", "libre", "facultatif", "action"} {
				_, _ = tw.Skip(ctx, run.ID, id, "test")
			}
			rep, err := tw.Finish(ctx, run.ID, "", "")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == nil && rep.TimeToOperationalMS != nil:
				t.Fatalf("time to operational %v, want none", *rep.TimeToOperationalMS)
			case tc.want == nil:
				return
			case rep.TimeToOperationalMS == nil || *rep.TimeToOperationalMS != ms(*tc.want):
				t.Fatalf("time to operational %v, want %v", rep.TimeToOperationalMS, *tc.want)
			case rep.WithinRTO == nil || *rep.WithinRTO != tc.within:
				t.Fatalf("within %v, want %v", rep.WithinRTO, tc.within)
			}
		})
	}
}

func ptr(d time.Duration) *time.Duration { return &d }

// Cancelling the caller's context during an engine call is no verdict on
// the step: it stays as it was.
func TestCancelDuringEngineCall(t *testing.T) {
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(context.Background(), p, "mini", "fr")
	_, _ = tw.Complete(context.Background(), run.ID, "lire", drills.Input{})
	tw.engine.block = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := tw.Complete(ctx, run.ID, "verifier", drills.Input{})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || codeOf(err) != "" {
		t.Fatalf("cancelled: %v", err)
	}
	r, _ := tw.Run(context.Background(), run.ID)
	if s := r.Steps[1]; s.State != drills.StepOpen || !s.Finished.IsZero() || s.Failure != "" {
		t.Fatalf("a cancelled verification changed the step: %+v", s)
	}
	// The call had its own deadline within the caller's context.
	if left := tw.engine.deadlines[len(tw.engine.deadlines)-1]; left <= 0 || left > RunChecksTimeout {
		t.Fatalf("RunChecks called with %v left, want at most %v", left, RunChecksTimeout)
	}
}

func TestDefaultID(t *testing.T) {
	w := &Walker{}
	a, b := w.newID(), w.newID()
	if _, err := hex.DecodeString(a); err != nil || len(a) != 32 || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
}

// Two processes starting the same drill at once end up in one run.
func TestStartRace(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	other, err := store.Open(tw.path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	walkers := []*Walker{
		{DB: tw.db, Now: tw.clock.Now},
		{DB: other, Now: tw.clock.Now},
	}
	ids := make([]string, 2)
	var wg sync.WaitGroup
	for i, w := range walkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := w.Start(ctx, p, "mini", "fr")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = run.ID
		}()
	}
	wg.Wait()
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("runs %v, want one", ids)
	}
}

// A step done after failed attempts keeps them, oldest first, in its
// evidence and its report: when, why, how each check answered, the note.
func TestEarlierFailedAttemptsKept(t *testing.T) {
	ctx := context.Background()
	p := miniProfile()
	tw := newTestWalker(t, p, miniNow)
	run, _ := tw.Start(ctx, p, "mini", "fr")
	if _, err := tw.Complete(ctx, run.ID, "lire", drills.Input{}); err != nil {
		t.Fatal(err)
	}
	tw.engine.checksErr = errors.New("tunnel down")
	tw.clock.Advance(time.Minute)
	first := tw.clock.Now()
	tw.Complete(ctx, run.ID, "verifier", drills.Input{Note: "le tunnel tombe"})
	tw.engine.checksErr = nil
	tw.engine.set("dossiers-web", status.StateFailed)
	tw.clock.Advance(time.Minute)
	second := tw.clock.Now()
	tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	tw.engine.set("dossiers-web", status.StateOK)
	tw.clock.Advance(time.Minute)
	r, err := tw.Complete(ctx, run.ID, "verifier", drills.Input{})
	if err != nil {
		t.Fatal(err)
	}
	tw.open(t) // as read again after a restart
	r, _ = tw.Run(ctx, r.ID)
	at := r.Steps[1].Evidence.Attempts
	if len(at) != 2 || !at[0].At.Equal(first) || at[0].Failure != drills.ErrCodeChecksFailed || at[0].Note != "le tunnel tombe" ||
		!at[1].At.Equal(second) || len(at[1].Checks) != 2 || at[1].Checks[1].State != status.StateFailed {
		t.Fatalf("earlier attempts: %+v", at)
	}
	if got := drills.BuildReport(r, "").Steps[1].Evidence.Attempts; len(got) != 2 {
		t.Fatalf("report attempts: %+v", got)
	}
}
