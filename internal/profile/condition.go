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
	placeholder, op, value, problem := splitCondition(s)
	if problem != "" {
		return "", "", "", fmt.Errorf("profile: condition %q: %s", s, problem)
	}
	return placeholder, op, value, nil
}

// splitCondition returns the reason in the words the lint output uses.
func splitCondition(s string) (placeholder, op, value, problem string) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return "", "", "", "must start with a [PLACEHOLDER]"
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", "", "missing ] after the placeholder"
	}
	placeholder = s[1:end]
	if placeholder == "" {
		return "", "", "", "empty placeholder []"
	}
	for i := 0; i < len(placeholder); i++ {
		if c := placeholder[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", "", "", fmt.Sprintf("invalid placeholder %q (upper-case letters, digits and _)", placeholder)
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
		return "", "", "", "missing operator (==, !=, <, <=, >, >=)"
	}
	value = strings.TrimSpace(rest[len(op):])
	if value == "" {
		return "", "", "", "missing value after " + op
	}
	return placeholder, op, value, ""
}

// dnsRcodes are the response codes a DNS_RCODE condition may name (RFC 1035, 2136).
var dnsRcodes = map[string]bool{
	"NOERROR": true, "FORMERR": true, "SERVFAIL": true, "NXDOMAIN": true, "NOTIMP": true,
	"REFUSED": true, "YXDOMAIN": true, "YXRRSET": true, "NXRRSET": true, "NOTAUTH": true, "NOTZONE": true,
}

// conditionProblem says what is wrong with a condition on a check of that type and target,
// or "".
func conditionProblem(typ, target, cond string) string {
	ph, op, value, problem := splitCondition(cond)
	if problem != "" {
		return problem
	}
	name := "[" + ph + "]"
	switch ph {
	case PlaceholderStatus, PlaceholderBody:
		if typ != "http" {
			return name + " only applies to http checks"
		}
	case PlaceholderCertificateExpiration:
		if typ != "tls" && !(typ == "http" && strings.HasPrefix(strings.ToLower(target), "https:")) {
			return name + " only applies to tls checks and https URLs"
		}
	case PlaceholderDNSRcode, PlaceholderIP:
		if typ != "dns" {
			return name + " only applies to dns checks"
		}
	case PlaceholderConnected, PlaceholderResponseTime:
	default:
		return fmt.Sprintf("unknown placeholder %s", name)
	}

	_, numErr := strconv.ParseFloat(value, 64)
	_, durErr := time.ParseDuration(value)
	if op != "==" && op != "!=" && numErr != nil && durErr != nil {
		return "operator " + op + " needs a number or a duration"
	}
	switch ph {
	case PlaceholderStatus:
		if n, err := strconv.Atoi(value); err != nil || n < 100 || n > 599 {
			return name + " needs an HTTP status code such as 200"
		}
	case PlaceholderResponseTime:
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return name + " needs milliseconds such as 1500"
		}
	case PlaceholderCertificateExpiration:
		if durErr != nil {
			return name + " needs a duration such as 72h"
		}
	case PlaceholderConnected:
		if value != "true" && value != "false" {
			return name + " needs true or false"
		}
	case PlaceholderDNSRcode:
		if !dnsRcodes[value] {
			return name + " needs a response code such as NOERROR or NXDOMAIN"
		}
	case PlaceholderIP:
		if _, err := netip.ParseAddr(value); err != nil && !isPattern(value) {
			return name + " needs an IP address or pat(...)"
		}
	case PlaceholderBody:
		if strings.HasPrefix(value, "pat(") && !isPattern(value) {
			return "pat( needs a closing )"
		}
	}
	return ""
}

func isPattern(v string) bool {
	return strings.HasPrefix(v, "pat(") && strings.HasSuffix(v, ")")
}
