// Package enrolment is the contract between a laptop and the organisation's
// server for enrolment on the emergency WireGuard gateway: the wire types of
// POST /v1/enrol and POST /v1/enrol/status, their coded refusals, the
// secrets that enrol (organisation-wide setup tokens, one-time codes read
// over the phone) and the signed grant that binds a public key to the
// addresses the server gave it, which the privileged helper checks before it
// puts them on the machine.
//
// It is pure: no network, no disk, no store. The server (internal/server/enrol)
// and the laptop (internal/backend) both build on it.
package enrolment

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"relais/internal/casecode"
)

// Paths on the organisation's server.
const (
	Path       = "/v1/enrol"
	StatusPath = "/v1/enrol/status"
)

// Limits of what either side reads.
const (
	MaxRequestBytes  = 4 << 10 // a request is ~200 bytes
	MaxResponseBytes = 8 << 10 // an answer with its grant is ~1 KB
	MaxDeviceName    = 64      // characters
	MaxTokenLen      = 128     // characters of a token or code as sent
	MaxAddresses     = 4       // the helper takes no more (helper.MaxAddresses)
)

// Codes of a refusal: the JSON body {"error": CODE} of a 4xx/5xx answer,
// and Error.Code on the laptop. Front ends word each as enrol.error.CODE.
const (
	CodeTokenExpired  = "token_expired"   // 403: the setup token or code is past its expiry
	CodeTokenUsedUp   = "token_used_up"   // 403: every use of the token (the one use of a code) is spent
	CodeTokenUnknown  = "token_unknown"   // 403: no such token or code (or revoked by IT)
	CodeRevoked       = "revoked"         // 403: this device's key was revoked
	CodeKeyInUse      = "key_in_use"      // 409: another device enrolled this public key
	CodePoolExhausted = "pool_exhausted"  // 503: no free address left in the pool
	CodeBadKey        = "bad_key"         // 400: the public key is not a WireGuard key
	CodeBadName       = "bad_device_name" // 400: the device name is empty, too long or has control characters
	CodeBadRequest    = "bad_request"     // 400: not the JSON document expected
	CodeRateLimited   = "rate_limited"    // 429: too many attempts from this address
	CodeNotEnabled    = "not_enabled"     // 404: this server does not enrol (no [wireguard])
	CodeUnavailable   = "unavailable"     // 503: the gateway's interface or the database failed
	// Laptop-side codes (never sent by a server).
	CodeUnreachable     = "unreachable"        // the server did not answer (network, TLS, deadline)
	CodeBadAnswer       = "bad_answer"         // the server's answer is not a valid enrolment
	CodeServerKeyDiffer = "server_key_differs" // the server manages another gateway than the profile's tunnel
	CodeNoURL           = "no_url"             // neither profile nor managed configuration gives enrol_url
	CodeNoToken         = "no_token"           // no managed enrol_token and no code given
)

// HTTPStatus is the status a server answers with code.
func HTTPStatus(code string) int {
	switch code {
	case CodeTokenExpired, CodeTokenUsedUp, CodeTokenUnknown, CodeRevoked:
		return 403
	case CodeKeyInUse:
		return 409
	case CodePoolExhausted, CodeUnavailable:
		return 503
	case CodeRateLimited:
		return 429
	case CodeNotEnabled:
		return 404
	}
	return 400
}

// ServerCodes are the codes a server may answer with.
func ServerCodes() []string {
	return []string{CodeTokenExpired, CodeTokenUsedUp, CodeTokenUnknown, CodeRevoked, CodeKeyInUse,
		CodePoolExhausted, CodeBadKey, CodeBadName, CodeBadRequest, CodeRateLimited, CodeNotEnabled, CodeUnavailable}
}

// Error is a coded refusal.
type Error struct {
	Code   string
	Detail string // English, for logs; never a secret
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "enrolment: " + e.Code
	}
	return "enrolment: " + e.Code + ": " + e.Detail
}

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Code is err's code, "" when it is not an *Error.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Request is the body of POST /v1/enrol.
type Request struct {
	Token      string `json:"token"`       // a setup token or a one-time code
	PublicKey  string `json:"public_key"`  // the device's WireGuard public key, base64
	DeviceName string `json:"device_name"` // the laptop's name, for IT
}

