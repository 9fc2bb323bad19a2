package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"relais/internal/i18n"
	"relais/internal/status"
)

// contents are a bundle's files read back, each nil (or empty) when it is
// missing or does not parse: a bundle from another version still shows
// what it can.
type contents struct {
	tunnel   *TunnelFile
	checks   *ChecksFile
	profile  *ProfileFile
	drills   *DrillsFile
	system   map[string]rawFact
	network  map[string]rawFact
	settings map[string]string
	log      []string // the lines of log.txt
}

// rawFact is a part of system.json or network.json, its value undecoded.
type rawFact struct {
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// contentsOf reads a bundle's files back.
func contentsOf(b *Bundle) contents {
	var c contents
	decode := func(name string, v any) bool {
		data, ok := b.Files[name]
		return ok && json.Unmarshal(data, v) == nil
	}
	c.tunnel, c.checks, c.profile, c.drills = &TunnelFile{}, &ChecksFile{}, &ProfileFile{}, &DrillsFile{}
	if !decode(NameTunnel, c.tunnel) {
		c.tunnel = nil
	}
	if !decode(NameChecks, c.checks) {
		c.checks = nil
	}
	if !decode(NameProfile, c.profile) {
		c.profile = nil
	}
	if !decode(NameDrills, c.drills) {
		c.drills = nil
	}
	decode(NameSystem, &c.system)
	decode(NameNetwork, &c.network)
	decode(NameSettings, &c.settings)
	if data := b.Files[NameLog]; len(data) > 0 {
		c.log = strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	}
	return c
}

// Fact is the part key of the bundle's file (NameSystem, NameNetwork)
// decoded: ok is false when the file or the part is missing, null or does
// not decode; errText is its collector's error.
func Fact[T any](b *Bundle, file, key string) (v T, errText string, ok bool) {
	var facts map[string]rawFact
	if err := json.Unmarshal(b.Files[file], &facts); err != nil {
		return v, "", false
	}
	return factValue[T](facts, key)
}

// factValue decodes the value of a part of system.json or network.json;
// ok is false when it is missing or does not decode, errText is its
// collector's error, if any.
func factValue[T any](facts map[string]rawFact, key string) (v T, errText string, ok bool) {
	f, found := facts[key]
	if !found {
		return v, "", false
	}
	if len(f.Value) == 0 || string(f.Value) == "null" {
		return v, f.Error, false
	}
	if err := json.Unmarshal(f.Value, &v); err != nil {
		return v, f.Error, false
	}
	return v, f.Error, true
}

// verdict is what a person must read first: Mode urgence's state, what
// fails and why, what works.
type verdict struct {
	Class    string // good, warn, bad or idle
	Headline string // "Mode urgence : en échec"
	Failing  []appProblem
	Degraded []string // app names
	Working  []string // app names
	Note     string   // no check yet, or the tunnel's failure, in words
}

type appProblem struct {
	Name, Criticality, State, Reason string
}

// names joins app names for a sentence.
func names(ps []appProblem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// tr is a translator for one language.
type tr string

func (l tr) t(key string, args ...any) string { return i18n.T(string(l), key, args...) }

// n is key's plural form for count, which it shows.
func (l tr) n(key string, count int) string { return i18n.N(string(l), key, count, count) }

// word is the catalogue's word for a code, or the code itself when the
// catalogue has none (a code from a newer Relais).
func (l tr) word(prefix, code string) string {
	if code == "" {
		return "—"
	}
	key := prefix + code
	if w := l.t(key); w != key {
		return w
	}
	return code
}

func (c contents) verdict(l tr) verdict {
	var v verdict
	t := c.tunnel
	switch {
	case t == nil || !t.Known:
		v.Class, v.Headline = "idle", l.t("diag.verdict.unknown")
	default:
		// Mode urgence's verdict, in the words of the app and the CLI.
		ev := status.Judge(c.snapshot())
		v.Headline = l.verdictSentence(ev)
		switch ev.Level {
		case status.VerdictOperational:
			v.Class = "good"
		case status.VerdictDegraded, status.VerdictPartial, status.VerdictMaintenance, status.VerdictConnecting, status.VerdictChecking:
			v.Class = "warn"
		case status.VerdictFailed:
			v.Class = "bad"
		default:
			v.Class = "idle"
		}
	}
	if t != nil && t.Error != "" {
		v.Note = l.t("diag.verdict.tunnel_failed", t.Error)
	}
	var rep *status.Report
	if c.checks != nil {
		rep = c.checks.LastReport
	}
	if rep == nil {
		if v.Note == "" {
			v.Note = l.t("diag.verdict.no_report")
		}
		return v
	}
	appName := map[string]string{}
	for _, a := range rep.Apps {
		appName[a.ID] = a.Name.In(string(l))
	}
	for _, a := range rep.Apps {
		name := a.Name.In(string(l))
		if name == "" {
			name = a.ID
		}
		switch a.State {
		case status.StateOK:
			v.Working = append(v.Working, name)
		case status.StateDegraded:
			v.Degraded = append(v.Degraded, name)
		default:
			v.Failing = append(v.Failing, appProblem{
				Name: name, Criticality: l.word("diag.crit.", a.Criticality), State: l.word("diag.state.", string(a.State)),
				Reason: l.appReason(a, appName),
			})
		}
	}
	return v
}

// snapshot is the engine's state as the bundle recorded it (tunnel.json
// and the last report of checks.json), for status.Judge: a bundle of any
// version gets the verdict the app and the CLI show for the same state.
func (c contents) snapshot() status.Snapshot {
	var s status.Snapshot
	if t := c.tunnel; t != nil {
		s.Phase, s.Started, s.Stopped, s.Tunnel, s.TunnelError = t.Phase, t.Started, t.Stopped, t.Status, t.Error
	}
	if c.checks != nil {
		s.Report = c.checks.LastReport
	}
	return s
}

// verdictLine is the bundle's verdict sentence.
func (c contents) verdictLine(l tr) string { return l.verdictSentence(status.Judge(c.snapshot())) }

// verdictSentence words Mode urgence's verdict as the app and the CLI do.
func (l tr) verdictSentence(v status.Verdict) string {
	key, n, args := v.Message()
	if n >= 0 {
		return i18n.N(string(l), key, n, args...)
	}
	return l.t(key, args...)
}

// appReason says in words why an app is not working: its first check's
// reason, or what blocks it. The next step the agent was shown ("call the
// service desk") is left out: the bundle is read by the service desk.
func (l tr) appReason(a status.AppResult, appName map[string]string) string {
	if a.State == status.StateBlocked && len(a.BlockedBy) > 0 {
		by := make([]string, len(a.BlockedBy))
		for i, id := range a.BlockedBy {
			if n := appName[id]; n != "" {
				by[i] = n
			} else {
				by[i] = l.word("diag.builtin.", id)
			}
		}
		return l.t("diag.verdict.blocked", strings.Join(by, ", "))
	}
	for _, c := range a.Checks {
		if c.Reason != nil {
			return strings.TrimSpace(c.Reason.Text.In(string(l)))
		}
	}
	if a.State == status.StatePending {
		return l.t("diag.verdict.pending")
	}
	return l.t("diag.verdict.no_reason")
}

// tunnelLine is the tunnel in one line.
func (c contents) tunnelLine(l tr, now time.Time) string {
	t := c.tunnel
	if t == nil || !t.Known {
		return l.t("diag.tunnel.line", l.t("diag.tunnel.unknown"))
	}
	s := t.Status
	parts := []string{}
	if s.Mode != "" {
		parts = append(parts, l.word("diag.tunnel.mode.", string(s.Mode)))
	}
	if s.Up {
		parts = append(parts, l.t("diag.tunnel.up"))
	} else {
		parts = append(parts, l.t("diag.tunnel.down"))
	}
	if s.EndpointShown() != "" {
		parts = append(parts, l.t("diag.tunnel.endpoint", s.EndpointShown()))
	}
	if age := s.HandshakeAge(now); age >= 0 {
		parts = append(parts, l.t("diag.tunnel.handshake", l.duration(age)))
	} else {
		parts = append(parts, l.t("diag.tunnel.no_handshake"))
	}
	parts = append(parts, l.t("diag.tunnel.bytes", l.bytes(s.RxBytes), l.bytes(s.TxBytes)))
	return l.t("diag.tunnel.line", strings.Join(parts, ", "))
}

// profileLine is the profile in one line.
func (c contents) profileLine(l tr) string {
	p := c.profile
	if p == nil || !p.Cached || p.ProfileFacts == nil {
		return l.t("diag.profile.line_none")
	}
	return l.t("diag.profile.line", p.Serial, l.word("diag.signature.", p.Signature), l.expiry(p.ProfileFacts))
}

func (l tr) expiry(p *ProfileFacts) string {
	switch {
	case p.Expires.IsZero():
		return l.t("diag.profile.never_expires")
	case p.Expired:
		return l.t("diag.profile.expired", localTime(p.Expires))
	}
	return l.t("diag.profile.expires", localTime(p.Expires))
}

// failuresLine names the collectors that failed, "" when none did; their
// errors are details (failureDetail), not what is read first.
func (l tr) failuresLine(fs []CollectorFailure) string {
	if len(fs) == 0 {
		return ""
	}
	shown, more := Listed(len(fs))
	parts := make([]string, shown)
	for i, f := range fs[:shown] {
		parts[i] = l.collectorWord(f.Name)
	}
	if more > 0 {
		return i18n.N(string(l), "diag.failures.line_more", more, strings.Join(parts, ", "), i18n.Integer(string(l), more))
	}
	return l.t("diag.failures.line", strings.Join(parts, ", "))
}

// failureDetail is a failed collector and its error, under "Détails".
func (l tr) failureDetail(f CollectorFailure) string {
	return l.t("diag.failures.item", l.collectorWord(f.Name), f.Error)
}

// collectorWord is a collector's name ("system.uptime", "network.routes")
// in words: its own, else as the page labels what it collects, else the
// name itself (a collector of a newer Relais).
func (l tr) collectorWord(name string) string {
	if w := l.word("diag.collector.", name); w != name {
		return w
	}
	file, key, ok := strings.Cut(name, ".")
	if !ok || (file != "system" && file != "network") {
		return name
	}
	if w := l.word("diag."+file+".", key); w != key {
		return w
	}
	return name
}

// metaLine is the bundle itself: case code, when, which Relais, level.
func (l tr) metaLine(m Manifest) string {
	app := m.App.Version
	if m.App.Commit != "" {
		app += " (" + m.App.Commit + ")"
	}
	s := l.t("diag.meta", m.CaseCode, localTime(m.Created), app, l.word("diag.level.", string(m.Level)))
	if m.Encrypted {
		s += " · " + l.t("diag.meta.encrypted")
	}
	return s
}

// Summary is the bundle's verdict as plain text for a terminal, in lang
// (`relais diag open`, the app's diagnostics screen). Every line goes through TerminalText: what the
// bundle says (app names, reasons, errors, versions) carries no control
// sequence to the terminal.
func Summary(b *Bundle, lang string) string {
	l := tr(i18n.Normalize(lang))
	c := contentsOf(b)
	v := c.verdict(l)
	var s bytes.Buffer
	line := func(x string) {
		if x = TerminalText(x); x != "" {
			s.WriteString(x)
			s.WriteByte('\n')
		}
	}
	line(l.t("diag.title") + " " + b.Manifest.CaseCode)
	line(l.metaLine(b.Manifest))
	s.WriteByte('\n')
	line(v.Headline)
	line(v.Note)
	if len(v.Failing) > 0 {
		line(l.t("diag.verdict.failing", strings.Join(names(v.Failing), ", ")))
		for _, p := range v.Failing {
			line("  - " + l.t("diag.verdict.item", p.Name, p.Criticality, p.State, p.Reason))
		}
	}
	if len(v.Degraded) > 0 {
		line(l.t("diag.verdict.degraded", strings.Join(v.Degraded, ", ")))
	}
	if len(v.Working) > 0 {
		line(l.t("diag.verdict.working", strings.Join(v.Working, ", ")))
	}
	line(c.tunnelLine(l, b.Manifest.Created))
	line(c.profileLine(l))
	line(l.failuresLine(b.Manifest.Failures))
	shown, more := Listed(len(b.Manifest.Failures))
	for _, f := range b.Manifest.Failures[:shown] {
		line("  - " + l.failureDetail(f))
	}
	if more > 0 {
		line("  " + More(string(l), more))
	}
	if b.Manifest.Redactions > 0 {
		line(l.t("diag.redactions", b.Manifest.Redactions))
	}
	return s.String()
}

// localTime is t for people, in the local time zone; "—" for none.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// duration writes a duration for people in the page's language, as the
// rest of Relais does ("0,8 s", "42 s", "15 min", "1 h 5 min"), and a
// day or more in days and hours ("3 j 4 h", "3 d 4 h" in English).
func (l tr) duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 24*time.Hour {
		return i18n.Duration(string(l), d)
	}
	h := int64(d.Round(time.Hour) / time.Hour)
	s := fmt.Sprintf("%d %s", h/24, l.t("diag.units.day"))
	if h%24 != 0 {
		s += fmt.Sprintf(" %d h", h%24)
	}
	return s
}

// shortDuration is a quick measure (a round trip, a check): under a
// tenth of a second, the least a person notices, it is "moins de 0,1 s".
func (l tr) shortDuration(d time.Duration) string {
	if d < 100*time.Millisecond {
		return l.t("diag.duration.under", i18n.Duration(string(l), 100*time.Millisecond))
	}
	return l.duration(d)
}

// bytes is a byte count for people: 512 o, 1,5 ko, 12,3 Mo (fr) or 512 B,
// 1.5 kB, 12.3 MB (en).
func (l tr) bytes(n int64) string {
	units := strings.Fields(l.t("diag.units.bytes"))
	if len(units) < 4 {
		units = []string{"B", "kB", "MB", "GB"}
	}
	if n < 1000 {
		return fmt.Sprintf("%d %s", n, units[0])
	}
	f, u := float64(n), 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	s := fmt.Sprintf("%.1f", f)
	if l == i18n.FR {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + units[u]
}
