package launch

import (
	"errors"
	"fmt"

	"relais/internal/i18n"
)

// What Open refuses or fails at, for errors.Is. Each has a sentence for
// people in French and English (Error.Message).
var (
	ErrSchemeNotAllowed = errors.New("launch: URL scheme not allowed")
	ErrInvalidURL       = errors.New("launch: invalid URL")
	ErrBadProxy         = errors.New("launch: local proxy address is not a loopback host:port")
	ErrNoBrowser        = errors.New("launch: no browser found to start with the local proxy")
	ErrStart            = errors.New("launch: could not start the program")
)

// Error is a refusal or failure of Open.
type Error struct {
	Kind    error  // one of the Err… values above
	URL     string // the link's URL, as given
	Scheme  string // ErrSchemeNotAllowed: the refused scheme, lower case
	Detail  string // ErrInvalidURL: what is wrong; ErrBadProxy: the address
	Program string // ErrStart: the program that did not start
	// ExitCode: ErrStart, the program started and exited with this
	// non-zero code (xdg-open 3: nothing can open the link; 4: the
	// application found failed). 0: it did not start at all.
	ExitCode int
	Proxy    *Proxy // ErrNoBrowser: the proxy to set by hand
	Err      error  // the cause, if any
}

func (e *Error) Error() string {
	switch e.Kind {
	case ErrSchemeNotAllowed:
		return fmt.Sprintf("%v: %q (http, https or the profile's allowed_schemes)", e.Kind, e.Scheme)
	case ErrInvalidURL, ErrBadProxy:
		return fmt.Sprintf("%v: %s", e.Kind, e.Detail)
	case ErrStart:
		return fmt.Sprintf("%v %s: %v", e.Kind, e.Program, e.Err)
	case ErrNoBrowser:
		return fmt.Sprintf("%v (Chromium, Chrome, Edge, Brave or Firefox); set the proxy by hand: %s", e.Kind, e.Proxy.manual())
	}
	return fmt.Sprint(e.Kind)
}

func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Key returns the message key and its arguments, for a front end that
// translates itself (the GUI through Fyne's lang package, which reads the
// same assets/translations files).
func (e *Error) Key() (string, []any) {
	switch e.Kind {
	case ErrSchemeNotAllowed:
		return "launch.error.scheme_not_allowed", []any{e.Scheme}
	case ErrInvalidURL:
		return "launch.error.invalid_url", []any{e.Detail}
	case ErrBadProxy:
		return "launch.error.bad_proxy", []any{e.Detail}
	case ErrStart:
		if e.ExitCode > 0 {
			return "launch.error.no_handler", []any{e.URL}
		}
		return "launch.error.start_failed", []any{e.Program, e.URL, fmt.Sprint(e.Err)}
	case ErrNoBrowser:
		p := e.Proxy
		if p == nil {
			p = &Proxy{}
		}
		switch {
		case p.SOCKS5 != "" && p.HTTP != "":
			return "launch.error.no_browser", []any{p.SOCKS5, p.HTTP, e.URL}
		case p.SOCKS5 != "":
			return "launch.error.no_browser_socks", []any{p.SOCKS5, e.URL}
		default:
			return "launch.error.no_browser_http", []any{p.HTTP, e.URL}
		}
	}
	return "launch.error.other", []any{e.Error()}
}

// Message is the error for a person, in lang ("fr" or "en").
func (e *Error) Message(lang string) string {
	key, args := e.Key()
	return i18n.T(lang, key, args...)
}

// manual says in English which proxy to set by hand.
func (p *Proxy) manual() string {
	switch {
	case p == nil:
		return "no proxy"
	case p.SOCKS5 != "" && p.HTTP != "":
		return fmt.Sprintf("SOCKS5 %s with remote DNS, or HTTP proxy %s", p.SOCKS5, p.HTTP)
	case p.SOCKS5 != "":
		return fmt.Sprintf("SOCKS5 %s with remote DNS", p.SOCKS5)
	}
	return fmt.Sprintf("HTTP proxy %s", p.HTTP)
}
