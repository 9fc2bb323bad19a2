package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"relais/internal/backend"
	"relais/internal/drills"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/profile"
)

// `relais drill`: the drills from the terminal, through the same backend
// as the app (backend.Local): on a machine without a managed configuration, the
// demo office's drill.

// drillDeliveryWait bounds how long `drill start` waits, at the end, for
// the report to reach the receiver before saying it stays queued.
var drillDeliveryWait = 15 * time.Second

// openDrillBackend opens the backend for a drill command (needProfile: the
// drills of the profile are listed or walked); nil after saying why.
func (r *run) openDrillBackend(ctx context.Context, needProfile bool) *backend.Local {
	d := r.openBackend(ctx, needProfile)
	if d == nil {
		return nil
	}
	if d.Demo() {
		r.say("cli.drill.demo")
	}
	return d
}

// drillListJSON is one drill of `relais drill list --json`.
type drillListJSON struct {
	ID     string        `json:"id"`
	Title  profile.Text  `json:"title"`
	Window drills.Window `json:"window"`
	Opens  *time.Time    `json:"opens"`  // null: no window
	Closes *time.Time    `json:"closes"` // null: no window
	Steps  int           `json:"steps"`
	RTOMS  int64         `json:"rto_ms"`               // the recovery-time objective
	Active string        `json:"active_run,omitempty"` // the run under way, if any
}

// newDrillListJSON is a drill as `drill list --json` prints it.
func newDrillListJSON(it drills.Listed) drillListJSON {
	dr := it.Drill
	return drillListJSON{ID: dr.ID, Title: dr.Title, Window: it.Window, Opens: timeOrNull(dr.Opens), Closes: timeOrNull(dr.Closes),
		Steps: len(dr.Steps), RTOMS: dr.RTO.Duration().Milliseconds(), Active: it.Active}
}

// timeOrNull is t for a --json document: nil (null) when it is not known.
func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func cmdDrillList(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais drill list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.drill.usage") {
		return ExitUsage
	}
	d := r.openDrillBackend(ctx, true)
	if d == nil {
		return ExitUsage
	}
	defer d.Close()
	list, err := d.DrillList()
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	doc := []drillListJSON{}
	for _, it := range list {
		doc = append(doc, newDrillListJSON(it))
	}
	if *asJSON {
		r.printJSON(map[string]any{"drills": doc})
		return ExitOK
	}
	if len(doc) == 0 {
		r.out("cli.drill.none")
	}
	for _, it := range doc {
		r.out("cli.drill.list.line", it.ID, it.Title.In(r.lang), r.windowWords(it.Window, it.Opens, it.Closes), it.Steps, i18n.Duration(r.lang, time.Duration(it.RTOMS)*time.Millisecond))
		if it.Active != "" {
			r.out("cli.drill.list.active", it.Active)
		}
	}
	return ExitOK
}

func (r *run) windowWords(w drills.Window, opens, closes *time.Time) string {
	switch {
	case w == drills.WindowOpen && closes != nil:
		return r.t("cli.drill.window.open", closes.Local().Format("2006-01-02 15:04"))
	case w == drills.WindowUpcoming && opens != nil:
		return r.t("cli.drill.window.upcoming", opens.Local().Format("2006-01-02 15:04"))
	}
	return r.t("cli.drill.window.closed")
}

// prompter reads the participant's answers, one line each.
type prompter struct {
	r  *run
	in *bufio.Scanner
}

// ask prints the question and returns the answer line; ok false at the
// end of the input (the participant went away: the run stays resumable).
func (p *prompter) ask(key string, args ...any) (string, bool) {
	fmt.Fprint(p.r.Stdout, p.r.t(key, args...)+" ")
	if p.in == nil || !p.in.Scan() {
		fmt.Fprintln(p.r.Stdout)
		return "", false
	}
	return strings.TrimSpace(p.in.Text()), true
}

var assetImage = regexp.MustCompile(`!\[([^\]]*)\]\(asset:([^)\s]+)\)`)

// terminalText is a step body for a terminal: images become their
// description (they are in the app, from the cache).
func (r *run) terminalText(md string) string {
	return assetImage.ReplaceAllStringFunc(md, func(m string) string {
		sub := assetImage.FindStringSubmatch(m)
		return r.t("cli.drill.image", sub[1])
	})
}

