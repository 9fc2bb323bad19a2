package diag

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"relais/internal/checks"
	"relais/internal/drills"
	"relais/internal/engine"
	"relais/internal/store"
	"relais/internal/tunnel"
)

// The files of a bundle.
const (
	nameSummary     = "summary.html"
	nameManifest    = "manifest.json"
	nameSystem      = "system.json"
	nameNetwork     = "network.json"
	nameTunnel      = "tunnel.json"
	nameChecks      = "checks.json"
	nameDrills      = "drills.json"
	nameProfile     = "profile.json"
	nameProfileTOML = "profile.toml"
	nameSettings    = "settings.json"
	nameManaged     = "managed.toml"
	nameLog         = "log.txt"
)

// fileOrder is the order of the files in the zip: what a person opens
// first, then the facts. profile.toml and managed.toml are there only when
// the Input has them.
var fileOrder = []string{nameSummary, nameManifest, nameSystem, nameNetwork, nameTunnel, nameChecks, nameDrills, nameProfile, nameProfileTOML, nameSettings, nameManaged, nameLog}

// tunnelFile is tunnel.json: Mode urgence and its tunnel.
type tunnelFile struct {
	Known               bool                   `json:"known"` // false: Mode urgence has no recorded state
	Phase               engine.Phase           `json:"phase,omitempty"`
	Started             time.Time              `json:"started"`
	Stopped             bool                   `json:"stopped"`
	Runs                int                    `json:"runs"`
	TimeToOperationalMS *float64               `json:"time_to_operational_ms"` // null: never operational
	Owned               bool                   `json:"owned"`                  // false: a tunnel already up was reused
	Status              tunnel.Status          `json:"status"`
	Error               string                 `json:"error,omitempty"`
	AtLastReport        tunnel.Status          `json:"at_last_report"`
	Profile             engine.ProfileInfo     `json:"profile"`
	DevicePublicKey     string                 `json:"device_public_key,omitempty"`
	Timeline            []engine.TimelineEntry `json:"timeline"`
}

func newTunnelFile(s *engine.Snapshot, devicePublicKey string) tunnelFile {
	f := tunnelFile{DevicePublicKey: devicePublicKey, Timeline: []engine.TimelineEntry{}}
	if s == nil {
		return f
	}
	f.Known, f.Phase, f.Started, f.Stopped, f.Runs = true, s.Phase, s.Started, s.Stopped, s.Runs
	f.Owned, f.Status, f.Error, f.AtLastReport, f.Profile = s.TunnelOwned, s.Tunnel, s.TunnelError, s.TunnelAtReport, s.Profile
	if s.TimeToOperational != nil {
		v := ms(*s.TimeToOperational)
		f.TimeToOperationalMS = &v
	}
	if s.Timeline != nil {
		f.Timeline = s.Timeline
	}
	return f
}

// checksFile is checks.json: the last report and the history, summarised
// (see history).
type checksFile struct {
	LastReport *checks.Report `json:"last_report"` // null: none
	History    history        `json:"history"`
}

// History limits: a week of checks is tens of thousands of results
// (store.KeepChecks of them are kept), too many to read and, with their
// details, megabytes. The bundle keeps counts per check and per hour, which
// show when and how often each failed, plus the newest results and the
// newest problems in full.
const (
	recentRecords  = 200
	problemRecords = 200
)

// history is the check history: totals per check, counts per check and
// hour, and the newest results and problems in full.
type history struct {
	Records  int             `json:"records"` // how many results the history held
	From     time.Time       `json:"from"`
	To       time.Time       `json:"to"`
	PerCheck []checkTotals   `json:"per_check"`
	Hourly   []hourCounts    `json:"hourly"`
	Recent   []historyRecord `json:"recent"`   // the newest recentRecords results, newest first
	Problems []historyRecord `json:"problems"` // the newest problemRecords results not ok, newest first
}

// stateCounts counts results by state.
type stateCounts struct {
	OK       int `json:"ok,omitempty"`
	Degraded int `json:"degraded,omitempty"`
	Failed   int `json:"failed,omitempty"`
	Blocked  int `json:"blocked,omitempty"`
	Pending  int `json:"pending,omitempty"`
	Other    int `json:"other,omitempty"`
}

func (c *stateCounts) add(state string) {
	switch checks.State(state) {
	case checks.StateOK:
		c.OK++
	case checks.StateDegraded:
		c.Degraded++
	case checks.StateFailed:
		c.Failed++
	case checks.StateBlocked:
		c.Blocked++
	case checks.StatePending:
		c.Pending++
	default:
		c.Other++
	}
}

type checkTotals struct {
	Check string `json:"check"`
	App   string `json:"app,omitempty"`
	Type  string `json:"type,omitempty"`
	stateCounts
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	LastState string    `json:"last_state"`
}

type hourCounts struct {
	Check string    `json:"check"`
	Hour  time.Time `json:"hour"`
	stateCounts
	AvgMS float64 `json:"avg_ms"`
	MaxMS float64 `json:"max_ms"`
}

