package checks

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"relais/internal/profile"
)

// condition is a parsed "[PLACEHOLDER] OP VALUE". Comparisons are typed by the placeholder:
// [STATUS] and [RESPONSE_TIME] (milliseconds) are numbers, [CERTIFICATE_EXPIRATION] a Go
// duration, [CONNECTED] a boolean, [DNS_RCODE] a name, [BODY] and [IP] text or pat(glob).
type condition struct {
	placeholder string
	op          string
	value       string        // as written
	num         float64       // [STATUS], [RESPONSE_TIME]
	dur         time.Duration // [CERTIFICATE_EXPIRATION]
	pattern     string        // the glob inside pat(...), when isPattern
	isPattern   bool
}

// observed is what one attempt saw; has says which placeholders have a value.
type observed struct {
	has          map[string]bool
	status       int
	responseTime time.Duration
	body         string
	certExpiry   time.Duration
	connected    bool
	rcode        string
	ip           string
}

func (o *observed) set(placeholder string) {
	if o.has == nil {
		o.has = map[string]bool{}
	}
	o.has[placeholder] = true
}

// parseCondition parses a condition once. Profile validation has already checked the
// grammar and the values; this only refuses what it cannot evaluate.
func parseCondition(s string) (*condition, error) {
	ph, op, value, err := profile.SplitCondition(s)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	c := &condition{placeholder: ph, op: op, value: value}
	ordered := op != "==" && op != "!="
	if strings.HasPrefix(value, "pat(") && strings.HasSuffix(value, ")") && len(value) >= 5 {
		c.isPattern, c.pattern = true, value[4:len(value)-1]
	}
	bad := func(what string) (*condition, error) {
		return nil, fmt.Errorf("checks: condition %q: [%s] needs %s", s, ph, what)
	}
	switch ph {
	case profile.PlaceholderStatus, profile.PlaceholderResponseTime:
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return bad("a number")
		}
		c.num = n
	case profile.PlaceholderCertificateExpiration:
		d, err := time.ParseDuration(value)
		if err != nil {
			return bad("a duration such as 72h")
		}
		c.dur = d
	case profile.PlaceholderConnected:
		if (value != "true" && value != "false") || ordered {
			return bad("== or != and true or false")
		}
	case profile.PlaceholderDNSRcode, profile.PlaceholderBody, profile.PlaceholderIP:
		if ordered {
			return bad("== or !=")
		}
	default:
		return nil, fmt.Errorf("checks: condition %q: unknown placeholder [%s]", s, ph)
	}
	return c, nil
}

// maxSeen bounds how much of a body a condition's expression shows.
const maxSeen = 64

// eval evaluates c against what was seen. The expression always shows the value seen, or
// "(none)" when the attempt never got that far (no answer, no certificate).
func (c *condition) eval(o *observed) Condition {
	seen, ok := "none", false
	if o.has[c.placeholder] {
		switch c.placeholder {
		case profile.PlaceholderStatus:
			seen = strconv.Itoa(o.status)
			ok = compareNum(float64(o.status), c.op, c.num)
		case profile.PlaceholderResponseTime:
			v := float64(o.responseTime.Milliseconds())
			seen = strconv.FormatInt(o.responseTime.Milliseconds(), 10)
			ok = compareNum(v, c.op, c.num)
		case profile.PlaceholderCertificateExpiration:
			seen = o.certExpiry.Round(time.Second).String()
			ok = compareNum(float64(o.certExpiry), c.op, float64(c.dur))
		case profile.PlaceholderConnected:
			seen = strconv.FormatBool(o.connected)
			ok = equalOp(seen == c.value, c.op)
		case profile.PlaceholderDNSRcode:
			seen = o.rcode
			ok = equalOp(strings.EqualFold(o.rcode, c.value), c.op)
		case profile.PlaceholderBody:
			seen = shorten(o.body)
			ok = equalOp(c.matchText(strings.TrimSpace(o.body)), c.op)
		case profile.PlaceholderIP:
			seen = o.ip
			ok = equalOp(c.matchIP(o.ip), c.op)
		}
	}
	return Condition{Expr: "[" + c.placeholder + "] (" + seen + ") " + c.op + " " + c.value, OK: ok}
}

func (c *condition) matchText(s string) bool {
	if c.isPattern {
		return glob(c.pattern, s)
	}
	return s == c.value
}

func (c *condition) matchIP(s string) bool {
	if c.isPattern {
		return glob(c.pattern, s)
	}
	a, err1 := netip.ParseAddr(s)
	b, err2 := netip.ParseAddr(c.value)
	if err1 != nil || err2 != nil {
		return s == c.value
	}
	return a.Unmap() == b.Unmap()
}

func equalOp(equal bool, op string) bool {
	if op == "!=" {
		return !equal
	}
	return equal
}

func compareNum(a float64, op string, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// shorten keeps an expression readable: one line, at most maxSeen runes.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxSeen {
		return s
	}
	r := []rune(s)
	return string(r[:maxSeen]) + "…"
}

// glob matches s against a pattern where * is any run of characters (newlines included)
// and ? any one character, as Gatus's pat() does. It is linear in practice (the classic
// greedy algorithm with one backtrack point), so a hostile pattern cannot stall a check.
func glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
