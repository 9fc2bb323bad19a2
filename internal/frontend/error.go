package frontend

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error the backend returns for a person to read: a message
// key of the catalogue (internal/i18n) and its arguments. The backend never
// words it; a front end does, in the person's language (Words). An argument
// that is itself an error is worded in turn.
type Error struct {
	Key  string
	Args []any
	// At, if set, is a location said before the words, as is
	// ("profile.toml:12: Endpoint: ").
	At string
	// Detail, if set, is the technical detail the helpdesk needs, said
	// after the words under "Détails" (cli.reason.detail).
	Detail string
	// Then, if set, is a second sentence said after this one (worded in
	// turn): what this one's reason is.
	Then error
	// Err is the cause, for errors.Is and errors.As and for logs; it is
	// not shown.
	Err error
}

// Errorf is an Error for key with args.
func Errorf(key string, args ...any) *Error { return &Error{Key: key, Args: args} }

// Wrap is an Error for key with args whose cause is err.
func Wrap(err error, key string, args ...any) *Error { return &Error{Key: key, Args: args, Err: err} }

// Error is the technical text, for logs and the details under a
// sentence; never what a person reads first: the cause's text when there
// is one, else the key and its arguments.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	if len(e.Args) == 0 {
		return e.Key
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = fmt.Sprint(a)
	}
	return e.Key + ": " + strings.Join(parts, ", ")
}

func (e *Error) Unwrap() error { return e.Err }

// Words is how a front end says err in lang: an *Error (anywhere in the
// chain) through t, its error arguments worded in turn, its Detail read
// back in lang (DetailIn); describe for any other error (nil: its own
// text).
func Words(lang string, err error, t func(key string, args ...any) string, describe func(error) string) string {
	if err == nil {
		return ""
	}
	var fe *Error
	if errors.As(err, &fe) {
		args := make([]any, len(fe.Args))
		for i, a := range fe.Args {
			if ae, ok := a.(error); ok {
				args[i] = Words(lang, ae, t, describe)
			} else {
				args[i] = a
			}
		}
		text := fe.At + t(fe.Key, args...)
		if fe.Detail != "" {
			text += " " + t("cli.reason.detail", DetailIn(lang, fe.Detail))
		}
		if fe.Then != nil {
			text += " " + Words(lang, fe.Then, t, describe)
		}
		return text
	}
	if describe != nil {
		return describe(err)
	}
	return err.Error()
}
