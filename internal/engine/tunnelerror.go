package engine

import (
	"context"
	"errors"
	"net"

	"relais/internal/secrets"
	"relais/internal/tunnel"
)

// Codes of a tunnel that could not come up (Snapshot.TunnelErrorCode).
// Front ends word them ("verdict.tunnel.<code>"); the error itself stays in
// TunnelError, for the log and the details.
const (
	TunnelNoAddress  = "no_address"  // the device has a key but no tunnel address
	TunnelNoIdentity = "no_identity" // the device has no key
	TunnelNoKeyring  = "no_keyring"  // the OS keyring does not answer
	TunnelEndpoint   = "endpoint"    // the gateway's name does not resolve
	TunnelTimeout    = "timeout"     // the tunnel did not come up in time
	TunnelFailed     = "failed"      // anything else
)

// TunnelFailureCode classifies an error of StartTunnel.
func TunnelFailureCode(err error) string {
	var dns *net.DNSError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, tunnel.ErrNoAddress):
		return TunnelNoAddress
	case errors.Is(err, secrets.ErrNoKey):
		return TunnelNoIdentity
	case errors.Is(err, secrets.ErrNoKeyring):
		return TunnelNoKeyring
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
