package status

// Codes of a tunnel that could not come up (Snapshot.TunnelErrorCode, and
// the Code of a "tunnel_failed" timeline entry), a closed set as a check's
// failure is a Reason. Front ends word them, all with the same sentence
// ("verdict.tunnel.<code>", a clause that follows "Cause : "); the error
// itself stays in TunnelError and the entry's Detail, for the log and the
// details, never what a person reads first. The engine classifies the
// errors (engine.TunnelFailureCode).
const (
	TunnelNoIdentity    = "no_identity"    // the device has no key (secrets.ErrNoKey, or the caller says so)
	TunnelNoAddress     = "no_address"     // the device has a key but no tunnel address (tunnel.ErrNoAddress)
	TunnelKeyMismatch   = "key_mismatch"   // the keyring's key is not the one IT enrolled (only the caller knows: engine.CodedTunnelError)
	TunnelNoKeyring     = "no_keyring"     // the OS keyring does not answer (secrets.ErrNoKeyring)
	TunnelEndpoint      = "endpoint"       // the gateway's name does not resolve (a *net.DNSError)
	TunnelTimeout       = "timeout"        // the tunnel did not come up in time (context.DeadlineExceeded)
	TunnelNoHelper      = "no_helper"      // the system helper does not answer (helper.ErrNoHelper)
	TunnelHelperRefused = "helper_refused" // the system helper refused, or could not make the tunnel (a *helper.Error)
	TunnelFailed        = "failed"         // anything else
	// TunnelRevoked: the tunnel is up but the gateway does not answer,
	// and the enrolment server says this device's key was revoked (set
	// on a run's report, not when the tunnel starts).
	TunnelRevoked = "revoked"
)

// TunnelFailureCodes is every code of a tunnel that could not come up, the
// set a front end must word.
var TunnelFailureCodes = []string{
	TunnelNoIdentity, TunnelNoAddress, TunnelKeyMismatch, TunnelNoKeyring, TunnelEndpoint,
	TunnelTimeout, TunnelNoHelper, TunnelHelperRefused, TunnelFailed, TunnelRevoked,
}

// TunnelFailure is the code of the tunnel's failure to come up (the
// engine's TunnelFailureCode), "" when it did not fail: what a front end
// words and tests, rather than TunnelError, the error as the code saw it. A
// state recorded by an older Relais, with the error and no code, is
// TunnelFailed.
func (s Snapshot) TunnelFailure() string {
	switch {
	case s.TunnelErrorCode != "":
		return s.TunnelErrorCode
	case s.TunnelError != "":
		return TunnelFailed
	}
	return ""
}
