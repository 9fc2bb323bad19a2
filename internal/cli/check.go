package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"relais/internal/checks"
	"relais/internal/engine"
	"relais/internal/frontend"
	"relais/internal/i18n"
	"relais/internal/status"
	"relais/internal/tunnel"
)

// checkDoc is `relais check --json`: the shape the README gives (profile, tunnel,
// apps with their checks, time_to_operational_ms), plus the built-ins.
type checkDoc struct {
	Profile             checkProfileJSON              `json:"profile"`
	Tunnel              checkTunnelJSON               `json:"tunnel"`
	Apps                []checkAppJSON                `json:"apps"`
	Builtins            map[string]checks.CheckResult `json:"builtins,omitempty"`
	TimeToOperationalMS *float64                      `json:"time_to_operational_ms"`
	// Verdict is Mode urgence's verdict, as the table and every screen
	// word it.
	Verdict verdictJSON `json:"verdict"`
	verdict engine.Verdict
	// Notices are the organisation's active notices (see statusJSON).
	Notices     []noticeJSON      `json:"notices"`
	Maintenance []maintenanceJSON `json:"maintenance"`
	NoticesSync *noticesSyncJSON  `json:"notices_sync"`
	notices     frontend.NoticesState
}

type checkProfileJSON struct {
	Serial int64 `json:"serial"`
	Signed bool  `json:"signed"`
}

type checkTunnelJSON struct {
	Mode              tunnel.Mode `json:"mode"`
	Up                bool        `json:"up"`
	LastHandshakeAgeS *float64    `json:"last_handshake_age_s"` // null: no handshake
	RxBytes           int64       `json:"rx_bytes"`
	TxBytes           int64       `json:"tx_bytes"`
	Error             string      `json:"error,omitempty"`      // the error as the engine saw it: a detail, for the log
	ErrorCode         string      `json:"error_code,omitempty"` // why the tunnel did not come up (engine.TunnelFailureCodes)
}

type checkAppJSON struct {
	ID          string               `json:"id"`
	Name        textJSON             `json:"name"`
	Criticality string               `json:"criticality"`
	State       checks.State         `json:"state"`
	BlockedBy   []string             `json:"blocked_by,omitempty"`
	Checks      []checks.CheckResult `json:"checks"`
	// Maintenance is the app's announced maintenance window that holds
	// now; its state is "maintenance" when it does not answer during it.
	Maintenance *status.Maintenance `json:"maintenance,omitempty"`
}

// newCheckDoc turns the snapshot of a finished run (relais check, relais
// demo --headless) into the command's document. Its verdict is what the
// run found (status.FoundVerdict): "Mode urgence inactif" would contradict
// the table above it.
func newCheckDoc(s engine.Snapshot, now time.Time) checkDoc {
	t := s.TunnelAtReport
	doc := checkDoc{Profile: checkProfileJSON{Serial: s.Profile.Serial, Signed: s.Profile.Signed},
		Tunnel: checkTunnelJSON{Mode: t.Mode, Up: t.Up, RxBytes: t.RxBytes, TxBytes: t.TxBytes, Error: s.TunnelError, ErrorCode: s.TunnelFailure()},
		Apps:   []checkAppJSON{}, verdict: status.FoundVerdict(s), Notices: []noticeJSON{}, Maintenance: []maintenanceJSON{}}
	doc.Verdict = newVerdictJSON(doc.verdict)
	if age := t.HandshakeAge(now); age >= 0 {
		a := age.Seconds()
		doc.Tunnel.LastHandshakeAgeS = &a
	}
	if s.TimeToOperational != nil {
		ms := float64(*s.TimeToOperational) / float64(time.Millisecond)
		doc.TimeToOperationalMS = &ms
	}
	if s.Report != nil {
		doc.Builtins = s.Report.Builtins
		for _, a := range s.Report.Apps {
			cs := a.Checks
			if cs == nil {
				cs = []checks.CheckResult{}
			}
			doc.Apps = append(doc.Apps, checkAppJSON{ID: a.ID, Name: textJSON{a.Name.FR, a.Name.EN}, Criticality: a.Criticality,
				State: a.State, BlockedBy: a.BlockedBy, Checks: cs, Maintenance: a.Maintenance})
		}
	}
	return doc
}

