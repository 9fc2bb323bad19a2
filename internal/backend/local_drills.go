package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"relais/internal/checks"
	"relais/internal/drills"
	"relais/internal/drills/drillrun"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/outbox"
	"relais/internal/profile"
	"relais/internal/version"
)

// The drills half of the backend: a drillrun.Walker on the store where Mode
// urgence records (the demo store in the demo), verifying steps through
// this backend's own Mode urgence, and an outbox that delivers the reports.

// Deadlines of what a drill asks of Mode urgence.
const (
	drillTunnelWait = 2 * time.Minute
	drillChecksWait = time.Minute
	drillPoll       = 100 * time.Millisecond
	maxReportFile   = 1 << 20
)

// localEngine is the backend as a drillrun.Engine.
type localEngine struct{ d *Local }

// actionErr is why a drill action failed, coded (its reason and what to
// do next), which a failed drill action shows as it is.
type actionErr struct{ error }

func (s actionErr) Unwrap() error { return s.error }

// TunnelUp enters Mode urgence if it is off and waits for the tunnel.
func (e localEngine) TunnelUp(ctx context.Context) error {
	if !e.d.Active() {
		if err := e.d.Start(""); err != nil {
			return actionErr{Coded(err)}
		}
	}
	for {
		s := e.d.Snapshot()
		switch {
		case s.Tunnel.Up:
			return nil
		case s.TunnelError != "":
			return actionErr{frontend.Errorf("cli.drill.err.tunnel_failed", frontend.Errorf("verdict.tunnel."+s.TunnelFailure()))}
		case s.Stopped:
			return actionErr{frontend.Errorf("cli.drill.err.stopped")}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(drillPoll):
		}
	}
}

// RunChecks runs every check now (entering Mode urgence first if it is
// off: a check step is about the apps answering through the tunnel) and
// returns the new report.
func (e localEngine) RunChecks(ctx context.Context) (*checks.Report, error) {
	fresh := !e.d.Active()
	if err := e.TunnelUp(ctx); err != nil {
		return nil, err
	}
	before := e.d.Snapshot()
	if !fresh || before.Runs > 0 {
		e.d.Recheck()
	} else {
		before.Runs = 0 // the first run of a new Mode urgence is the fresh one
	}
	for {
		s := e.d.Snapshot()
		if s.Runs > before.Runs && s.Report != nil && s.Phase != engine.PhaseChecking && s.Phase != engine.PhaseConnecting {
			return s.Report, nil
		}
		if s.Stopped {
			return nil, actionErr{frontend.Errorf("cli.drill.err.stopped")}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(drillPoll):
		}
	}
}

// OpenLink opens an emergency link as the app does.
func (e localEngine) OpenLink(_ context.Context, id string) error {
	if err := e.d.OpenLink(id); err != nil {
		return actionErr{Coded(err)}
	}
	return nil
}

// Snapshot is the backend's Mode urgence state.
func (e localEngine) Snapshot() engine.Snapshot { return e.d.Snapshot() }

// startDrills makes the walker and starts the outbox's delivery loop.
func (d *Local) startDrills() {
	logf := func(format string, a ...any) {
		_ = d.em.DB.LogEvent(context.Background(), "drills", fmt.Sprintf(format, a...))
	}
	d.walker = &drillrun.Walker{DB: d.em.DB, Engine: localEngine{d}, Version: version.Get().Version, Now: d.env.Now, Logf: logf}
	d.out = &outbox.Outbox{DB: d.em.DB, Client: d.env.HTTPClient, Now: d.env.Now,
		Logf: func(format string, a ...any) {
			_ = d.em.DB.LogEvent(context.Background(), "outbox", fmt.Sprintf(format, a...))
		}}
	d.wake = make(chan struct{}, 1)
	d.outDone = make(chan struct{})
	go func() {
		defer close(d.outDone)
		d.out.Run(d.ctx, d.wake)
	}()
}