// Response is the body of a 201 (or 200 for a repeated request).
type Response struct {
	Addresses       []string `json:"addresses"`                 // host prefixes: 10.20.128.7/32, fd00::7/128
	ServerPublicKey string   `json:"server_public_key"`         // the gateway's public key
	Grant           string   `json:"grant,omitempty"`           // the signed grant (JSON), when the server has a grant key
	GrantSignature  string   `json:"grant_signature,omitempty"` // its minisign signature
}

// ErrorBody is the body of a refusal.
type ErrorBody struct {
	Error string `json:"error"`
}

// StatusRequest is the body of POST /v1/enrol/status: is this key still
// enrolled? A laptop asks when its handshake fails.
type StatusRequest struct {
	PublicKey string `json:"public_key"`
}

// Statuses of a key (StatusResponse.Status).
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusUnknown = "unknown"
)

// StatusResponse answers StatusRequest.
type StatusResponse struct {
	Status string `json:"status"`
}

// decodeStrict decodes exactly one JSON object into v, refusing unknown
// fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// ParseRequest reads and checks a request body (the server's parser).
func ParseRequest(data []byte) (Request, error) {
	var r Request
	if len(data) > MaxRequestBytes {
		return r, fail(CodeBadRequest, "%d bytes, the limit is %d", len(data), MaxRequestBytes)
	}
	if err := decodeStrict(data, &r); err != nil {
		return Request{}, fail(CodeBadRequest, "%v", err)
	}
	if r.Token == "" || utf8.RuneCountInString(r.Token) > MaxTokenLen {
		return Request{}, fail(CodeTokenUnknown, "empty or overlong token")
	}
	if err := CheckPublicKey(r.PublicKey); err != nil {
		return Request{}, err
	}
	if err := CheckDeviceName(r.DeviceName); err != nil {
		return Request{}, err
	}
	return r, nil
}

// ParseStatusRequest reads and checks a status request body.
func ParseStatusRequest(data []byte) (StatusRequest, error) {
	var r StatusRequest
	if len(data) > MaxRequestBytes {
		return r, fail(CodeBadRequest, "%d bytes, the limit is %d", len(data), MaxRequestBytes)
	}
	if err := decodeStrict(data, &r); err != nil {
		return StatusRequest{}, fail(CodeBadRequest, "%v", err)
	}
	if err := CheckPublicKey(r.PublicKey); err != nil {
		return StatusRequest{}, err
	}
	return r, nil
}

// CheckPublicKey accepts a canonical base64 WireGuard public key (32 bytes,
// not all zero).
func CheckPublicKey(s string) error {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 32 {
		return fail(CodeBadKey, "not a base64 WireGuard key of 32 bytes")
	}
	if bytes.Equal(b, make([]byte, 32)) {
		return fail(CodeBadKey, "the all-zero key")
	}
	return nil
}

// CheckDeviceName accepts 1 to MaxDeviceName printable characters.
func CheckDeviceName(s string) error {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDeviceName {
		return fail(CodeBadName, "empty, not UTF-8 or longer than %d characters", MaxDeviceName)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fail(CodeBadName, "a control or invisible character (U+%04X)", r)
		}
	}
	return nil
}

// DeviceName is name made acceptable to CheckDeviceName: control
// characters dropped, clipped; "poste" when nothing is left.
func DeviceName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(name, "") {
		if !unicode.IsPrint(r) || n >= MaxDeviceName {
			continue
		}
		b.WriteRune(r)
		n++
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		return s
	}
	return "poste"
}

