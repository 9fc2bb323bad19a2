package bundle

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"relais/internal/drills"
	"relais/internal/i18n"
	"relais/internal/status"
)

// pageView is what summary.html shows, words already in its language;
// html/template escapes every one of them. Every value comes from the
// bundle's files as written (already redacted and anonymised).
type pageView struct {
	Lang, Title string
	CSS         template.CSS
	Verdict     verdict
	// The verdict's sentences, in the order they are read.
	FailingLine, DegradedLine, WorkingLine, AllOK string
	Tunnel, Profile, Failures, Meta               string
	Sections                                      []section
	Footer                                        string
}

// section is one part of the details: facts, tables, a preformatted text.
type section struct {
	ID, Title string
	Empty     string // shown when the section has nothing
	Facts     []fact
	Tables    []table
	Pre       string
}

type fact struct {
	Label, Value string
	Class        string // good, bad or ""
}

type table struct {
	Caption string
	Head    []string
	Rows    [][]cell
}

type cell struct {
	Text  string
	Class string // good, warn, bad, num or ""
}

func (s section) empty() bool { return len(s.Facts) == 0 && len(s.Tables) == 0 && s.Pre == "" }

var summaryPage = template.Must(template.New("summary").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header id="verdict" class="verdict v-{{.Verdict.Class}}">
<h1>{{.Verdict.Headline}}</h1>
{{if .FailingLine}}<p class="failing">{{.FailingLine}}</p>
<ul class="failing">
{{range .Verdict.Failing}}<li><strong>{{.Name}}</strong> <small>({{.Criticality}}, {{.State}})</small> — {{.Reason}}</li>
{{end}}</ul>
{{end}}{{if .Verdict.Note}}<p class="note">{{.Verdict.Note}}</p>
{{end}}{{if .DegradedLine}}<p class="degraded">{{.DegradedLine}}</p>
{{end}}{{if .WorkingLine}}<p class="working">{{.WorkingLine}}</p>
{{end}}{{if .AllOK}}<p class="working">{{.AllOK}}</p>
{{end}}<p>{{.Tunnel}}<br>{{.Profile}}{{if .Failures}}<br><span class="bad">{{.Failures}}</span>{{end}}</p>
<p class="meta">{{.Meta}}</p>
</header>
<main>
{{range .Sections}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{if .Facts}}<dl>
{{range .Facts}}<dt>{{.Label}}</dt><dd{{if .Class}} class="{{.Class}}"{{end}}>{{.Value}}</dd>
{{end}}</dl>
{{end}}{{range .Tables}}<div class="scroll"><table>
{{if .Caption}}<caption>{{.Caption}}</caption>
{{end}}<thead><tr>{{range .Head}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{end}}{{if .Pre}}<pre>{{.Pre}}</pre>
{{end}}{{if .Empty}}<p class="empty">{{.Empty}}</p>
{{end}}</section>
{{end}}</main>
<footer>{{.Footer}}</footer>
</body>
</html>
`))

// pageCSS: readable on screen and printed, no outside resource.
const pageCSS = template.CSS(`body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45;background:#fff}
.verdict{border-left:8px solid #777;padding:.6rem 1.2rem;background:#f6f6f6;margin-bottom:1.5rem}
.v-good{border-color:#2e7d32;background:#edf7ee}.v-warn{border-color:#b26a00;background:#fff6e5}.v-bad{border-color:#c62828;background:#fdecec}
h1{font-size:1.7rem;margin:.3rem 0 .6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
p.failing{font-weight:600;color:#c62828;font-size:1.1rem}ul.failing{margin:.2rem 0 .8rem}p.degraded{color:#8a5a00}p.working{color:#2e7d32}
.meta,footer,small{color:#555;font-size:.9rem}footer{margin-top:2rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.2rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.5rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #c8c8c8;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}th{background:#f0f0f0}
.scroll{overflow-x:auto}.good{color:#2e7d32;font-weight:600}.warn{color:#8a5a00;font-weight:600}.bad{color:#c62828;font-weight:600}.num{white-space:nowrap;text-align:right}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;font-size:.85rem;white-space:pre-wrap;overflow-wrap:anywhere}.empty{color:#555;font-style:italic}`)

// logLinesShown is how many of the last log lines summary.html shows
// (log.txt has them all).
const logLinesShown = 100

// timelineShown is how many of the last timeline entries it shows.
const timelineShown = 40

// problemsShown is how many of the newest problems of the history it shows.
const problemsShown = 30

// SummaryHTML is summary.html for b, in lang: the verdict first, then the
// details, every value from the bundle's files as written (internal/diag
// makes it from the files it has scrubbed).
func SummaryHTML(b *Bundle, lang string) ([]byte, error) {
	l := tr(i18n.Normalize(lang))
	c := contentsOf(b)
	v := c.verdict(l)
	m := b.Manifest
	p := pageView{
		Lang: string(l), Title: l.t("diag.title") + " " + m.CaseCode, CSS: pageCSS, Verdict: v,
		Tunnel: c.tunnelLine(l, m.Created), Profile: c.profileLine(l), Failures: l.failuresLine(m.Failures), Meta: l.metaLine(m),
	}
	if len(v.Failing) > 0 {
		p.FailingLine = l.t("diag.verdict.failing", strings.Join(names(v.Failing), ", "))
	}
	if len(v.Degraded) > 0 {
		p.DegradedLine = l.t("diag.verdict.degraded", strings.Join(v.Degraded, ", "))
	}
	if len(v.Working) > 0 {
		p.WorkingLine = l.t("diag.verdict.working", strings.Join(v.Working, ", "))
		if len(v.Failing) == 0 && len(v.Degraded) == 0 {
			p.WorkingLine, p.AllOK = "", l.t("diag.verdict.all_ok", strings.Join(v.Working, ", "))
		}
	}
	p.Sections = []section{
		c.tunnelSection(l, m.Created),
		c.appsSection(l),
		c.historySection(l),
		c.profileSection(l),
		c.systemSection(l),
		c.networkSection(l),
		failuresSection(l, m.Failures),
		c.drillsSection(l),
		c.settingsSection(l),
		c.logSection(l),
	}
	for i := range p.Sections {
		if p.Sections[i].empty() && p.Sections[i].Empty == "" {
			p.Sections[i].Empty = l.t("diag.none")
		}
	}
	var files []string
	for _, f := range m.Files {
		files = append(files, f.Name)
	}
	p.Footer = l.t("diag.footer", strings.Join(append([]string{NameManifest}, files...), ", "), m.Redactions)
	var out bytes.Buffer
	if err := summaryPage.Execute(&out, p); err != nil {
		return nil, fmt.Errorf("diag: summary.html: %w", err)
	}
	return out.Bytes(), nil
}

func (l tr) yesNo(b bool) string {
	if b {
		return l.t("diag.yes")
	}
	return l.t("diag.no")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (c contents) tunnelSection(l tr, now time.Time) section {
	s := section{ID: "tunnel", Title: l.t("diag.section.tunnel")}
	t := c.tunnel
	if t == nil || !t.Known {
		s.Empty = l.t("diag.tunnel.unknown")
		return s
	}
	st := t.Status
	hs := l.t("diag.tunnel.no_handshake")
	if age := st.HandshakeAge(now); age >= 0 {
		hs = l.t("diag.tunnel.handshake_at", localTime(st.LastHandshake), l.duration(age))
	}
	up := fact{Label: l.t("diag.tunnel.state"), Value: l.t("diag.tunnel.down"), Class: "bad"}
	if st.Up {
		up.Value, up.Class = l.t("diag.tunnel.up"), "good"
	}
	tto := l.t("diag.tunnel.tto_never")
	if t.TimeToOperationalMS != nil {
		tto = l.duration(time.Duration(*t.TimeToOperationalMS * float64(time.Millisecond)))
	}
	s.Facts = []fact{
		{Label: l.t("diag.tunnel.phase"), Value: c.verdictLine(l)},
		{Label: l.t("diag.tunnel.started"), Value: localTime(t.Started)},
		{Label: l.t("diag.tunnel.tto"), Value: tto},
		{Label: l.t("diag.tunnel.runs"), Value: strconv.Itoa(t.Runs)},
		{Label: l.t("diag.tunnel.mode"), Value: l.word("diag.tunnel.mode.", string(st.Mode))},
		up,
		{Label: l.t("diag.tunnel.reused"), Value: l.yesNo(!t.Owned)},
		{Label: l.t("diag.tunnel.interface"), Value: orDash(st.Interface)},
		{Label: l.t("diag.tunnel.endpoint_label"), Value: orDash(st.EndpointShown())},
		{Label: l.t("diag.tunnel.addresses"), Value: orDash(strings.Join(st.Addresses, ", "))},
		{Label: l.t("diag.tunnel.last_handshake"), Value: hs},
		{Label: l.t("diag.tunnel.received"), Value: l.bytes(st.RxBytes)},
		{Label: l.t("diag.tunnel.sent"), Value: l.bytes(st.TxBytes)},
	}
	if st.SOCKS5 != "" || st.HTTPProxy != "" {
		s.Facts = append(s.Facts, fact{Label: l.t("diag.tunnel.proxies"), Value: strings.Trim(st.SOCKS5+" "+st.HTTPProxy, " ")})
	}
	if t.Error != "" {
		s.Facts = append(s.Facts, fact{Label: l.t("diag.tunnel.error"), Value: t.Error, Class: "bad"})
	}
	if t.DevicePublicKey != "" {
		s.Facts = append(s.Facts, fact{Label: l.t("diag.tunnel.device_key"), Value: t.DevicePublicKey})
	}
	if n := len(t.Timeline); n > 0 {
		tb := table{Caption: l.t("diag.tunnel.timeline"), Head: []string{l.t("diag.col.at"), l.t("diag.col.event"), l.t("diag.col.detail")}}
		from := max(0, n-timelineShown)
		for _, e := range t.Timeline[from:] {
			tb.Rows = append(tb.Rows, []cell{{Text: localTime(e.At), Class: "num"}, {Text: l.word("diag.event.", e.Kind)}, {Text: l.timelineDetail(e)}})
		}
		s.Tables = append(s.Tables, tb)
	}
	return s
}

// timelineDetail is a timeline entry's detail in words: the engine writes
// codes and Go values (a phase, "serial 7", "endpoint host:port", a Go
// duration); errors and other details stay as written, for the helpdesk.
func (l tr) timelineDetail(e status.TimelineEntry) string {
	d := e.Detail
	switch e.Kind {
	case status.EventPhase, status.EventReport:
		if d != "" {
			return l.word("diag.phase.", d)
		}
	case status.EventOperational:
		if e.DurationMS != nil {
			return i18n.Duration(string(l), time.Duration(*e.DurationMS)*time.Millisecond)
		}
		if v, err := time.ParseDuration(d); err == nil { // recorded by an older Relais
			return i18n.Duration(string(l), v)
		}
	case status.EventProfileLoaded, status.EventProfileUpdated:
		if n, ok := strings.CutPrefix(d, "serial "); ok {
			return l.t("diag.timeline.serial", n)
		}
	case status.EventTunnelUp, status.EventTunnelReused, status.EventTunnelEndpoint:
		if ep, ok := strings.CutPrefix(d, "endpoint "); ok {
			return l.t("diag.timeline.endpoint", ep)
		}
	}
	return d
}

func stateClass(s status.State) string {
	switch s {
	case status.StateOK:
		return "good"
	case status.StateDegraded, status.StatePending:
		return "warn"
	}
	return "bad"
}

func (c contents) appsSection(l tr) section {
	s := section{ID: "apps", Title: l.t("diag.section.apps")}
	if c.checks == nil || c.checks.LastReport == nil {
		s.Empty = l.t("diag.verdict.no_report")
		return s
	}
	r := c.checks.LastReport
	s.Facts = []fact{{Label: l.t("diag.apps.run"), Value: l.t("diag.apps.run_value", localTime(r.Started), localTime(r.Finished))}}
	tb := table{Head: []string{l.t("diag.col.app"), l.t("diag.col.state"), l.t("diag.col.check"), l.t("diag.col.target"), l.t("diag.col.duration"), l.t("diag.col.reason")}}
	row := func(app, crit string, ch status.CheckResult) []cell {
		reason := ""
		if ch.Reason != nil {
			// Without the agent's next step: the service desk reads this.
			reason = strings.TrimSpace(ch.Reason.Text.In(string(l)))
		}
		if ch.Error != "" {
			// The error as the check saw it (Go's words, in English):
			// a detail for the helpdesk, after the reason.
			reason = strings.TrimSpace(reason + " " + l.t("diag.detail", ch.Error))
		}
		first := app
		if crit != "" {
			first += " (" + crit + ")"
		}
		took := "—" // never ran (blocked, pending)
		if ch.Duration > 0 {
			took = l.shortDuration(ch.Duration)
		}
		return []cell{
			{Text: first}, {Text: l.word("diag.state.", string(ch.State)), Class: stateClass(ch.State)},
			{Text: l.checkPath(ch)}, {Text: orDash(ch.Target)},
			{Text: took, Class: "num"}, {Text: orDash(reason)},
		}
	}
	for _, a := range r.Apps {
		name := a.Name.In(string(l))
		if name == "" {
			name = a.ID
		}
		if len(a.Checks) == 0 {
			tb.Rows = append(tb.Rows, []cell{{Text: name + " (" + l.word("diag.crit.", a.Criticality) + ")"}, {Text: l.word("diag.state.", string(a.State)), Class: stateClass(a.State)}, {Text: "—"}, {Text: "—"}, {Text: "—"}, {Text: l.appReason(a, nil)}})
		}
		for _, ch := range a.Checks {
			tb.Rows = append(tb.Rows, row(name, l.word("diag.crit.", a.Criticality), ch))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(r.Builtins)) {
		tb.Rows = append(tb.Rows, row(l.word("diag.builtin.", id), "", r.Builtins[id]))
	}
	s.Tables = []table{tb}
	return s
}

// checkPath is a check's id, its kind ("HTTP") and the way it went ("par
// le tunnel"); a built-in check (its kind is its id) is its id and way.
func (l tr) checkPath(ch status.CheckResult) string {
	parts := []string{ch.ID}
	if ch.Type != "" && ch.Type != ch.ID {
		parts = append(parts, l.word("diag.check_type.", ch.Type))
	}
	if ch.Via != "" {
		parts = append(parts, l.word("diag.via.", ch.Via))
	}
	return strings.Join(parts, " · ")
}

// flagWords are an interface's or a route's flags ("up", "loopback",
// "gateway") in words.
func (l tr) flagWords(flags []string) string {
	ws := make([]string, len(flags))
	for i, f := range flags {
		ws[i] = l.word("diag.netflag.", f)
	}
	return strings.Join(ws, " ")
}

func (c contents) historySection(l tr) section {
	s := section{ID: "history", Title: l.t("diag.section.history")}
	if c.checks == nil || c.checks.History.Records == 0 {
		return s
	}
	h := c.checks.History
	// The apps by name, as the last report has them.
	appName := map[string]string{}
	if c.checks.LastReport != nil {
		for _, a := range c.checks.LastReport.Apps {
			if n := a.Name.In(string(l)); n != "" {
				appName[a.ID] = n
			}
		}
	}
	s.Facts = []fact{
		{Label: l.t("diag.history.records"), Value: strconv.Itoa(h.Records)},
		{Label: l.t("diag.history.period"), Value: l.t("diag.apps.run_value", localTime(h.From), localTime(h.To))},
	}
	tb := table{Caption: l.t("diag.history.per_check"), Head: []string{l.t("diag.col.check"), l.t("diag.col.app"), l.t("diag.state.ok"), l.t("diag.state.degraded"), l.t("diag.state.failed"), l.t("diag.state.blocked"), l.t("diag.col.last")}}
	for _, t := range h.PerCheck {
		count := func(n int, bad string) cell {
			if n == 0 {
				bad = ""
			}
			return cell{Text: strconv.Itoa(n), Class: strings.TrimSpace("num " + bad)}
		}
		app := t.App
		if n := appName[app]; n != "" {
			app = n
		}
		tb.Rows = append(tb.Rows, []cell{{Text: t.Check}, {Text: orDash(app)}, count(t.OK, ""), count(t.Degraded, "warn"), count(t.Failed, "bad"), count(t.Blocked, "bad"),
			{Text: l.word("diag.state.", t.LastState) + " · " + localTime(t.Last), Class: stateClass(status.State(t.LastState))}})
	}
	s.Tables = append(s.Tables, tb)
	if len(h.Problems) > 0 {
		pt := table{Caption: l.t("diag.history.problems", min(len(h.Problems), problemsShown)), Head: []string{l.t("diag.col.at"), l.t("diag.col.check"), l.t("diag.col.state"), l.t("diag.col.reason")}}
		for _, r := range h.Problems[:min(len(h.Problems), problemsShown)] {
			pt.Rows = append(pt.Rows, []cell{{Text: localTime(r.At), Class: "num"}, {Text: r.Check}, {Text: l.word("diag.state.", r.State), Class: stateClass(status.State(r.State))}, {Text: l.word("diag.reason.", r.Reason)}})
		}
		s.Tables = append(s.Tables, pt)
	}
	return s
}

func (c contents) profileSection(l tr) section {
	s := section{ID: "profile", Title: l.t("diag.section.profile")}
	p := c.profile
	if p == nil || !p.Cached || p.ProfileFacts == nil {
		s.Empty = l.t("diag.profile.line_none")
		return s
	}
	sig := fact{Label: l.t("diag.profile.signature"), Value: l.word("diag.signature.", p.Signature)}
	switch p.Signature {
	case "valid":
		sig.Class = "good"
	case "invalid":
		sig.Class = "bad"
	}
	exp := fact{Label: l.t("diag.profile.expiry"), Value: l.expiry(p.ProfileFacts)}
	if p.Expired {
		exp.Class = "bad"
	}
	s.Facts = []fact{
		{Label: l.t("diag.profile.serial"), Value: strconv.FormatInt(p.Serial, 10)},
		sig, exp,
		{Label: l.t("diag.profile.fetched"), Value: localTime(p.FetchedAt)},
		{Label: l.t("diag.profile.source"), Value: orDash(p.Source)},
	}
	return s
}

// factLine is a fact of system.json or network.json as a definition:
// its value in words, or its collector's error.
func factLine(l tr, facts map[string]rawFact, key, label string, show func(rawFact) (string, bool)) (fact, bool) {
	f, ok := facts[key]
	if !ok {
		return fact{}, false
	}
	if v, ok := show(f); ok {
		return fact{Label: label, Value: v}, true
	}
	if f.Error != "" {
		return fact{Label: label, Value: l.t("diag.not_collected", f.Error), Class: "bad"}, true
	}
	return fact{Label: label, Value: "—"}, true
}

func showFact[T any](key string, format func(T) string) func(rawFact) (string, bool) {
	return func(f rawFact) (string, bool) {
		v, _, ok := factValue[T](map[string]rawFact{key: f}, key)
		if !ok {
			return "", false
		}
		return format(v), true
	}
}

func (c contents) systemSection(l tr) section {
	s := section{ID: "system", Title: l.t("diag.section.system")}
	if c.system == nil {
		return s
	}
	add := func(f fact, ok bool) {
		if ok {
			s.Facts = append(s.Facts, f)
		}
	}
	str := func(v string) string { return orDash(v) }
	add(factLine(l, c.system, "os", l.t("diag.system.os"), showFact("os", func(o OSFacts) string {
		if o.Pretty != "" {
			return o.Pretty
		}
		return strings.TrimSpace(o.Name + " " + o.Version)
	})))
	add(factLine(l, c.system, "kernel", l.t("diag.system.kernel"), showFact("kernel", str)))
	add(factLine(l, c.system, "runtime", l.t("diag.system.runtime"), showFact("runtime", func(r RuntimeFacts) string {
		return fmt.Sprintf("%s/%s, %s, %d CPU", r.OS, r.Arch, r.Go, r.CPUs)
	})))
	add(factLine(l, c.system, "hostname", l.t("diag.system.hostname"), showFact("hostname", str)))
	add(factLine(l, c.system, "user", l.t("diag.system.user"), showFact("user", func(u UserFacts) string {
		s := u.Login
		if u.Name != "" && u.Name != u.Login {
			s += " (" + u.Name + ")"
		}
		if u.Home != "" {
			s += " · " + u.Home
		}
		return s
	})))
	add(factLine(l, c.system, "uptime", l.t("diag.system.uptime"), showFact("uptime", func(sec float64) string {
		return l.duration(time.Duration(sec * float64(time.Second)))
	})))
	add(factLine(l, c.system, "locale", l.t("diag.system.locale"), showFact("locale", keyValues)))
	return s
}

// keyValues writes a map as K=V, sorted.
func keyValues(m map[string]string) string {
	if len(m) == 0 {
		return "—"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}

func (c contents) networkSection(l tr) section {
	s := section{ID: "network", Title: l.t("diag.section.network")}
	if c.network == nil {
		return s
	}
	errFact := func(key, label string) {
		if f, ok := c.network[key]; ok && f.Error != "" && f.Error != Unsupported {
			s.Facts = append(s.Facts, fact{Label: label, Value: l.t("diag.not_collected", f.Error), Class: "bad"})
		}
	}
	if ifs, _, ok := factValue[[]IfaceFacts](c.network, "interfaces"); ok {
		tb := table{Caption: l.t("diag.network.interfaces"), Head: []string{l.t("diag.col.name"), l.t("diag.col.flags"), "MTU", "MAC", l.t("diag.col.addresses")}}
		for _, i := range ifs {
			addrs := strings.Join(i.Addresses, ", ")
			if i.Error != "" {
				addrs = strings.TrimSpace(addrs + " " + l.t("diag.not_collected", i.Error))
			}
			cls := ""
			if !contains(i.Flags, "up") {
				cls = "warn"
			}
			tb.Rows = append(tb.Rows, []cell{{Text: i.Name, Class: cls}, {Text: l.flagWords(i.Flags)}, {Text: strconv.Itoa(i.MTU), Class: "num"}, {Text: orDash(i.MAC)}, {Text: orDash(addrs)}})
		}
		s.Tables = append(s.Tables, tb)
	}
	errFact("interfaces", l.t("diag.network.interfaces"))
	rt := table{Caption: l.t("diag.network.routes"), Head: []string{l.t("diag.col.destination"), l.t("diag.col.gateway"), l.t("diag.col.iface"), l.t("diag.col.metric"), l.t("diag.col.flags")}}
	for _, key := range []string{"routes", "routes6"} {
		if rs, _, ok := factValue[[]Route](c.network, key); ok {
			for _, r := range rs {
				if contains(r.Flags, "reject") || r.Iface == "lo" {
					continue // the kernel's local and unreachable routes say nothing useful
				}
				rt.Rows = append(rt.Rows, []cell{{Text: r.Destination}, {Text: orDash(r.Gateway)}, {Text: r.Iface}, {Text: strconv.FormatUint(uint64(r.Metric), 10), Class: "num"}, {Text: l.flagWords(r.Flags)}})
			}
		} else if txt, _, ok := factValue[RouteText](c.network, key); ok {
			s.Pre = strings.Join(txt.Lines, "\n")
		}
	}
	if len(rt.Rows) > 0 {
		s.Tables = append(s.Tables, rt)
	}
	errFact("routes", l.t("diag.network.routes"))
	errFact("routes6", l.t("diag.network.routes6"))
	if gws, _, ok := factValue[[]GatewayProbe](c.network, "gateway"); ok && len(gws) > 0 {
		gt := table{Caption: l.t("diag.network.gateway"), Head: []string{l.t("diag.col.address"), l.t("diag.col.iface"), l.t("diag.col.method"), l.t("diag.col.answers"), l.t("diag.col.detail")}}
		for _, g := range gws {
			ans := cell{Text: l.yesNo(g.Reachable), Class: "bad"}
			if g.Reachable {
				ans.Class = "good"
				ans.Text += " (" + l.shortDuration(time.Duration(g.RTTMS*float64(time.Millisecond))) + ")"
			}
			gt.Rows = append(gt.Rows, []cell{{Text: g.Address}, {Text: g.Iface}, {Text: l.word("diag.method.", g.Method)}, ans, {Text: orDash(g.Detail)}})
		}
		s.Tables = append(s.Tables, gt)
	}
	errFact("gateway", l.t("diag.network.gateway"))
	if f, ok := factLine(l, c.network, "dns", l.t("diag.network.dns"), showFact("dns", func(r ResolvConf) string {
		v := strings.Join(r.Nameservers, ", ")
		if len(r.Search) > 0 {
			v += " · " + l.t("diag.network.search", strings.Join(r.Search, " "))
		}
		if len(r.Options) > 0 {
			v += " · " + strings.Join(r.Options, " ")
		}
		return orDash(v)
	})); ok {
		s.Facts = append(s.Facts, f)
	}
	if f, ok := factLine(l, c.network, "proxy", l.t("diag.network.proxy"), showFact("proxy", keyValues)); ok {
		s.Facts = append(s.Facts, f)
	}
	if ls, _, ok := factValue[[]string](c.network, "resolvectl"); ok && len(ls) > 0 {
		s.Facts = append(s.Facts, fact{Label: "resolvectl", Value: l.t("diag.network.resolvectl", len(ls))})
	}
	errFact("resolvectl", "resolvectl")
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func failuresSection(l tr, fs []CollectorFailure) section {
	s := section{ID: "failures", Title: l.t("diag.section.failures")}
	if len(fs) == 0 {
		s.Empty = l.t("diag.failures.none")
		return s
	}
	tb := table{Head: []string{l.t("diag.col.collector"), l.t("diag.col.error")}}
	shown, more := Listed(len(fs))
	for _, f := range fs[:shown] {
		tb.Rows = append(tb.Rows, []cell{{Text: l.collectorWord(f.Name)}, {Text: f.Error, Class: "bad"}})
	}
	if more > 0 {
		tb.Rows = append(tb.Rows, []cell{{Text: More(string(l), more)}, {}})
	}
	s.Tables = []table{tb}
	return s
}

func (c contents) drillsSection(l tr) section {
	s := section{ID: "drills", Title: l.t("diag.section.drills")}
	if c.drills == nil || len(c.drills.Runs) == 0 {
		return s
	}
	runs := append([]*drills.Run(nil), c.drills.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i] != nil && runs[j] != nil && runs[i].Started.After(runs[j].Started) })
	tb := table{Head: []string{l.t("diag.col.drill"), l.t("diag.col.state"), l.t("diag.col.started"), l.t("diag.col.finished"), l.t("diag.col.steps"), l.t("diag.col.tto")}}
	for _, r := range runs {
		if r == nil {
			continue
		}
		done, failed := 0, 0
		for _, st := range r.Steps {
			switch st.State {
			case drills.StepDone, drills.StepSkipped:
				done++
			case drills.StepFailed:
				failed++
			}
		}
		steps := l.t("diag.drills.steps", done, len(r.Steps))
		cls := ""
		if failed > 0 {
			steps += " · " + l.t("diag.drills.failed_steps", failed)
			cls = "bad"
		}
		tto := l.t("diag.tunnel.tto_never")
		if r.TimeToOperational != nil {
			tto = l.duration(*r.TimeToOperational)
		}
		title := r.Drill.Title.In(string(l))
		if title == "" {
			title = r.DrillID
		}
		tb.Rows = append(tb.Rows, []cell{{Text: title}, {Text: l.word("diag.run.", string(r.State))}, {Text: localTime(r.Started), Class: "num"}, {Text: localTime(r.Finished), Class: "num"}, {Text: steps, Class: cls}, {Text: tto}})
	}
	s.Tables = []table{tb}
	return s
}

func (c contents) settingsSection(l tr) section {
	s := section{ID: "settings", Title: l.t("diag.section.settings")}
	for _, k := range slices.Sorted(maps.Keys(c.settings)) {
		s.Facts = append(s.Facts, fact{Label: l.word("diag.setting.", k), Value: l.settingValue(k, c.settings[k])})
	}
	return s
}

// settingValue is a setting's value in words: yes or no, the tunnel's
// mode, the language; other values (addresses) as written.
func (l tr) settingValue(key, v string) string {
	switch {
	case v == "true":
		return l.yesNo(true)
	case v == "false":
		return l.yesNo(false)
	case key == "tunnel_mode":
		return l.word("diag.tunnel.mode.", v)
	case key == "language":
		return l.word("diag.language.", v)
	}
	return orDash(v)
}

func (c contents) logSection(l tr) section {
	s := section{ID: "log", Title: l.n("diag.section.log", min(len(c.log), logLinesShown))}
	from := max(0, len(c.log)-logLinesShown)
	s.Pre = strings.Join(c.log[from:], "\n")
	return s
}
