package checks

import (
	"strings"
	"testing"
	"time"

	"relais/internal/profile"
)

func TestConditions(t *testing.T) {
	seen := observed{status: 503, responseTime: 1234 * time.Millisecond, body: `{"status": "ok"}` + "\n",
		certExpiry: 48 * time.Hour, connected: true, rcode: "NXDOMAIN", ip: "10.99.0.10"}
	for _, p := range []string{"STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION", "CONNECTED", "DNS_RCODE", "IP"} {
		seen.set(p)
	}
	tests := []struct {
		cond string
		expr string
		ok   bool
	}{
		{"[STATUS] == 200", "[STATUS] (503) == 200", false},
		{"[STATUS] >= 500", "[STATUS] (503) >= 500", true},
		{"[STATUS] != 200", "[STATUS] (503) != 200", true},
		{"[RESPONSE_TIME] < 1500", "[RESPONSE_TIME] (1234) < 1500", true},
		{"[RESPONSE_TIME] > 800", "[RESPONSE_TIME] (1234) > 800", true},
		{"[RESPONSE_TIME] <= 1000", "[RESPONSE_TIME] (1234) <= 1000", false},
		{"[BODY] == pat(*ok*)", `[BODY] ({"status": "ok"}) == pat(*ok*)`, true},
		{"[BODY] == pat(*ko*)", `[BODY] ({"status": "ok"}) == pat(*ko*)`, false},
		{`[BODY] == {"status": "ok"}`, `[BODY] ({"status": "ok"}) == {"status": "ok"}`, true},
		{"[BODY] != pat(*erreur*)", `[BODY] ({"status": "ok"}) != pat(*erreur*)`, true},
		{"[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] (48h0m0s) > 72h", false},
		{"[CERTIFICATE_EXPIRATION] > 24h", "[CERTIFICATE_EXPIRATION] (48h0m0s) > 24h", true},
		{"[CONNECTED] == true", "[CONNECTED] (true) == true", true},
		{"[CONNECTED] == false", "[CONNECTED] (true) == false", false},
		{"[DNS_RCODE] == NOERROR", "[DNS_RCODE] (NXDOMAIN) == NOERROR", false},
		{"[DNS_RCODE] != NOERROR", "[DNS_RCODE] (NXDOMAIN) != NOERROR", true},
		{"[IP] == 10.99.0.10", "[IP] (10.99.0.10) == 10.99.0.10", true},
		{"[IP] == pat(10.99.*)", "[IP] (10.99.0.10) == pat(10.99.*)", true},
		{"[IP] == ::ffff:10.99.0.10", "[IP] (10.99.0.10) == ::ffff:10.99.0.10", true},
	}
	for _, tt := range tests {
		c, err := parseCondition(tt.cond)
		if err != nil {
			t.Errorf("%s: %v", tt.cond, err)
			continue
		}
		got := c.eval(&seen)
		if got.Expr != tt.expr || got.OK != tt.ok {
			t.Errorf("%s: got %q %v, want %q %v", tt.cond, got.Expr, got.OK, tt.expr, tt.ok)
		}
	}
	// A value never seen (no answer at all) fails and says so.
	c, _ := parseCondition("[STATUS] == 200")
	if got := c.eval(&observed{}); got.OK || got.Expr != "[STATUS] (none) == 200" {
		t.Errorf("unseen: %+v", got)
	}
	// The value seen is kept short and on one line.
	long := observed{body: strings.Repeat("ab\n", 100)}
	long.set(profile.PlaceholderBody)
	c, _ = parseCondition("[BODY] == pat(*ok*)")
	if got := c.eval(&long); len(got.Expr) > 120 || strings.Contains(got.Expr, "\n") {
		t.Errorf("long body: %q", got.Expr)
	}
}

func TestParseConditionRefuses(t *testing.T) {
	for _, s := range []string{"STATUS == 200", "[STATUS] == deux-cents", "[CONNECTED] < true", "[BODY] > 3",
		"[CERTIFICATE_EXPIRATION] > 3 jours", "[NOPE] == 1", "[DNS_RCODE] >= NOERROR"} {
		if _, err := parseCondition(s); err == nil || !strings.HasPrefix(err.Error(), "checks: ") {
			t.Errorf("%q: %v, want a checks: error", s, err)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		ok   bool
	}{
		{"*ok*", `{"status":"ok"}`, true}, {"ok", "ok", true}, {"ok", "oki", false}, {"*", "", true},
		{"?k", "ok", true}, {"a*b*c", "a\nxxbyyc", true}, {"a*b*c", "acb", false}, {"", "", true}, {"", "x", false},
		{"é*", "été", true}, {strings.Repeat("*a", 50) + "b", strings.Repeat("a", 5000), false},
	}
	for _, tt := range tests {
		if got := glob(tt.p, tt.s); got != tt.ok {
			t.Errorf("glob(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

// FuzzCondition: the parser and the evaluator never panic; what parses evaluates to an
// expression that starts with its placeholder and ends with its value as written.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{"[STATUS] == 200", "[RESPONSE_TIME] < 1500", "[BODY] == pat(*ok*)",
		"[CERTIFICATE_EXPIRATION] > 72h", "[CONNECTED] == true", "[DNS_RCODE] == NOERROR", "[IP] == pat(10.*)",
		"[BODY] == pat()", "[IP] != ::1", "[STATUS] <= 1e400"} {
		f.Add(s, "body *ok* ?", 200)
	}
	f.Fuzz(func(t *testing.T, s, body string, status int) {
		c, err := parseCondition(s)
		if err != nil {
			return
		}
		seen := observed{status: status, body: body, ip: body, rcode: body, responseTime: time.Duration(status) * time.Millisecond,
			certExpiry: time.Duration(status) * time.Hour}
		for _, p := range []string{"STATUS", "RESPONSE_TIME", "BODY", "CERTIFICATE_EXPIRATION", "CONNECTED", "DNS_RCODE", "IP"} {
			seen.set(p)
		}
		got := c.eval(&seen)
		if !strings.HasPrefix(got.Expr, "["+c.placeholder+"] (") || !strings.HasSuffix(got.Expr, ") "+c.op+" "+c.value) {
			t.Fatalf("%q: expression %q", s, got.Expr)
		}
		if c.op == "==" || c.op == "!=" {
			other := *c
			other.op = map[string]string{"==": "!=", "!=": "=="}[c.op]
			if other.eval(&seen).OK == got.OK {
				t.Fatalf("%q: == and != agree", s)
			}
		}
	})
}