type historyRecord struct {
	RunAt      time.Time       `json:"run_at"`
	At         time.Time       `json:"at"`
	Check      string          `json:"check"`
	App        string          `json:"app,omitempty"`
	Type       string          `json:"type,omitempty"`
	State      string          `json:"state"`
	DurationMS float64         `json:"duration_ms"`
	Reason     string          `json:"reason,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

func newHistoryRecord(r store.CheckRecord) historyRecord {
	h := historyRecord{RunAt: r.RunAt, At: r.At, Check: r.CheckID, App: r.AppID, Type: r.Type, State: r.State, DurationMS: ms(r.Duration), Reason: r.ReasonCode}
	if d := strings.TrimSpace(r.DetailJSON); d != "" {
		if json.Valid([]byte(d)) {
			var b bytes.Buffer
			if json.Compact(&b, []byte(d)) == nil {
				h.Detail = b.Bytes()
			}
		} else {
			h.Detail, _ = json.Marshal(d) // kept as text, still scrubbed
		}
	}
	return h
}

func newHistory(recs []store.CheckRecord) history {
	h := history{Records: len(recs), PerCheck: []checkTotals{}, Hourly: []hourCounts{}, Recent: []historyRecord{}, Problems: []historyRecord{}}
	if len(recs) == 0 {
		return h
	}
	rs := make([]store.CheckRecord, len(recs))
	copy(rs, recs)
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].At.Equal(rs[j].At) {
			return rs[i].At.Before(rs[j].At)
		}
		return rs[i].ID < rs[j].ID
	})
	h.From, h.To = rs[0].At, rs[len(rs)-1].At
	type hourKey struct {
		check string
		hour  int64
	}
	totals := map[string]*checkTotals{}
	hours := map[hourKey]*hourCounts{}
	sums := map[hourKey]float64{}
	for _, r := range rs {
		t := totals[r.CheckID]
		if t == nil {
			t = &checkTotals{Check: r.CheckID, App: r.AppID, Type: r.Type, First: r.At}
			totals[r.CheckID] = t
		}
		t.add(r.State)
		t.Last, t.LastState = r.At, r.State
		hour := r.At.UTC().Truncate(time.Hour)
		k := hourKey{r.CheckID, hour.Unix()}
		hc := hours[k]
		if hc == nil {
			hc = &hourCounts{Check: r.CheckID, Hour: hour}
			hours[k] = hc
		}
		hc.add(r.State)
		d := ms(r.Duration)
		sums[k] += d
		if d > hc.MaxMS {
			hc.MaxMS = d
		}
	}
	for _, id := range slices.Sorted(maps.Keys(totals)) {
		h.PerCheck = append(h.PerCheck, *totals[id])
	}
	for k, hc := range hours {
		n := hc.OK + hc.Degraded + hc.Failed + hc.Blocked + hc.Pending + hc.Other
		hc.AvgMS = float64(int64(sums[k]/float64(n)*10)) / 10 // 0.1 ms is plenty
		h.Hourly = append(h.Hourly, *hc)
	}
	sort.Slice(h.Hourly, func(i, j int) bool {
		if h.Hourly[i].Check != h.Hourly[j].Check {
			return h.Hourly[i].Check < h.Hourly[j].Check
		}
		return h.Hourly[i].Hour.Before(h.Hourly[j].Hour)
	})
	for i := len(rs) - 1; i >= 0 && (len(h.Recent) < recentRecords || len(h.Problems) < problemRecords); i-- {
		if len(h.Recent) < recentRecords {
			h.Recent = append(h.Recent, newHistoryRecord(rs[i]))
		}
		if rs[i].State != string(checks.StateOK) && len(h.Problems) < problemRecords {
			h.Problems = append(h.Problems, newHistoryRecord(rs[i]))
		}
	}
	return h
}

// drillsFile is drills.json.
type drillsFile struct {
	Runs []*drills.Run `json:"runs"`
}

// profileFile is profile.json.
type profileFile struct {
	Cached bool `json:"cached"` // false: no profile cached on this device
	*ProfileFacts
}

// logText is log.txt: one line per log line, a continuation indented.
func logText(ls []LogLine) []byte {
	var b bytes.Buffer
	for _, l := range ls {
		b.WriteString(l.At.UTC().Format("2006-01-02T15:04:05.000Z"))
		b.WriteByte(' ')
		if l.Source != "" {
			b.WriteString(l.Source)
			b.WriteString(": ")
		}
		b.WriteString(strings.ReplaceAll(strings.TrimRight(l.Message, "\r\n"), "\n", "\n    "))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// marshalPlain is json.Marshal without HTML escaping (the text of a file
// is scrubbed as it is written, so it must read as written).
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// fileJSON is v as a file: indented, no HTML escaping, a final newline;
// an unknown time (a zero time.Time, in this package's types or in the
// engine's, the checks' and the drills' it carries) is null, never
// "0001-01-01T00:00:00Z".
func fileJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return nullZeroTimes(b.Bytes()), nil
}

// zeroTimeJSON is a zero time.Time as encoding/json writes it. As a whole
// JSON string (quote to quote) it can only be a time: inside another
// string its quotes would be escaped.
var zeroTimeJSON = []byte(`"0001-01-01T00:00:00Z"`)

// nullZeroTimes writes null for every zero time in the JSON text b.
func nullZeroTimes(b []byte) []byte {
	return bytes.ReplaceAll(b, zeroTimeJSON, []byte("null"))
}