// wakeOutbox asks the outbox to try now (a new report, the network back).
func (d *Local) wakeOutbox() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// drillError codes an error of the drills package for the front end.
func (d *Local) drillError(err error) error {
	if err == nil {
		return nil
	}
	var de *drills.Error
	if errors.As(err, &de) {
		if de.Code == drills.ErrCodeActionFailed {
			// Why it failed and what to do next, never the action's code.
			var s actionErr
			if errors.As(de.Err, &s) {
				return s.error
			}
			return frontend.Wrap(err, "cli.drill.err.action_failed")
		}
		if i18n.T(i18n.FR, "cli.drill.err."+de.Code) != "cli.drill.err."+de.Code {
			return frontend.Wrap(err, "cli.drill.err."+de.Code, de.Detail)
		}
	}
	return frontend.Wrap(err, "cli.drill.err.other", Coded(err))
}

// Runs are this device's drill runs, newest first.
func (d *Local) Runs() ([]*drills.Run, error) {
	runs, err := d.walker.Runs(d.ctx)
	return runs, d.drillError(err)
}

// StartDrill resumes the active run of drill id, or starts one.
func (d *Local) StartDrill(id string) (*drills.Run, error) {
	d.mu.Lock()
	p, lang := d.prof.Profile, d.lang
	d.mu.Unlock()
	if p == nil {
		return nil, frontend.Errorf("cli.desk.no_profile")
	}
	run, err := d.walker.Start(d.ctx, p, id, lang)
	if err == nil && d.resumeNeedsTunnel(p, run) {
		// Resumed after a restart: the tunnel the run had brought up is
		// gone, and the next step goes through it. Bring it back now; if
		// it cannot come up, the step says why when it is done.
		ctx, cancel := context.WithTimeout(d.ctx, drillTunnelWait)
		if terr := (localEngine{d}).TunnelUp(ctx); terr != nil {
			_ = d.em.DB.LogEvent(d.ctx, "drills", "resume: the tunnel did not come back: "+terr.Error())
		}
		cancel()
	}
	return run, d.drillError(err)
}

// resumeNeedsTunnel: run is resumed past a step that brought the tunnel up
// (tunnel_up done), Mode urgence is off, and its current step needs the
// tunnel (a link opened through it; checks and run_checks bring the
// tunnel up themselves).
func (d *Local) resumeNeedsTunnel(p *profile.Profile, run *drills.Run) bool {
	i := run.Current()
	if run.State != drills.RunActive || i >= len(run.Steps) || i >= len(run.Drill.Steps) || d.Active() {
		return false
	}
	hadTunnel := false
	for j := 0; j < i; j++ {
		if run.Drill.Steps[j].Action == profile.ActionTunnelUp && run.Steps[j].State == drills.StepDone {
			hadTunnel = true
		}
	}
	id, ok := strings.CutPrefix(run.Drill.Steps[i].Action, profile.ActionOpenLink+":")
	if !hadTunnel || !ok {
		return false
	}
	for _, l := range p.Links {
		if l.ID == id {
			return l.Via == "tunnel"
		}
	}
	return false
}

// CompleteStep does the run's current step; a failed verification returns
// the run with the step marked failed, and why.
func (d *Local) CompleteStep(runID, stepID string, in drills.Input) (*drills.Run, error) {
	run, err := d.walker.Complete(d.ctx, runID, stepID, in)
	return run, d.drillError(err)
}

// SkipStep skips the current step; a required one needs a reason.
func (d *Local) SkipStep(runID, stepID, reason string) (*drills.Run, error) {
	run, err := d.walker.Skip(d.ctx, runID, stepID, reason)
	return run, d.drillError(err)
}

// FinishDrill ends the run, makes its report and queues it for the
// profile's report_url (delivery starts at once, and is retried until it
// gets through, across restarts).
func (d *Local) FinishDrill(runID, feedback string) (*drills.Report, error) {
	rep, err := d.walker.Finish(d.ctx, runID, feedback, Participant())
	if err != nil {
		return nil, d.drillError(err)
	}
	d.mu.Lock()
	p := d.prof.Profile
	d.mu.Unlock()
	if p == nil || p.Helpdesk == nil || p.Helpdesk.ReportURL == "" {
		return rep, nil
	}
	body, err := rep.JSON()
	if err != nil {
		return rep, d.drillError(err)
	}
	if err := d.out.Enqueue(d.ctx, "drill_report", rep.RunID, p.Helpdesk.ReportURL, "application/json", body); err != nil {
		return rep, d.drillError(err)
	}
	d.wakeOutbox()
	return rep, nil
}