func cmdDrillStart(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais drill start", flag.ContinueOnError)
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.drill.usage")
	}
	d := r.openDrillBackend(ctx, true)
	if d == nil {
		return ExitUsage
	}
	defer d.Close()
	w, err := d.WalkDrill(pos[0])
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	run := w.Run()
	dr := run.Drill
	r.out("cli.drill.start.title", dr.Title.In(r.lang), dr.Exercise, i18n.Duration(r.lang, dr.RTO.Duration()))
	if cur := run.Current(); cur > 0 {
		r.out("cli.drill.start.resume", cur+1, len(run.Steps))
		for i := 0; i < cur; i++ {
			r.out("cli.drill.start.done_line", i+1, dr.Steps[i].Title.In(r.lang), r.stepOutcome(run.Steps[i]))
		}
	}
	p := &prompter{r: r}
	if r.Stdin != nil {
		p.in = bufio.NewScanner(r.Stdin)
	}
	for {
		i, st, step, more := w.Next()
		if !more {
			break
		}
		r.out("cli.drill.step.header", i+1, len(run.Steps), step.Title.In(r.lang), r.t("cli.drill.kind."+step.Kind))
		if body := strings.TrimSpace(step.Body.In(r.lang)); body != "" {
			fmt.Fprintln(r.Stdout, r.terminalText(body))
		}
		if e := step.Expected.Duration(); e > 0 {
			r.out("cli.drill.step.expected", i18n.Duration(r.lang, e))
		}
		if len(step.Checks) > 0 {
			r.out("cli.drill.step.checks", strings.Join(step.Checks, ", "))
		}
		if st.State == drills.StepFailed {
			r.out("cli.drill.step.failed_before", r.stepOutcome(st))
		}
		var in drills.Input
		var line string
		switch step.Kind {
		case "question":
			for j, c := range step.Choices {
				r.out("cli.drill.choice", j+1, c.In(r.lang))
			}
			if len(step.Choices) > 0 {
				line, ok = p.ask("cli.drill.prompt.choice")
				if n, err := strconv.Atoi(line); err == nil {
					n--
					in.Choice = &n
				}
			} else {
				line, ok = p.ask("cli.drill.prompt.answer")
				in.Answer = line
			}
		case "action":
			line, ok = p.ask("cli.drill.prompt.action")
		case "check":
			line, ok = p.ask("cli.drill.prompt.check")
		default:
			line, ok = p.ask("cli.drill.prompt.read")
		}
		if !ok || line == "q" {
			r.out("cli.drill.paused", dr.ID)
			return ExitOK
		}
		if line == "p" || line == "s" {
			reason := ""
			if step.IsRequired() {
				if reason, ok = p.ask("cli.drill.prompt.reason"); !ok {
					r.out("cli.drill.paused", dr.ID)
					return ExitOK
				}
			}
			if err := w.Skip(reason); err != nil {
				fmt.Fprintln(r.Stdout, r.words(err))
			}
			continue
		}
		if step.Kind == "action" || step.Kind == "check" {
			r.out("cli.drill.verifying")
		}
		after, err := w.Complete(in)
		if err != nil {
			fmt.Fprintln(r.Stdout, r.words(err))
			if after.State == drills.StepFailed {
				r.out("cli.drill.step.failed_now", r.stepOutcome(after))
			}
			continue
		}
		r.out("cli.drill.step.ok", r.stepOutcome(after))
	}

	feedback, _ := p.ask("cli.drill.prompt.feedback")
	rep, err := w.Finish(feedback)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	r.printReportSummary(rep)
	return r.sayDelivery(d.WaitDelivery(ctx, rep.RunID, drillDeliveryWait))
}

// stepOutcome says in a few words how a step ended.
func (r *run) stepOutcome(s drills.Step) string {
	parts := []string{r.t("cli.drill.state." + string(s.State))}
	if s.SkipReason != "" {
		parts = append(parts, r.t("cli.drill.outcome.reason", s.SkipReason))
	}
	if s.Evidence.Answer != "" {
		parts = append(parts, r.t("cli.drill.outcome.answer", s.Evidence.Answer))
	}
	for _, c := range s.Evidence.Checks {
		parts = append(parts, fmt.Sprintf("%s %s", c.ID, r.stateWord(c.State)))
	}
	if s.Failure != "" {
		parts = append(parts, r.t("cli.drill.failure."+s.Failure))
	}
	return strings.Join(parts, " · ")
}

