package status

// Reason codes: stable identifiers that front ends, the store and the helpdesk may rely on.
const (
	CodeDNSNXDomain     = "dns_nxdomain"     // the name does not exist
	CodeDNSTimeout      = "dns_timeout"      // no resolver answered
	CodeDNSError        = "dns_error"        // a resolver answered with an error (SERVFAIL, REFUSED…)
	CodeRefused         = "refused"          // connection refused
	CodeTimeout         = "timeout"          // no answer within the check's timeout
	CodeUnreachable     = "unreachable"      // no route, reset, or any other network failure
	CodeTLSExpired      = "tls_expired"      // certificate expired (or not yet valid)
	CodeTLSUntrusted    = "tls_untrusted"    // certificate not trusted or not for this name
	CodeTLSError        = "tls_error"        // the TLS handshake failed for another reason
	CodeHTTPStatus      = "http_status"      // an HTTP status the conditions refuse
	CodeCondition       = "condition"        // answered, but a condition does not hold (slow, wrong content)
	CodeDegraded        = "degraded"         // works, but a degraded_if condition holds
	CodeTunnelHandshake = "tunnel_handshake" // tunnel up but no recent handshake
	CodeTunnelNoAnswer  = "tunnel_no_answer" // handshake initiations sent, the gateway never answered
	CodeTunnelNotSent   = "tunnel_not_sent"  // no handshake initiation could leave for the gateway
	CodeTunnelRevoked   = "tunnel_revoked"   // no handshake, and the enrolment server says this device's key was revoked
	CodeMTU             = "mtu_blackhole"    // an answer's headers arrived, its body never did: large packets are lost
	CodeTunnelDown      = "tunnel_down"      // no tunnel
	CodeNoInternet      = "no_internet"      // no direct access to the internet
	CodeCaptivePortal   = "captive_portal"   // a captive portal intercepts the traffic
	CodeBlocked         = "blocked"          // not run: something it requires failed
	CodeLocalTarget     = "local_target"     // not run: the target is on this computer or its link, and the check does not say allow_local
)
