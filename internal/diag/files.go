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
	"relais/internal/diag/bundle"
	"relais/internal/engine"
	"relais/internal/store"
)

// fileOrder is the order of the files in the zip: what a person opens
// first, then the facts. profile.toml and managed.toml are there only when
// the Input has them.
var fileOrder = []string{bundle.NameSummary, bundle.NameManifest, bundle.NameSystem, bundle.NameNetwork, bundle.NameTunnel, bundle.NameChecks, bundle.NameDrills, bundle.NameProfile, bundle.NameProfileTOML, bundle.NameSettings, bundle.NameManaged, bundle.NameLog}

// newTunnelFile is tunnel.json for the engine's state (nil: none recorded).
func newTunnelFile(s *engine.Snapshot, devicePublicKey string) bundle.TunnelFile {
	f := bundle.TunnelFile{DevicePublicKey: devicePublicKey, Timeline: []engine.TimelineEntry{}}
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

// History limits: a week of checks is tens of thousands of results
// (store.KeepChecks of them are kept), too many to read and, with their
// details, megabytes. The bundle keeps counts per check and per hour, which
// show when and how often each failed, plus the newest results and the
// newest problems in full.
const (
	recentRecords  = 200
	problemRecords = 200
)

// countState counts one result in state.
func countState(c *bundle.StateCounts, state string) {
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

func newHistoryRecord(r store.CheckRecord) bundle.HistoryRecord {
	h := bundle.HistoryRecord{RunAt: r.RunAt, At: r.At, Check: r.CheckID, App: r.AppID, Type: r.Type, State: r.State, DurationMS: ms(r.Duration), Reason: r.ReasonCode}
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

// newHistory summarises the check history (see History limits).
func newHistory(recs []store.CheckRecord) bundle.History {
	h := bundle.History{Records: len(recs), PerCheck: []bundle.CheckTotals{}, Hourly: []bundle.HourCounts{}, Recent: []bundle.HistoryRecord{}, Problems: []bundle.HistoryRecord{}}
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
	totals := map[string]*bundle.CheckTotals{}
	hours := map[hourKey]*bundle.HourCounts{}
	sums := map[hourKey]float64{}
	for _, r := range rs {
		t := totals[r.CheckID]
		if t == nil {
			t = &bundle.CheckTotals{Check: r.CheckID, App: r.AppID, Type: r.Type, First: r.At}
			totals[r.CheckID] = t
		}
		countState(&t.StateCounts, r.State)
		t.Last, t.LastState = r.At, r.State
		hour := r.At.UTC().Truncate(time.Hour)
		k := hourKey{r.CheckID, hour.Unix()}
		hc := hours[k]
		if hc == nil {
			hc = &bundle.HourCounts{Check: r.CheckID, Hour: hour}
			hours[k] = hc
		}
		countState(&hc.StateCounts, r.State)
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
// an unknown time (a zero time.Time, in the bundle's types or in the
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