func (r *run) printReportSummary(rep *drills.Report) {
	if rep.Completed {
		r.out("cli.drill.report.completed", rep.DrillTitle.In(r.lang))
	} else {
		r.out("cli.drill.report.incomplete", rep.DrillTitle.In(r.lang))
	}
	rto := time.Duration(rep.RTOMS * float64(time.Millisecond))
	if rep.TimeToOperationalMS != nil {
		tto := time.Duration(*rep.TimeToOperationalMS * float64(time.Millisecond)).Round(100 * time.Millisecond)
		r.out("cli.drill.report.tto", i18n.Duration(r.lang, tto), i18n.Duration(r.lang, rto))
	} else {
		r.out("cli.drill.report.no_tto", i18n.Duration(r.lang, rto))
	}
}

// sayDelivery says where the report's delivery stands after waiting a
// little for it: exit 0 once delivered (or when the profile names no
// receiver), 1 while it is still queued (it will be retried, across
// restarts) or was refused.
func (r *run) sayDelivery(del frontend.Delivery) int {
	switch del.State {
	case frontend.DeliveryNone:
		r.out("cli.drill.delivery.none")
		return ExitOK
	case frontend.DeliveryDelivered:
		r.out("cli.drill.delivery.delivered")
		return ExitOK
	case frontend.DeliveryRejected:
		r.out("cli.drill.delivery.rejected", del.Problem)
		return ExitUnhealthy
	}
	r.out("cli.drill.delivery.pending", del.Attempts, del.Problem)
	return ExitUnhealthy
}

// drillRunJSON is one run of `relais drill status --json`.
type drillRunJSON struct {
	ID                  string          `json:"id"`
	DrillID             string          `json:"drill_id"`
	DrillHash           string          `json:"drill_hash"`
	Title               profile.Text    `json:"title"` // the drill's, as started
	ProfileSerial       int64           `json:"profile_serial"`
	AppVersion          string          `json:"app_version"`
	Language            string          `json:"language"`
	State               drills.RunState `json:"state"`
	Started             *time.Time      `json:"started"`
	Finished            *time.Time      `json:"finished"` // null while under way
	RTOMS               int64           `json:"rto_ms"`
	TimeToOperationalMS *int64          `json:"time_to_operational_ms"` // null: never operational during the run
	Feedback            string          `json:"feedback,omitempty"`
	Current             int             `json:"current"` // index of the step to do; len(steps) when all are done
	Steps               []drillStepJSON `json:"steps"`
	Delivery            deliveryJSON    `json:"delivery"`
}

// drillStepJSON is one step of a run.
type drillStepJSON struct {
	ID         string           `json:"id"`
	Kind       string           `json:"kind"`
	Title      profile.Text     `json:"title"`
	Required   bool             `json:"required"`
	State      drills.StepState `json:"state"`
	Started    *time.Time       `json:"started"`     // null: not reached yet
	Finished   *time.Time       `json:"finished"`    // null: not done, skipped or failed yet
	ExpectedMS *int64           `json:"expected_ms"` // null: the drill expects no duration
	SkipReason string           `json:"skip_reason,omitempty"`
	Failure    string           `json:"failure,omitempty"` // checks_failed, action_failed
	Evidence   drills.Evidence  `json:"evidence"`
}

// deliveryJSON is where a run's report delivery stands.
type deliveryJSON struct {
	State       string     `json:"state"` // none | pending | delivered | rejected
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt"` // null: none planned
	Delivered   *time.Time `json:"delivered"`    // null: not delivered
	// Problem is why the last attempt failed: a code (http_status,
	// unreachable) and its sentence; null when none.
	Problem *codedTextJSON `json:"problem"`
	// Receipt is the receiver's receipt for the delivered report (the
	// organisation's server gives one); null when none.
	Receipt *receiptJSON `json:"receipt"`
}

// receiptJSON is a receiver's receipt: its number for the report and when
// it received it, by its own clock.
type receiptJSON struct {
	ID       int64     `json:"id"`
	Received time.Time `json:"received"`
}