// Delivery is where a run's report delivery stands.
func (d *Local) Delivery(runID string) frontend.Delivery {
	it, err := d.out.Item(d.ctx, runID)
	if err != nil {
		return frontend.Delivery{State: frontend.DeliveryNone}
	}
	del := frontend.Delivery{State: it.State, Attempts: it.Attempts, NextAttempt: it.NextAttempt, Delivered: it.Delivered}
	if r := it.Receipt; it.State == outbox.StateDelivered && r != nil {
		del.ReceiptID, del.Received = r.ID, r.Received
	}
	if it.State == outbox.StatePending && it.Attempts > 0 && it.LastError == "" && it.LastStatus == 0 {
		// Claimed and not answered yet: the attempt is under way (the
		// claim's far next attempt only guards against a crash).
		del.NextAttempt = time.Time{}
	}
	if it.State != outbox.StateDelivered && (it.LastError != "" || it.LastStatus != 0) {
		if it.LastStatus != 0 {
			del.Problem = frontend.Errorf("cli.drill.delivery_status", it.LastStatus)
		} else {
			del.Problem = frontend.Errorf("cli.drill.delivery_error", it.LastError)
		}
	}
	return del
}

// Report is the report of a run as it stands.
func (d *Local) Report(runID string) (*drills.Report, error) {
	run, err := d.walker.Run(d.ctx, runID)
	if err != nil {
		return nil, d.drillError(err)
	}
	rep := drills.BuildReport(run, Participant())
	return &rep, nil
}

// ExportReport writes a run's report to path, as JSON (.json) or a
// readable page (.html).
func (d *Local) ExportReport(runID, path string) error {
	rep, err := d.Report(runID)
	if err != nil {
		return err
	}
	b, err := renderReport(rep, path, d.language())
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		return frontend.Wrap(err, "cli.drill.export_failed", path, Coded(err))
	}
	return nil
}

func (d *Local) language() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lang
}

// renderReport is the report as the file name's extension asks.
func renderReport(rep *drills.Report, path, lang string) ([]byte, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		var buf bytes.Buffer
		err := rep.HTML(&buf, lang)
		return buf.Bytes(), err
	case ".json":
		return rep.JSON()
	}
	return nil, fmt.Errorf("%s: .json or .html", filepath.Ext(path))
}

// Summarize reads report files (JSON or the HTML page) into one table.
func (d *Local) Summarize(paths []string) (*drills.Table, error) {
	t, err := SummarizeFiles(paths)
	if err != nil {
		return nil, BadReport(err)
	}
	return t, nil
}

// reportFileError is a report file that could not be read.
type reportFileError struct {
	path string
	err  error // a *drills.ReportError, or the file's error
}

func (e *reportFileError) Error() string { return e.path + ": " + e.err.Error() }

func (e *reportFileError) Unwrap() error { return e.err }

// BadReport codes which file is not a report, and why.
func BadReport(err error) error {
	var fe *reportFileError
	if !errors.As(err, &fe) {
		return frontend.Wrap(err, "cli.drill.bad_report", Coded(err))
	}
	name := filepath.Base(fe.path)
	var re *drills.ReportError
	if errors.As(fe.err, &re) {
		return frontend.Wrap(err, "cli.drill.bad_report."+re.Code, name)
	}
	return frontend.Wrap(err, "cli.drill.bad_report.unreadable", name, Coded(fe.err))
}

// summarizeFiles reads and combines report files (each the report's JSON
// or its HTML page); the first unreadable one is the error, a
// *reportFileError.
func SummarizeFiles(paths []string) (*drills.Table, error) {
	reports := make([]drills.Report, 0, len(paths))
	for _, p := range paths {
		b, err := ReadCapped(p, maxReportFile)
		if err != nil {
			return nil, &reportFileError{p, err}
		}
		rep, err := drills.ReadReport(b)
		if err != nil {
			return nil, &reportFileError{p, err}
		}
		reports = append(reports, *rep)
	}
	t := drills.Summarize(reports)
	return &t, nil
}

// readCapped reads a file of at most limit bytes.
func ReadCapped(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// participant names who takes a drill in its report: the account's full
// name, else its login.
func Participant() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	if name, _, _ := strings.Cut(u.Name, ","); strings.TrimSpace(name) != "" {
		return strings.TrimSpace(name)
	}
	return u.Username
}
