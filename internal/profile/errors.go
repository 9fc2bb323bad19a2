package profile

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Functions wrap them with details, so test them with errors.Is; front
// ends turn each into a sentence in the user's language.
var (
	// ErrUnsigned: the profile came without a signature.
	ErrUnsigned = errors.New("profile: unsigned")
	// ErrSignatureMalformed: the signature is not a minisign signature.
	ErrSignatureMalformed = errors.New("profile: malformed signature")
	// ErrUntrustedKey: a well-formed signature by a key the machine does not trust.
	ErrUntrustedKey = errors.New("profile: signed by an untrusted key")
	// ErrBadSignature: a trusted key's signature that does not match the bytes: the file
	// was altered after signing.
	ErrBadSignature = errors.New("profile: signature does not match the file")
	// ErrNoTrustedKeys: the managed configuration lists no trusted key, so no profile can
	// ever be accepted.
	ErrNoTrustedKeys = errors.New("profile: no trusted keys")
	// ErrInvalidTrustedKey: a configured trusted key is not a minisign public key.
	ErrInvalidTrustedKey = errors.New("profile: invalid trusted key")
	// ErrRollback: the profile is older than the last accepted one, or has the same serial
	// but different content.
	ErrRollback = errors.New("profile: rollback refused")
	// ErrExpired: a newly offered profile whose expiry date has already passed.
	ErrExpired = errors.New("profile: expired")
	// ErrTooLarge: the profile is larger than MaxProfileSize.
	ErrTooLarge = errors.New("profile: too large")
	// ErrInvalid: the profile does not validate; Accept wraps the ErrorList with it.
	ErrInvalid = errors.New("profile: invalid")
)

// Sync errors (internal/profile/profilesync returns them, wrapped with the
// URL or file concerned). They live here, with the other sentinels, so
// that front ends word them without importing the package that fetches.
var (
	// ErrAssetMismatch: an asset's bytes do not match the SHA-256 the
	// profile pins; the whole profile is refused.
	ErrAssetMismatch = errors.New("profile: asset does not match its sha256")
	// ErrInsecureURL: a profile, signature or asset URL that is neither
	// https nor http on a loopback address.
	ErrInsecureURL = errors.New("profile: URL must be https (http only on loopback)")
	// ErrLocalRedirect: the source redirected to this machine or its link
	// (loopback, link-local such as 169.254.169.254, unspecified): where a
	// local service, not the organisation, would answer.
	ErrLocalRedirect = errors.New("profile: redirect to a loopback or link-local address refused")
	// ErrNoSource: neither a profile URL nor a bootstrap file to sync from.
	ErrNoSource = errors.New("profile: no profile_url or profile_file")
	// ErrAssetsTooLarge: the assets a sync would download together exceed
	// MaxAssetsTotalSize, or a profile has more than MaxAssets of them; the
	// whole profile is refused. It matches ErrTooLarge too.
	ErrAssetsTooLarge error = &tooLargeError{"profile: assets exceed what one sync may download"}
)

// tooLargeError is a kind of ErrTooLarge with its own words.
type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string        { return e.msg }
func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// MaxErrors caps the errors Parse reports: past a few dozen, a list helps nobody and a
// hostile file could make it huge.
const MaxErrors = 50

// Error is one problem in a profile, located by line and by path
// (apps[2].checks[0].target). Path is empty for syntax errors. Code and Args say what is
// wrong for front ends to word (see Problem); Msg is the same in English.
type Error struct {
	File string // the name given to Parse
	Line int    // 1-based
	Path string
	Msg  string
	Code string
	Args []any
}

// newError locates a problem.
func newError(file string, line int, path string, p Problem) *Error {
	return &Error{File: file, Line: line, Path: path, Msg: p.English(), Code: p.Code, Args: p.Args}
}

// Problem returns what is wrong, without where.
func (e *Error) Problem() Problem { return Problem{Code: e.Code, Args: e.Args} }

// Error returns "FILE:LINE: PATH: MSG", or "FILE:LINE: MSG" when no path applies: the
// format editors and CI logs already know how to jump to.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem Parse found, sorted by line then path.
type ErrorList []*Error

// Error returns one error per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}