func cmdCheck(ctx context.Context, r *run, args []string) int {
	fs := flag.NewFlagSet("relais check", flag.ContinueOnError)
	modeFlag := enumFlag(fs, "mode", "", "cli.tunnel.flag.mode", string(tunnel.ModeAuto), string(tunnel.ModeUserspace), string(tunnel.ModeSystem))
	asJSON := fs.Bool("json", false, "cli.flag.json")
	if !r.parseNoArgs(fs, args, "cli.check.usage") {
		return ExitUsage
	}
	m, code := r.openMachine(false)
	if m == nil {
		return code
	}
	defer m.Close()
	// One key, one tunnel: the tunnel another process of this user holds,
	// else this check's own under the lock.
	snap, err := m.CheckOnce(ctx, *modeFlag)
	if err != nil {
		return r.startFail(err)
	}
	r.canEnrol = m.EnrolPlan(ctx).URL != ""
	return r.report(snap, *asJSON, nil, m.CurrentNotices(ctx))
}

// report prints a snapshot (JSON or the table) and returns the exit code:
// 0 only if every essential app is operational. extra, if set, is merged
// into the JSON document (the demo's verdict); notes are the organisation's
// notices, shown above the table and in the document.
func (r *run) report(s engine.Snapshot, asJSON bool, extra map[string]any, notes frontend.NoticesState) int {
	doc := newCheckDoc(s, r.Now())
	doc.notices = notes
	doc.Notices, doc.Maintenance, doc.NoticesSync = noticesDoc(notes)
	if asJSON {
		if extra == nil {
			r.printJSON(doc)
		} else {
			b, _ := json.Marshal(doc)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			for k, v := range extra {
				m[k] = v
			}
			r.printJSON(m)
		}
	} else {
		r.printCheck(doc)
	}
	if s.Report.EssentialsOK() {
		return ExitOK
	}
	return ExitUnhealthy
}

// verdictSentence words Mode urgence's verdict (engine.Judge) as the
// app's Accueil, tray and status summary and a bundle's summary do.
func (r *run) verdictSentence(v engine.Verdict) string { return frontend.VerdictIn(r.lang, v) }

// verdictJSON is Mode urgence's verdict in a --json document: its state,
// the essential apps that answer and those that do not, and the sentence
// every screen says.
type verdictJSON struct {
	// State is the verdict's level: off, connecting, checking,
	// operational, degraded, maintenance, partial, failed; unknown when no verdict can
	// be given.
	State               string   `json:"state"`
	EssentialsAnswering int      `json:"essentials_answering"`
	EssentialsTotal     int      `json:"essentials_total"`
	Failing             []string `json:"failing"`     // essential apps that do not answer
	Maintenance         []string `json:"maintenance"` // essential apps down during their announced maintenance window
	Slow                []string `json:"slow"`        // essential apps that answer slowly
	Others              []string `json:"others"`      // important and optional apps that are not ok
	TunnelFailed        bool     `json:"tunnel_failed"`
	Text                textJSON `json:"text"`
}

// newVerdictJSON is v for a --json document.
func newVerdictJSON(v engine.Verdict) verdictJSON {
	state := string(v.Level)
	if state == "" {
		state = "unknown"
	}
	orNone := func(ids []string) []string { return append([]string{}, ids...) }
	return verdictJSON{State: state, EssentialsAnswering: v.EssentialsAnswering, EssentialsTotal: v.EssentialsTotal,
		Failing: orNone(v.Failing), Maintenance: orNone(v.Maintenance), Slow: orNone(v.Slow), Others: orNone(v.Others), TunnelFailed: v.TunnelFailed,
		Text: textJSON{FR: frontend.VerdictIn(i18n.FR, v), EN: frontend.VerdictIn(i18n.EN, v)}}
}

// stateWord is a state in the user's language.
func (r *run) stateWord(s checks.State) string {
	return r.t("cli.check.state." + string(s))
}

func stateMark(s checks.State) string {
	switch s {
	case checks.StateOK:
		return "✔"
	case checks.StateDegraded:
		return "~"
	case checks.StateBlocked:
		return "⊘"
	case checks.StatePending:
		return "…"
	case checks.StateMaintenance:
		return "◷"
	}
	return "✘"
}

