package notices

import (
	"errors"
	"fmt"
)

// Codes say why a document was refused; front ends word each one as
// notices.reason.<code> (French and English), and the store keeps the code
// of the last refusal.
const (
	CodeTooLarge          = "too_large"           // over MaxSize bytes
	CodeMalformed         = "malformed"           // not JSON, or JSON of the wrong shape
	CodeUnknownField      = "unknown_field"       // a key a notices document may not carry
	CodeDuplicateField    = "duplicate_field"     // a key given twice
	CodeSchema            = "schema"              // missing or unknown schema
	CodeSerial            = "serial"              // missing or not positive
	CodeIssuedAt          = "issued_at"           // missing issued_at
	CodeTooMany           = "too_many"            // more than MaxNotices notices or MaxWindows windows
	CodeID                = "id"                  // a notice id missing, badly spelled or repeated
	CodeLevel             = "level"               // a level other than info, warning, crisis
	CodeApp               = "app"                 // a window's app id missing or badly spelled
	CodeWindow            = "window"              // a window without from/until, or until not after from
	CodeTextMissing       = "text_missing"        // a text without both languages
	CodeTextTooLong       = "text_too_long"       // over MaxText characters
	CodeTextControl       = "text_control"        // control characters, bidi overrides or invalid UTF-8
	CodeUnsigned          = "unsigned"            // no signature
	CodeSignatureMalform  = "signature_malformed" // not a minisign signature
	CodeUntrustedKey      = "untrusted_key"       // signed by a key other than the notice key
	CodeBadSignature      = "bad_signature"       // the notice key's signature does not match the bytes
	CodeNoKey             = "no_key"              // the profile's [notices] public_key is missing or not a key
	CodeKeySharedWithProf = "key_shared"          // the notice key is also a profile key: refused, keys have one purpose
	CodeRollback          = "rollback"            // a lower serial, or the same serial with other bytes
)

// Codes returns every code an Error may carry, so front ends can check they
// word them all.
func Codes() []string {
	return []string{CodeTooLarge, CodeMalformed, CodeUnknownField, CodeDuplicateField, CodeSchema,
		CodeSerial, CodeIssuedAt, CodeTooMany, CodeID, CodeLevel, CodeApp, CodeWindow, CodeTextMissing,
		CodeTextTooLong, CodeTextControl, CodeUnsigned, CodeSignatureMalform, CodeUntrustedKey,
		CodeBadSignature, CodeNoKey, CodeKeySharedWithProf, CodeRollback}
}

// Error is a refused document: a code for front ends and the store, and a
// detail in English for logs (where in the document, what was found).
type Error struct {
	Code   string
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "notices: " + e.Code
	}
	return "notices: " + e.Code + ": " + e.Detail
}

// Is makes errors.Is(err, &Error{Code: c}) match any Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Detail == ""
}

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Code returns the code of err when it is (or wraps) an *Error, else "".
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
