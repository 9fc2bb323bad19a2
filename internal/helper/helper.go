// Package helper is system mode's privileged half and its typed client:
// `relais helper` runs as root, creates a WireGuard TUN interface with
// wireguard-go, sets its addresses, routes and DNS, and serves a small
// JSON-lines API on a Unix socket; the client (relais up, the app) reaches
// it only through Client, as wireguard-windows' UI reaches its manager.
//
// The helper trusts no caller with what the tunnel is: it authenticates each
// connection (SO_PEERCRED: root or a member of the helper's group), verifies
// the profile itself against the machine's trusted keys and accepts it only
// as profile.Accept would against the last profile it brought up (its
// high-water mark, kept in the state directory: no rollback, nothing
// expired), lets a member replace only a tunnel of their own (root may
// replace any), and takes only the private key and the device's addresses
// from the caller. Its client, in turn, sends nothing to an endpoint that
// root does not serve. It must never
// write or log the private key, and it must leave nothing behind when it
// stops, when the caller that brought the tunnel up goes away, or after a
// crash (the next start cleans up what its state file records).
package helper

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"runtime"

	"relais/internal/profile"
	"relais/internal/tunnel"
)

// Defaults of `relais helper`.
const (
	DefaultSocket    = "/run/relais/helper.sock"
	DefaultGroup     = "relais"
	DefaultInterface = "relais0"
	// SocketEnv overrides the socket path, for the helper and its clients.
	SocketEnv = "RELAIS_HELPER_SOCKET"
	// DefaultPipe is the helper's endpoint on Windows: a named pipe.
	DefaultPipe = `\\.\pipe\relais-helper`
	// ServiceName is the helper's Windows service (the MSI registers it).
	ServiceName = "RelaisHelper"
)

// ProtocolVersion is sent in the greeting; a client refuses a helper that
// speaks another version rather than guess.
const ProtocolVersion = 1

// SocketPath is where the helper listens: $RELAIS_HELPER_SOCKET, else the
// default (the named pipe DefaultPipe on Windows).
func SocketPath(getenv func(string) string) string {
	if p := getenv(SocketEnv); p != "" {
		return p
	}
	if runtime.GOOS == "windows" {
		return DefaultPipe
	}
	return DefaultSocket
}

// The protocol is one JSON object a line in each direction. On connect the
// helper sends a Response carrying Hello (or an Error, then closes: the
// caller is not allowed). Then each Request gets exactly one Response.

// Op is what a request asks for.
type Op string

// Operations.
const (
	OpUp     Op = "up"     // bring the tunnel up (replacing any), owned by this connection
	OpDown   Op = "down"   // tear it down
	OpStatus Op = "status" // the tunnel's state
)

// Request is one line from a client.
type Request struct {
	Op Op         `json:"op"`
	Up *UpRequest `json:"up,omitempty"`
}

// UpRequest is what a caller may say about a tunnel: the signed profile as
// it was published (the helper verifies it and reads the peer, routes and
// DNS from it), the device's private key and, optionally, its addresses.
type UpRequest struct {
	Profile    []byte         // the profile's bytes, exactly as signed
	Signature  []byte         // its detached minisign signature
	PrivateKey tunnel.Key     // the device's key: memory only, never logged
	Addresses  []netip.Prefix // empty: the profile's tunnel.address
	// PresharedKey is the peer's preshared key from IT's .conf (zero:
	// none): memory only, never logged, like the private key.
	PresharedKey tunnel.Key
	// Grant and GrantSignature are the enrolment grant the organisation's
	// server signed for this device's key (store.Identity keeps them):
	// when the profile names an [enrolment] public_key, the helper brings
	// up exactly the grant's addresses, and nothing else. Not secrets.
	Grant          string
	GrantSignature string
}

// upWire is UpRequest on the socket: keys in base64, as wg(8) writes them.
type upWire struct {
	Profile    []byte         `json:"profile"`
	Signature  []byte         `json:"signature"`
	PrivateKey string         `json:"private_key"`
	Addresses  []netip.Prefix `json:"addresses,omitempty"`
	// PresharedKey: base64, absent when there is none.
	PresharedKey string `json:"preshared_key,omitempty"`
	// The enrolment grant and its minisign signature, as the server sent them.
	Grant          string `json:"grant,omitempty"`
	GrantSignature string `json:"grant_signature,omitempty"`
}

