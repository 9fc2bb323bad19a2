package engine

import (
	"context"
	"errors"
	"net"
	"slices"

	"relais/internal/helper"
	"relais/internal/secrets"
	"relais/internal/tunnel"
)

// Codes of a tunnel that could not come up (Snapshot.TunnelErrorCode, and
// the Code of a "tunnel_failed" timeline entry), a closed set as a check's
// failure is a checks.Reason. Front ends word them, all with the same
// sentence ("verdict.tunnel.<code>", a clause that follows "Cause : ");
// the error itself stays in TunnelError and the entry's Detail, for the
// log and the details, never what a person reads first.
const (
	TunnelNoIdentity    = "no_identity"    // the device has no key (secrets.ErrNoKey, or the caller says so)
	TunnelNoAddress     = "no_address"     // the device has a key but no tunnel address (tunnel.ErrNoAddress)
	TunnelKeyMismatch   = "key_mismatch"   // the keyring's key is not the one IT enrolled (only the caller knows: CodedTunnelError)
	TunnelNoKeyring     = "no_keyring"     // the OS keyring does not answer (secrets.ErrNoKeyring)
	TunnelEndpoint      = "endpoint"       // the gateway's name does not resolve (a *net.DNSError)
	TunnelTimeout       = "timeout"        // the tunnel did not come up in time (context.DeadlineExceeded)
	TunnelNoHelper      = "no_helper"      // the system helper does not answer (helper.ErrNoHelper)
	TunnelHelperRefused = "helper_refused" // the system helper refused, or could not make the tunnel (a *helper.Error)
	TunnelFailed        = "failed"         // anything else
)

// TunnelFailureCodes is every code of a tunnel that could not come up, the
// set a front end must word.
var TunnelFailureCodes = []string{
	TunnelNoIdentity, TunnelNoAddress, TunnelKeyMismatch, TunnelNoKeyring, TunnelEndpoint,
	TunnelTimeout, TunnelNoHelper, TunnelHelperRefused, TunnelFailed,
}

// CodedTunnelError is an error of StartTunnel that names its own code:
// for a cause only the caller knows, such as the device identity its store
// keeps (no identity recorded yet, a key that does not match it). Code is
// one of TunnelFailureCodes; another is TunnelFailed.
type CodedTunnelError struct {
	Code string
	Err  error
}

func (e *CodedTunnelError) Error() string {
	if e.Err == nil {
		return "tunnel: " + e.Code
	}
	return e.Err.Error()
}

func (e *CodedTunnelError) Unwrap() error { return e.Err }

// TunnelFailureCode classifies an error of StartTunnel: the code a
// CodedTunnelError in its chain names, else the code of the first cause it
// recognises.
func TunnelFailureCode(err error) string {
	var coded *CodedTunnelError
	var dns *net.DNSError
	var he *helper.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &coded):
		if slices.Contains(TunnelFailureCodes, coded.Code) {
			return coded.Code
		}
		return TunnelFailed
	case errors.Is(err, tunnel.ErrNoAddress):
		return TunnelNoAddress
	case errors.Is(err, secrets.ErrNoKey):
		return TunnelNoIdentity
	case errors.Is(err, secrets.ErrNoKeyring):
		return TunnelNoKeyring
	case errors.Is(err, helper.ErrNoHelper):
		return TunnelNoHelper
	case errors.As(err, &he):
		return TunnelHelperRefused
	case errors.As(err, &dns):
		return TunnelEndpoint
	case errors.Is(err, context.DeadlineExceeded):
		return TunnelTimeout
	}
	return TunnelFailed
}

// TunnelFailure is the code of the tunnel's failure to come up
// (TunnelFailureCode's), "" when it did not fail: what a front end words
// and tests, rather than TunnelError, the error as the code saw it. A state
// recorded by an older Relais, with the error and no code, is TunnelFailed.
func (s Snapshot) TunnelFailure() string {
	switch {
	case s.TunnelErrorCode != "":
		return s.TunnelErrorCode
	case s.TunnelError != "":
		return TunnelFailed
	}
	return ""
}
