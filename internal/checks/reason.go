package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"

	"relais/internal/i18n"
	"relais/internal/profile"
	"relais/internal/status"
)

// Reason codes (Reason.Code), values of package status where front ends
// name them.
const (
	CodeDNSNXDomain     = status.CodeDNSNXDomain
	CodeDNSTimeout      = status.CodeDNSTimeout
	CodeDNSError        = status.CodeDNSError
	CodeRefused         = status.CodeRefused
	CodeTimeout         = status.CodeTimeout
	CodeUnreachable     = status.CodeUnreachable
	CodeTLSExpired      = status.CodeTLSExpired
	CodeTLSUntrusted    = status.CodeTLSUntrusted
	CodeTLSError        = status.CodeTLSError
	CodeHTTPStatus      = status.CodeHTTPStatus
	CodeCondition       = status.CodeCondition
	CodeDegraded        = status.CodeDegraded
	CodeTunnelHandshake = status.CodeTunnelHandshake
	CodeTunnelNoAnswer  = status.CodeTunnelNoAnswer
	CodeTunnelNotSent   = status.CodeTunnelNotSent
	CodeTunnelRevoked   = status.CodeTunnelRevoked
	CodeMTU             = status.CodeMTU
	CodeTunnelDown      = status.CodeTunnelDown
	CodeNoInternet      = status.CodeNoInternet
	CodeCaptivePortal   = status.CodeCaptivePortal
	CodeBlocked         = status.CodeBlocked
	CodeLocalTarget     = status.CodeLocalTarget
)

// nextKey is the next step that goes with each code.
var nextKey = map[string]string{
	CodeDNSNXDomain:     "checks.next.call",
	CodeDNSTimeout:      "checks.next.reconnect",
	CodeDNSError:        "checks.next.reconnect",
	CodeRefused:         "checks.next.call",
	CodeTimeout:         "checks.next.reconnect",
	CodeUnreachable:     "checks.next.reconnect",
	CodeTLSExpired:      "checks.next.tls",
	CodeTLSUntrusted:    "checks.next.tls",
	CodeTLSError:        "checks.next.tls",
	CodeHTTPStatus:      "checks.next.call",
	CodeCondition:       "checks.next.call",
	CodeDegraded:        "checks.next.degraded",
	CodeTunnelHandshake: "checks.next.reconnect",
	CodeTunnelNoAnswer:  "checks.next.reconnect",
	CodeTunnelNotSent:   "checks.next.internet",
	CodeTunnelRevoked:   "checks.next.revoked",
	CodeMTU:             "checks.next.mtu",
	CodeTunnelDown:      "checks.next.connect",
	CodeNoInternet:      "checks.next.internet",
	CodeCaptivePortal:   "checks.next.captive",
	CodeBlocked:         "checks.next.blocked",
	CodeLocalTarget:     "checks.next.call",
}

// langs are the languages every reason is written in.
var langs = [...]string{i18n.FR, i18n.EN}

// texts holds, for one reason, the message key and its arguments in each language.
type texts struct {
	key      string
	args     func(lang string) []any // nil: none
	nextArgs func(lang string) []any // nil: the helpdesk
}

// newReason builds a reason in both languages; the next step names the helpdesk unless
// t.nextArgs says otherwise.
func (r *Runner) newReason(code string, t texts) *Reason {
	res := &Reason{Code: code}
	for _, l := range langs {
		var args, next []any
		if t.args != nil {
			args = t.args(l)
		}
		if t.nextArgs != nil {
			next = t.nextArgs(l)
		} else {
			next = []any{r.helpdesk(l)}
		}
		text := i18n.T(l, t.key, args...)
		step := i18n.T(l, nextKey[code], next...)
		if l == i18n.EN {
			res.Text.EN, res.Next.EN = text, step
		} else {
			res.Text.FR, res.Next.FR = text, step
		}
	}
	return res
}

// helpdesk names whom to call: the profile's helpdesk with its phone, or its name, or
// "your IT support".
func (r *Runner) helpdesk(lang string) string {
	for _, c := range r.Contacts {
		if c.Role != "helpdesk" {
			continue
		}
		name := c.Name.In(lang)
		if c.Phone != "" {
			return i18n.T(lang, "checks.contact.phone", name, c.Phone)
		}
		if name != "" {
			return i18n.T(lang, "checks.contact.name", name)
		}
	}
	return i18n.T(lang, "checks.contact.none")
}

// same returns a function giving the same arguments in every language.
func same(args ...any) func(string) []any { return func(string) []any { return args } }

// named returns the subject in each language followed by more arguments.
func named(subject profile.Text, more ...any) func(string) []any {
	return func(l string) []any { return append([]any{subject.In(l)}, more...) }
}

// classify maps an error from a probe to a reason code. dnsPhase says the error came from
// resolving the target's name.
func classify(err error, dnsPhase bool) string {
	var local *localTargetError
	if errors.As(err, &local) {
		return CodeLocalTarget
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return CodeDNSNXDomain
		case dnsErr.IsTimeout:
			return CodeDNSTimeout
		}
		return CodeDNSError
	}
	var rc *rcodeError
	if errors.As(err, &rc) {
		if rc.rcode == "NXDOMAIN" {
			return CodeDNSNXDomain
		}
		return CodeDNSError
	}
	if errors.Is(err, errBodyStalled) {
		return CodeMTU
	}
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		timeout = true
	}
	if timeout {
		if dnsPhase {
			return CodeDNSTimeout
		}
		return CodeTimeout
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		if invalid.Reason == x509.Expired {
			return CodeTLSExpired
		}
		return CodeTLSUntrusted
	}
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &verify) {
		return CodeTLSUntrusted
	}
	if errors.Is(err, errTunnelDown) {
		return CodeTunnelDown
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return CodeRefused
	}
	msg := err.Error()
	// The gVisor netstack (userspace tunnel) reports refusals as text only.
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "connection was refused") {
		return CodeRefused
	}
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	if errors.As(err, &recordErr) || errors.As(err, &alert) || strings.Contains(msg, "tls: ") {
		return CodeTLSError
	}
	return CodeUnreachable
}

// RevokedReason is the reason of the tunnel built-in when the gateway does
// not answer because this device's key was revoked (the enrolment server
// says so): no longer authorised, call the helpdesk (its phone when the
// profile gives one).
func RevokedReason(contacts []profile.Contact) *Reason {
	r := &Runner{Contacts: contacts}
	return r.newReason(CodeTunnelRevoked, texts{key: "checks.reason.tunnel_revoked"})
}