// ParseResponse reads and checks a server's 2xx answer (the laptop's
// parser): unknown fields are left for a newer server; addresses must be
// host prefixes, at most MaxAddresses, and the server key a WireGuard key.
func ParseResponse(data []byte) (Response, []netip.Prefix, error) {
	var r Response
	if len(data) > MaxResponseBytes {
		return r, nil, fail(CodeBadAnswer, "%d bytes, the limit is %d", len(data), MaxResponseBytes)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return Response{}, nil, fail(CodeBadAnswer, "%v", err)
	}
	addrs, err := HostAddresses(r.Addresses)
	if err != nil {
		return Response{}, nil, fail(CodeBadAnswer, "%v", err)
	}
	if err := CheckPublicKey(r.ServerPublicKey); err != nil {
		return Response{}, nil, fail(CodeBadAnswer, "server_public_key: %v", err)
	}
	if (r.Grant == "") != (r.GrantSignature == "") {
		return Response{}, nil, fail(CodeBadAnswer, "a grant without its signature, or the reverse")
	}
	return r, addrs, nil
}

// ParseErrorBody reads a refusal's code; "" when the body is not one.
func ParseErrorBody(data []byte) string {
	var b ErrorBody
	if len(data) > MaxResponseBytes || json.Unmarshal(data, &b) != nil {
		return ""
	}
	for _, c := range ServerCodes() {
		if b.Error == c {
			return c
		}
	}
	return ""
}

// HostAddresses parses 1 to MaxAddresses tunnel addresses, each one host
// (/32 or /128), distinct and usable.
func HostAddresses(list []string) ([]netip.Prefix, error) {
	if len(list) == 0 || len(list) > MaxAddresses {
		return nil, fmt.Errorf("%d addresses (1 to %d)", len(list), MaxAddresses)
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("address %q is not a prefix", clip(s))
		}
		a := p.Addr()
		if a.Is4In6() || p.Bits() != a.BitLen() {
			return nil, fmt.Errorf("address %s is not one host (/32 or /128)", p)
		}
		if a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() {
			return nil, fmt.Errorf("address %s cannot be a tunnel address", p)
		}
		if seen[a] {
			return nil, fmt.Errorf("address %s given twice", p)
		}
		seen[a] = true
		out = append(out, p)
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Secrets. A setup token is long and random (rlst_ and 32 base32
// characters, 160 bits): IT places it in the managed configuration. A
// one-time code is read over the phone: ten characters of the case-code
// alphabet (no look-alikes) in two groups, XXXXX-XXXXX, about 45 bits,
// valid for hours and rate-limited. Both are stored as Hash(secret) only.

// TokenPrefix starts every setup token.
const TokenPrefix = "rlst_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSetupToken is a fresh setup token.
func NewSetupToken() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return TokenPrefix + strings.ToLower(b32.EncodeToString(b))
}

// CodeLen is the characters of a one-time code, without its hyphen.
const CodeLen = 10

// NewCode is a fresh one-time code, XXXXX-XXXXX.
func NewCode() string {
	b := make([]byte, CodeLen)
	out := make([]byte, 0, CodeLen+1)
	for i := 0; i < CodeLen; {
		if _, err := rand.Read(b[:1]); err != nil {
			panic(err)
		}
		// Rejection sampling: no bias toward the first letters.
		if int(b[0]) >= 256-256%len(casecode.Alphabet) {
			continue
		}
		if i == CodeLen/2 {
			out = append(out, '-')
		}
		out = append(out, casecode.Alphabet[int(b[0])%len(casecode.Alphabet)])
		i++
	}
	return string(out)
}

// NormalizeSecret is s as it is hashed: a setup token as given (trimmed);
// a code upper-cased, without spaces or hyphens, with the usual misreadings
// mapped (O→0 is not in the alphabet, so none are guessed: a wrong
// character stays wrong).
func NormalizeSecret(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, TokenPrefix) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == '-' || r == ' ' || r == '\u00a0' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsCode reports whether s (normalised) has the shape of a one-time code.
func IsCode(s string) bool {
	s = NormalizeSecret(s)
	if len(s) != CodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(casecode.Alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Hash is how a token or code is stored: hex SHA-256 of the normalised
// secret. Both carry enough entropy for a plain hash (a code is also
// short-lived and its attempts rate-limited); nothing slower is needed for
// 3,000 enrolments in a morning.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(NormalizeSecret(secret)))
	return hex.EncodeToString(sum[:])
}