// MarshalJSON writes the wire form.
func (u UpRequest) MarshalJSON() ([]byte, error) {
	w := upWire{Profile: u.Profile, Signature: u.Signature, PrivateKey: u.PrivateKey.String(), Addresses: u.Addresses,
		Grant: u.Grant, GrantSignature: u.GrantSignature}
	if u.PresharedKey != (tunnel.Key{}) {
		w.PresharedKey = u.PresharedKey.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the wire form.
func (u *UpRequest) UnmarshalJSON(b []byte) error {
	var w upWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	k, err := tunnel.ParseKey(w.PrivateKey)
	if err != nil {
		return errors.New("private_key: not a base64 WireGuard key")
	}
	var psk tunnel.Key
	if w.PresharedKey != "" {
		if psk, err = tunnel.ParseKey(w.PresharedKey); err != nil {
			return errors.New("preshared_key: not a base64 WireGuard key")
		}
	}
	*u = UpRequest{Profile: w.Profile, Signature: w.Signature, PrivateKey: k, Addresses: w.Addresses, PresharedKey: psk,
		Grant: w.Grant, GrantSignature: w.GrantSignature}
	return nil
}

// String describes the request without its private key, so that printing
// one by mistake leaks nothing.
func (u UpRequest) String() string {
	return fmt.Sprintf("up(profile %d bytes, signature %d bytes, addresses %v, grant %d bytes)", len(u.Profile), len(u.Signature), u.Addresses, len(u.Grant))
}

// Hello is the helper's greeting.
type Hello struct {
	Version   int    `json:"version"`
	Interface string `json:"interface"`
}

// Response is one line from the helper.
type Response struct {
	Hello  *Hello         `json:"hello,omitempty"`
	Status *tunnel.Status `json:"status,omitempty"`
	Error  *Error         `json:"error,omitempty"`
}

// Code names why the helper refused or failed, so that front ends can say
// it in the reader's language.
type Code string

// Error codes. The profile codes match internal/cli's reason codes.
const (
	CodeForbidden          Code = "forbidden"           // the caller is neither root nor in the group
	CodeBadRequest         Code = "bad_request"         // malformed line or missing field
	CodeNoConfig           Code = "no_config"           // the managed configuration is missing or unreadable
	CodeNoTrustedKeys      Code = "no_trusted_keys"     // it lists no trusted key
	CodeUnsigned           Code = "unsigned"            // no signature
	CodeMalformedSignature Code = "malformed_signature" // the signature cannot be read
	CodeUntrustedKey       Code = "untrusted_key"       // signed by a key the machine does not trust
	CodeBadSignature       Code = "bad_signature"       // signature does not match the bytes
	CodeInvalidProfile     Code = "invalid"             // the profile does not parse or has no usable tunnel
	CodeTunnel             Code = "tunnel"              // the system refused (TUN, routes, DNS)
	CodeNotUp              Code = "not_up"              // down with no tunnel
	CodeNotOwner           Code = "not_owner"           // down from a caller whose tunnel was replaced
	CodeNoDriver           Code = "no_driver"           // this platform's helper cannot make a TUN (Windows: no wintun yet)
	CodeBusy               Code = "busy"                // too many callers are connected: try again later
	CodeRollback           Code = "rollback"            // the profile is older than the last one the helper brought up (or reuses its serial)
	CodeExpired            Code = "expired"             // the profile's expiry date has passed
	CodeOtherOwner         Code = "other_owner"         // the tunnel up is another user's: only that user or root may replace it
	CodeMarkUnreadable     Code = "mark_unreadable"     // the helper's high-water mark cannot be read: every up is refused
	CodeNotRoot            Code = "not_root"            // (client side) the helper's socket is not root's: nothing was sent
)

// Error is the helper's typed error, as it crosses the socket. Errors of
// the profile codes unwrap to the profile package's sentinels, so
// errors.Is(err, profile.ErrUntrustedKey) holds on the client side too.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"` // technical detail, English, never a secret
}

func (e *Error) Error() string { return "helper: " + string(e.Code) + ": " + e.Message }

// Unwrap maps profile codes to the profile package's sentinel errors.
func (e *Error) Unwrap() error {
	for _, s := range profileSentinels {
		if s.code == e.Code {
			return s.err
		}
	}
	return nil
}

var profileSentinels = []struct {
	err  error
	code Code
}{
	{profile.ErrNoTrustedKeys, CodeNoTrustedKeys},
	{profile.ErrUnsigned, CodeUnsigned},
	{profile.ErrSignatureMalformed, CodeMalformedSignature},
	{profile.ErrUntrustedKey, CodeUntrustedKey},
	{profile.ErrBadSignature, CodeBadSignature},
}

// ErrNotRoot means `relais helper` was started without root.
var ErrNotRoot = errors.New("helper: must run as root")

// ErrUnsupported means system mode does not exist on this platform yet.
var ErrUnsupported = errors.New("helper: system mode is not supported on this platform")

// errorf builds a typed error.
func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// acceptSentinels are profile.Accept's refusals that the helper words as
// its own (they do not unwrap to the profile package's sentinels: the
// helper's sentence says what to do on this machine).
var acceptSentinels = []struct {
	err  error
	code Code
}{
	{profile.ErrRollback, CodeRollback},
	{profile.ErrExpired, CodeExpired},
	{profile.ErrInvalid, CodeInvalidProfile},
	{profile.ErrTooLarge, CodeInvalidProfile},
}

// asError turns any error into the typed error sent to a client.
func asError(err error, fallback Code) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	for _, s := range profileSentinels {
		if errors.Is(err, s.err) {
			return &Error{Code: s.code, Message: err.Error()}
		}
	}
	for _, s := range acceptSentinels {
		if errors.Is(err, s.err) {
			return &Error{Code: s.code, Message: err.Error()}
		}
	}
	return &Error{Code: fallback, Message: err.Error()}
}
