package engine

import (
	"context"
	"errors"
	"net"
	"slices"

	"relais/internal/helper"
	"relais/internal/secrets"
	"relais/internal/status"
	"relais/internal/tunnel"
)

// Codes of a tunnel that could not come up (Snapshot.TunnelErrorCode, and
// the Code of a "tunnel_failed" timeline entry): values of package status,
// where front ends name them; TunnelFailureCode classifies an error.
const (
	TunnelNoIdentity    = status.TunnelNoIdentity
	TunnelNoAddress     = status.TunnelNoAddress
	TunnelKeyMismatch   = status.TunnelKeyMismatch
	TunnelNoKeyring     = status.TunnelNoKeyring
	TunnelEndpoint      = status.TunnelEndpoint
	TunnelTimeout       = status.TunnelTimeout
	TunnelNoHelper      = status.TunnelNoHelper
	TunnelHelperRefused = status.TunnelHelperRefused
	TunnelFailed        = status.TunnelFailed
	TunnelRevoked       = status.TunnelRevoked
)

// TunnelFailureCodes is every code of a tunnel that could not come up, the
// set a front end must word (status.TunnelFailureCodes).
var TunnelFailureCodes = status.TunnelFailureCodes

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
