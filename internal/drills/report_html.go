package drills

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"relais/internal/i18n"
	"relais/internal/profile"
)

// reportView is what the report's page shows, words already in its
// language; html/template escapes every one of them.
type reportView struct {
	Lang, Title, DrillTitle string
	Facts                   []fact
	Completed               bool
	Outcome                 string
	StepsTitle              string
	Head                    []string
	Steps                   []stepView
	FeedbackTitle, Feedback string
	HasFeedback             bool
	Footer                  string
	CSS                     template.CSS
	Data                    template.JS // the report's JSON, which ReadReport reads back
}

type fact struct {
	Label, Value string
	Class        string // good, bad or ""
}

type stepView struct {
	N                  int
	Title, ID, Kind    string
	Optional           string // the word "optional" when the step is
	State, StateWord   string
	Duration, Expected string
	Over               bool // took longer than expected
	Details            []string
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — {{.DrillTitle}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Title}} — {{.DrillTitle}}</h1>
<dl>
{{range .Facts}}<dt>{{.Label}}</dt><dd{{if .Class}} class="{{.Class}}"{{end}}>{{.Value}}</dd>
{{end}}</dl>
<h2>{{.StepsTitle}}</h2>
<table>
<thead><tr><th scope="col">#</th>{{range .Head}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Steps}}<tr class="{{if eq .State "done"}}ok{{else}}ko{{end}}"><td>{{.N}}</td><td>{{.Title}}{{if .Optional}}<br><small>{{.Optional}}</small>{{end}}</td><td>{{.Kind}}</td><td class="{{.State}}">{{.StateWord}}</td><td class="num{{if .Over}} over{{end}}">{{.Duration}}</td><td class="num">{{.Expected}}</td><td>{{if .Details}}<ul>{{range .Details}}<li>{{.}}</li>{{end}}</ul>{{end}}</td></tr>
{{end}}</tbody>
</table>
<h2>{{.FeedbackTitle}}</h2>
{{if .HasFeedback}}<blockquote>{{.Feedback}}</blockquote>{{else}}<p>{{.Feedback}}</p>{{end}}
<footer>{{.Footer}}</footer>
<script type="application/json" id="relais-report">{{.Data}}</script>
</body>
</html>
`))

// HTML writes the report as one self-contained readable page in lang (fr
// unless en): no script that runs, no outside resource, every text from
// the run escaped; its JSON rides along in a data block, so that the page
// is also a report file ReadReport reads. Times are in the laptop's time
// zone.
func (r Report) HTML(w io.Writer, lang string) error {
	lang = i18n.Normalize(lang)
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	v := reportView{
		Lang: lang, Title: t("drills.report.title"), DrillTitle: orWord(r.DrillTitle.In(lang), r.DrillID),
		Completed: r.Completed, StepsTitle: t("drills.report.steps"), FeedbackTitle: t("drills.report.feedback"),
		Feedback: r.Feedback, HasFeedback: r.Feedback != "", CSS: pageCSS,
		Footer: t("drills.report.footer", orWord(r.AppVersion, "?"), r.ProfileSerial, r.RunID, short(r.DrillHash)),
	}
	if !v.HasFeedback {
		v.Feedback = t("drills.report.no_feedback")
	}
	// The data block: the JSON as ReadReport reads it, "<", ">" and "&"
	// escaped by json.Marshal, so that nothing in it closes the block.
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("drills: report %s: %w", r.RunID, err)
	}
	v.Data = template.JS(data)
	when := t("drills.report.in_progress", localTime(r.Started))
	if !r.Finished.IsZero() {
		when = t("drills.report.period", localTime(r.Started), localTime(r.Finished))
	}
	outcome := fact{Label: t("drills.report.outcome"), Value: t("drills.report.completed"), Class: "good"}
	if !r.Completed {
		outcome.Value, outcome.Class = t("drills.report.not_completed"), "bad"
	}
	rto := i18n.Duration(lang, fromMS(r.RTOMS))
	tto := fact{Label: t("drills.report.tto"), Value: t("drills.report.tto_never", rto), Class: "bad"}
	if r.TimeToOperationalMS != nil {
		d := i18n.Duration(lang, fromMS(*r.TimeToOperationalMS))
		if r.WithinRTO != nil && *r.WithinRTO {
			tto.Value, tto.Class = t("drills.report.tto_within", d, rto), "good"
		} else {
			tto.Value = t("drills.report.tto_beyond", d, rto)
		}
	}
	v.Facts = []fact{
		{Label: t("drills.report.participant"), Value: orWord(r.Participant, t("drills.report.unnamed"))},
		{Label: t("drills.report.drill"), Value: orWord(r.DrillTitle.In(lang), r.DrillID)},
		{Label: t("drills.report.exercise"), Value: word(lang, "drills.exercise.", r.Exercise)},
		{Label: t("drills.report.when"), Value: when},
		outcome,
		tto,
	}
	for _, k := range []string{"step", "kind", "outcome", "duration", "expected", "details"} {
		v.Head = append(v.Head, t("drills.report.col."+k))
	}
	for i, s := range r.Steps {
		sv := stepView{
			N: i + 1, Title: orWord(s.Title.In(lang), s.ID), ID: s.ID, Kind: word(lang, "drills.kind.", s.Kind),
			State: string(s.State), StateWord: word(lang, "drills.state.", string(s.State)), Duration: "—", Expected: "—",
		}
		if !s.Required {
			sv.Optional = t("drills.report.optional")
		}
		if s.DurationMS > 0 {
			sv.Duration = i18n.Duration(lang, fromMS(s.DurationMS))
		}
		if s.ExpectedMS != nil {
			sv.Expected = i18n.Duration(lang, fromMS(*s.ExpectedMS))
			sv.Over = s.DurationMS > *s.ExpectedMS
		}
		sv.Details = stepDetails(lang, s)
		v.Steps = append(v.Steps, sv)
	}
	if err := reportPage.Execute(w, v); err != nil {
		return fmt.Errorf("drills: report %s: %w", r.RunID, err)
	}
	return nil
}

// stepDetails are a step's answer, reason, evidence and note, one line
// each.
func stepDetails(lang string, s ReportStep) []string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	var d []string
	if a := s.AnswerIn(lang); a != "" {
		d = append(d, t("drills.report.answer", a))
	}
	if s.SkipReason != "" {
		d = append(d, t("drills.report.skip_reason", s.SkipReason))
	}
	if s.Failure != "" {
		d = append(d, t("drills.report.failure", word(lang, "drills.failure.", s.Failure)))
	}
	if s.Evidence.Action != "" {
		d = append(d, actionWords(lang, s.Evidence.Action))
	}
	for _, c := range s.Evidence.Checks {
		state := word(lang, "drills.check.", string(c.State))
		if why := reasonWords(lang, c.Reason); why != "" {
			d = append(d, t("drills.report.check_reason", c.ID, state, why))
		} else {
			d = append(d, t("drills.report.check", c.ID, state))
		}
	}
	if s.Evidence.Note != "" {
		d = append(d, t("drills.report.note", s.Evidence.Note))
	}
	return d
}

// actionWords says in a sentence what Relais did for an action step; the
// action's code (tunnel_up, open_link:<id>) stays in the JSON.
func actionWords(lang, action string) string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	switch {
	case action == profile.ActionTunnelUp:
		return t("drills.report.action.tunnel_up")
	case action == profile.ActionRunChecks:
		return t("drills.report.action.run_checks")
	case strings.HasPrefix(action, profile.ActionOpenLink+":"):
		return t("drills.report.action.open_link", strings.TrimPrefix(action, profile.ActionOpenLink+":"))
	}
	return t("drills.report.action.other")
}

// reasonWords is the short words for a check's reason code, as the
// diagnostic summary says them; "" for a code without words (it stays in
// the JSON).
func reasonWords(lang, code string) string {
	if code == "" {
		return ""
	}
	key := "diag.reason." + code
	if w := i18n.T(lang, key); w != key {
		return w
	}
	return ""
}

// word is the catalogue's word for a code (prefix+code), or the code
// itself when the catalogue has none (a code from a newer Relais).
func word(lang, prefix, code string) string {
	if code == "" {
		return "—"
	}
	key := prefix + code
	if w := i18n.T(lang, key); w != key {
		return w
	}
	return code
}

// short is the start of a hash, enough to tell drill versions apart.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return orWord(h, "—")
}