// printCheck prints the table of `relais check`, `relais demo --headless`:
// one line per app, and under each app that is not ok the failed
// conditions, the reason and the next step.
func (r *run) printCheck(doc checkDoc) {
	sig := r.t("cli.check.unsigned")
	if doc.Profile.Signed {
		sig = r.t("cli.check.signed")
	}
	r.out("cli.check.profile", doc.Profile.Serial, sig)
	r.printNotices(doc.notices)
	switch {
	case doc.Tunnel.Up && doc.Tunnel.LastHandshakeAgeS != nil:
		r.out("cli.check.tunnel_up", r.modeWords(doc.Tunnel.Mode), i18n.Duration(r.lang, time.Duration(*doc.Tunnel.LastHandshakeAgeS*float64(time.Second))))
	case doc.Tunnel.Up:
		r.out("cli.check.tunnel_no_handshake", r.modeWords(doc.Tunnel.Mode))
	case doc.Tunnel.ErrorCode != "":
		// The cause in words, never the Go error (it is in --json's
		// "error" and the log).
		r.out("cli.check.tunnel_down", r.tunnelCauseSentence(doc.Tunnel.ErrorCode))
	default:
		r.out("cli.check.tunnel_down", doc.Tunnel.Error)
	}
	if doc.Tunnel.Up && doc.Tunnel.ErrorCode == engine.TunnelRevoked {
		r.out("verdict.cause", r.tunnelCause(doc.Tunnel.ErrorCode))
	}
	r.out("cli.check.header", r.t("cli.check.col.app"), r.t("cli.check.col.state"), r.t("cli.check.col.duration"), r.t("cli.check.col.criticality"))
	for _, a := range doc.Apps {
		name := a.Name.FR
		if r.lang == "en" && a.Name.EN != "" {
			name = a.Name.EN
		}
		var longest time.Duration
		for _, c := range a.Checks {
			longest = max(longest, c.Duration)
		}
		dur := "—"
		if longest > 0 {
			dur = i18n.Decimal(r.lang, float64(longest)/float64(time.Millisecond), 1) + " ms"
		}
		r.out("cli.check.row", stateMark(a.State), name, r.stateWord(a.State), dur, r.t("cli.check.criticality."+a.Criticality))
		if a.State == checks.StateOK {
			continue
		}
		if a.State == checks.StateMaintenance { // planned: its window, not a failure's reasons
			r.maintenanceLine(a.Maintenance)
			continue
		}
		if a.State == checks.StateBlocked {
			r.out("cli.check.blocked_by", strings.Join(a.BlockedBy, ", "))
		}
		shown := map[string]bool{}
		for _, id := range a.BlockedBy {
			if b, ok := doc.Builtins[id]; ok && b.Reason != nil && !shown[b.Reason.Code] {
				shown[b.Reason.Code] = true
				r.out("cli.check.reason", b.Reason.Text.In(r.lang))
				r.out("cli.check.next", b.Reason.Next.In(r.lang))
			}
		}
		for _, c := range a.Checks {
			if c.State == checks.StateOK {
				continue
			}
			for _, cond := range c.Conditions {
				if !cond.OK {
					r.out("cli.check.condition", c.ID, cond.Expr)
				}
			}
			if c.Reason != nil && !shown[c.Reason.Code] {
				shown[c.Reason.Code] = true
				r.out("cli.check.reason", c.Reason.Text.In(r.lang))
				r.out("cli.check.next", c.Reason.Next.In(r.lang))
			}
		}
	}
	// The verdict, in the words of `relais status` and the app.
	fmt.Fprintln(r.Stdout, r.verdictSentence(doc.verdict))
	if doc.TimeToOperationalMS != nil {
		r.out("cli.check.operational", i18n.Duration(r.lang, time.Duration(*doc.TimeToOperationalMS*float64(time.Millisecond))))
	}
}

// startFail says why Mode urgence could not start: a coded error as it
// is, anything else as "the check failed", and returns exit 2.
func (r *run) startFail(err error) int {
	var fe *frontend.Error
	if errors.As(err, &fe) {
		return r.failErr(ExitUsage, err)
	}
	return r.fail(ExitUsage, "cli.check.failed", r.describe(err))
}

// tunnelCause is why the tunnel failed, as the clause every front end
// says after "Cause : " (verdict.tunnel.CODE); with no identity on a
// machine that can enrol, what to type instead.
func (r *run) tunnelCause(code string) string {
	if code == engine.TunnelNoIdentity && r.canEnrol {
		return lowerFirst(r.t("cli.key.no_identity_enrol"))
	}
	return r.t("verdict.tunnel." + code)
}

// tunnelCauseSentence is tunnelCause as a sentence of its own.
func (r *run) tunnelCauseSentence(code string) string {
	s := r.tunnelCause(code)
	for i, c := range s {
		return strings.ToUpper(string(c)) + s[i+len(string(c)):]
	}
	return s
}

func lowerFirst(s string) string {
	for i, c := range s {
		return strings.ToLower(string(c)) + s[i+len(string(c)):]
	}
	return s
}