func newDrillRunJSON(run *drills.Run, del deliveryJSON) drillRunJSON {
	doc := drillRunJSON{ID: run.ID, DrillID: run.DrillID, DrillHash: run.DrillHash, Title: run.Drill.Title, ProfileSerial: run.ProfileSerial,
		AppVersion: run.AppVersion, Language: run.Language, State: run.State, Started: timeOrNull(run.Started), Finished: timeOrNull(run.Finished),
		RTOMS: run.Drill.RTO.Duration().Milliseconds(), Feedback: run.Feedback, Current: run.Current(), Steps: []drillStepJSON{}, Delivery: del}
	if run.TimeToOperational != nil {
		ms := run.TimeToOperational.Milliseconds()
		doc.TimeToOperationalMS = &ms
	}
	for i, st := range run.Steps {
		s := drillStepJSON{ID: st.ID, Kind: st.Kind, Required: st.Required, State: st.State, Started: timeOrNull(st.Started), Finished: timeOrNull(st.Finished),
			SkipReason: st.SkipReason, Failure: st.Failure, Evidence: st.Evidence}
		if i < len(run.Drill.Steps) {
			ds := run.Drill.Steps[i]
			s.Title = ds.Title
			if e := ds.Expected.Duration(); e > 0 {
				ms := e.Milliseconds()
				s.ExpectedMS = &ms
			}
		}
		doc.Steps = append(doc.Steps, s)
	}
	return doc
}

// newDeliveryJSON is a run's report delivery, the problem in each
// language.
func newDeliveryJSON(del frontend.Delivery) deliveryJSON {
	doc := deliveryJSON{State: del.State, Attempts: del.Attempts, NextAttempt: timeOrNull(del.NextAttempt), Delivered: timeOrNull(del.Delivered)}
	if del.ReceiptID > 0 && !del.Received.IsZero() {
		doc.Receipt = &receiptJSON{ID: del.ReceiptID, Received: del.Received}
	}
	if code, fe := backend.DeliveryProblem(del); fe != nil {
		doc.Problem = codedText(code, fe.Key, fe.Args...)
	}
	return doc
}

func cmdDrillStatus(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais drill status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.drill.usage") {
		return ExitUsage
	}
	d := r.openDrillBackend(ctx, false)
	if d == nil {
		return ExitUsage
	}
	defer d.Close()
	runs, err := d.RunStatuses()
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	doc := []drillRunJSON{}
	undelivered := false
	for _, rs := range runs {
		undelivered = undelivered || rs.Undelivered()
		doc = append(doc, newDrillRunJSON(rs.Run, newDeliveryJSON(rs.Delivery)))
	}
	if *asJSON {
		r.printJSON(map[string]any{"runs": doc})
	} else {
		if len(doc) == 0 {
			r.out("cli.drill.no_runs")
		}
		for _, it := range doc {
			state := r.t("cli.drill.run." + string(it.State))
			started := ""
			if it.Started != nil {
				started = it.Started.Local().Format("2006-01-02 15:04")
			}
			r.out("cli.drill.status.line", it.ID, it.Title.In(r.lang), state, min(it.Current+1, len(it.Steps)), len(it.Steps),
				started, r.t("cli.drill.delivery_state."+it.Delivery.State))
		}
	}
	if undelivered {
		return ExitUnhealthy
	}
	return ExitOK
}

func cmdDrillReport(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais drill report", flag.ContinueOnError)
	out := fs.String("o", "", "cli.drill.flag.out")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) != 1 {
		return r.fail(ExitUsage, "cli.drill.usage")
	}
	d := r.openDrillBackend(ctx, false)
	if d == nil {
		return ExitUsage
	}
	defer d.Close()
	if *out != "" {
		if err := d.ExportReport(pos[0], *out); err != nil {
			return r.failErr(ExitUsage, err)
		}
		r.say("cli.drill.report.written", *out)
	} else {
		b, err := d.ReportJSON(pos[0])
		if err != nil {
			return r.failErr(ExitUsage, err)
		}
		r.Stdout.Write(append(b, '\n'))
	}
	if del := d.Delivery(pos[0]); backend.Undelivered(del) {
		r.say("cli.drill.report.undelivered", r.t("cli.drill.delivery_state."+del.State))
		return ExitUnhealthy
	}
	return ExitOK
}

func cmdDrillSummarize(r *run, args []string) int {
	fs := flag.NewFlagSet("relais drill summarize", flag.ContinueOnError)
	out := fs.String("o", "", "cli.drill.flag.out_table")
	pos, ok := r.parseFlags(fs, args)
	if !ok {
		return ExitUsage
	}
	if len(pos) == 0 || backend.TableFormat(*out) == "" { // no -o, or neither .csv nor .html
		return r.fail(ExitUsage, "cli.drill.summarize.usage")
	}
	t, err := backend.WriteSummary(pos, *out, r.lang)
	if err != nil {
		return r.failErr(ExitUsage, err)
	}
	r.say("cli.drill.summarize.done", len(t.Rows), *out)
	return ExitOK
}
