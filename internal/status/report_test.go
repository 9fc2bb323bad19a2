package status

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"relais/internal/profile"
)

// A check's result is written in the shape `relais check --json` gives
// (durations in float milliseconds, the reason as sentences) and reads back
// unchanged.
func TestCheckResultJSON(t *testing.T) {
	reason := &Reason{Code: CodeRefused,
		Text: profile.Text{FR: "Paie refuse la connexion.", EN: "Payroll refuses the connection."},
		Next: profile.Text{FR: "Appelez le support.", EN: "Call the helpdesk."}}
	s := reason.Sentence()
	if s.FR != "Paie refuse la connexion. Appelez le support." || s.EN != "Payroll refuses the connection. Call the helpdesk." {
		t.Errorf("sentence: %+v", s)
	}

	res := CheckResult{ID: "paie-web", AppID: "paie", Type: "http", State: StateFailed, Duration: 12500 * time.Microsecond,
		Phases: CheckPhases{DNS: time.Millisecond}, Conditions: []Condition{{Expr: "[STATUS] (503) == 200"}}, Reason: reason, Attempts: 2}
	b, err := json.Marshal(AppResult{ID: "paie", State: StateFailed, Checks: []CheckResult{res}})
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Checks []struct {
			ID         string             `json:"id"`
			Type       string             `json:"type"`
			State      string             `json:"state"`
			DurationMS float64            `json:"duration_ms"`
			Conditions []Condition        `json:"conditions"`
			Reason     map[string]any     `json:"reason"`
			Phases     map[string]float64 `json:"phases"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b, &shape); err != nil {
		t.Fatal(err)
	}
	c := shape.Checks[0]
	if c.ID != "paie-web" || c.Type != "http" || c.State != "failed" || c.DurationMS != 12.5 || c.Conditions[0].Expr != "[STATUS] (503) == 200" ||
		c.Reason["fr"] != s.FR || c.Reason["en"] != s.EN || c.Phases["dns_ms"] != 1 {
		t.Errorf("JSON shape: %s", b)
	}
	var back CheckResult
	if err := json.Unmarshal(b[strings.Index(string(b), `{"id":"paie-web"`):len(b)-2], &back); err != nil {
		t.Fatal(err)
	}
	if back.Duration != res.Duration || back.Reason.Code != CodeRefused || back.Reason.Next != reason.Next || back.Attempts != 2 {
		t.Errorf("round trip: %+v", back)
	}
}
