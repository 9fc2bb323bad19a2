package profile

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Placeholders of check conditions, in the style of Gatus.
const (
	PlaceholderStatus                = "STATUS"
	PlaceholderResponseTime          = "RESPONSE_TIME" // milliseconds
	PlaceholderBody                  = "BODY"
	PlaceholderCertificateExpiration = "CERTIFICATE_EXPIRATION" // a Go duration
	PlaceholderConnected             = "CONNECTED"
	PlaceholderDNSRcode              = "DNS_RCODE"
	PlaceholderIP                    = "IP"
)

// conditionOps is ordered so that a two-character operator is tried before its prefix.
var conditionOps = [...]string{"==", "!=", "<=", ">=", "<", ">"}

// SplitCondition splits "[PLACEHOLDER] OP VALUE" into the placeholder name (without its
// brackets), the operator (==, !=, <, <=, >, >=) and the value, trimmed. It checks only the
// grammar; whether the placeholder and value fit a check is Parse's business.
func SplitCondition(s string) (placeholder, op, value string, err error) {
	placeholder, op, value, pr := splitCondition(s)
	if !pr.ok() {
		return "", "", "", fmt.Errorf("profile: condition %q: %s", s, pr.English())
	}
	return placeholder, op, value, nil
}

// splitCondition returns the reason as the lint output's Problem.
func splitCondition(s string) (placeholder, op, value string, pr Problem) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return "", "", "", problem("cond_start", Detail("[PLACEHOLDER]"))
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", "", problem("cond_bracket")
	}
	placeholder = s[1:end]
	if placeholder == "" {
		return "", "", "", problem("cond_empty")
	}
	for i := 0; i < len(placeholder); i++ {
		if c := placeholder[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", "", "", problem("cond_syntax", placeholder)
		}
	}
	rest := strings.TrimLeft(s[end+1:], " \t")
	for _, o := range conditionOps {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", "", "", problem("cond_operator")
	}
	value = strings.TrimSpace(rest[len(op):])
	if value == "" {
		return "", "", "", problem("cond_value", op)
	}
	return placeholder, op, value, Problem{}
}

// dnsRcodes are the response codes a DNS_RCODE condition may name (RFC 1035, 2136).
var dnsRcodes = map[string]bool{
	"NOERROR": true, "FORMERR": true, "SERVFAIL": true, "NXDOMAIN": true, "NOTIMP": true,
	"REFUSED": true, "YXDOMAIN": true, "YXRRSET": true, "NXRRSET": true, "NOTAUTH": true, "NOTZONE": true,
}

// conditionProblem says in English what is wrong with a condition on a check of that
// type and target, or "".
func conditionProblem(typ, target, cond string) string {
	if p := conditionCheck(typ, target, cond); !p.ok() {
		return p.English()
	}
	return ""
}

// conditionCheck says what is wrong with a condition on a check of that type and target.
func conditionCheck(typ, target, cond string) Problem {
	ph, op, value, pr := splitCondition(cond)
	if !pr.ok() {
		return pr
	}
	name := "[" + ph + "]"
	switch ph {
	case PlaceholderStatus, PlaceholderBody:
		if typ != "http" {
			return problem("cond_http_only", name)
		}
	case PlaceholderCertificateExpiration:
		if typ != "tls" && !(typ == "http" && strings.HasPrefix(strings.ToLower(target), "https:")) {
			return problem("cond_tls_only", name)
		}
	case PlaceholderDNSRcode, PlaceholderIP:
		if typ != "dns" {
			return problem("cond_dns_only", name)
		}
	case PlaceholderConnected, PlaceholderResponseTime:
	default:
		return problem("cond_unknown", name)
	}

	_, numErr := strconv.ParseFloat(value, 64)
	_, durErr := time.ParseDuration(value)
	if op != "==" && op != "!=" && numErr != nil && durErr != nil {
		return problem("cond_ordering", op)
	}
	switch ph {
	case PlaceholderStatus:
		if n, err := strconv.Atoi(value); err != nil || n < 100 || n > 599 {
			return problem("cond_status", name)
		}
	case PlaceholderResponseTime:
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return problem("cond_ms", name)
		}
	case PlaceholderCertificateExpiration:
		if durErr != nil {
			return problem("cond_duration", name)
		}
	case PlaceholderConnected:
		if value != "true" && value != "false" {
			return problem("cond_bool", name)
		}
	case PlaceholderDNSRcode:
		if !dnsRcodes[value] {
			return problem("cond_rcode", name)
		}
	case PlaceholderIP:
		if _, err := netip.ParseAddr(value); err != nil && !isPattern(value) {
			return problem("cond_ip", name)
		}
	case PlaceholderBody:
		if strings.HasPrefix(value, "pat(") && !isPattern(value) {
			return problem("cond_pattern")
		}
	}
	return Problem{}
}

func isPattern(v string) bool {
	return strings.HasPrefix(v, "pat(") && strings.HasSuffix(v, ")")
}
