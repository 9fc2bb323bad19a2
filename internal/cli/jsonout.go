package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"relais/internal/i18n"
)

// JSONSchema is the version of every --json document ("schema": 1). It
// changes only when a field changes meaning or goes away.
const JSONSchema = 1

// writeJSON prints v as one indented document carrying "schema". Every
// --json output goes through here. A document that is not an object is
// wrapped as {"schema": 1, "items": […]}.
func writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"error": map[string]string{"code": "json", "fr": err.Error(), "en": err.Error()}})
	}
	var doc []byte
	switch {
	case len(b) > 0 && b[0] == '{':
		rest := bytes.TrimSpace(b[1:])
		doc = append([]byte(fmt.Sprintf(`{"schema":%d`, JSONSchema)), func() []byte {
			if len(rest) > 0 && rest[0] == '}' {
				return rest
			}
			return append([]byte(","), rest...)
		}()...)
	default:
		doc = []byte(fmt.Sprintf(`{"schema":%d,"items":%s}`, JSONSchema, b))
	}
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		out.Reset()
		out.Write(doc)
	}
	out.WriteByte('\n')
	_, _ = w.Write(out.Bytes())
}

// countingWriter counts what a command printed on stdout, so that Main
// knows whether a failed --json command printed its own document.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// wantsJSON tells whether --json is among the arguments (before "--").
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true", "--json=1", "-json=1":
			return true
		}
	}
	return false
}

// failure is the last failure a command said (through r.fail): its message
// key and arguments, and the error reason worded among them, if any.
type failure struct {
	key    string
	args   []any
	err    error // a coded error said through failErr: worded again in each language
	reason *reasonSaid
}

// errorJSON is the document a --json command prints when it cannot print
// its own: {"schema": 1, "error": {"code", "fr", "en"}}.
type errorJSON struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"` // the error's own code (timeout, untrusted_key, …)
	FR     string `json:"fr"`
	EN     string `json:"en"`
	Detail string `json:"detail,omitempty"` // technical detail for the helpdesk
}

// codedTextJSON is a code with its sentence in each language, and the
// technical detail for the helpdesk: what a document says of a problem
// that is not the command's failure (a keyring that does not answer, a
// report the server refused).
type codedTextJSON struct {
	Code   string `json:"code"`
	FR     string `json:"fr"`
	EN     string `json:"en"`
	Detail string `json:"detail,omitempty"`
}

// codedText words key in each language.
func codedText(code, key string, args ...any) *codedTextJSON {
	return &codedTextJSON{Code: code, FR: i18n.T(i18n.FR, key, args...), EN: i18n.T(i18n.EN, key, args...)}
}

// printErrorJSON prints the error document for the last failure. The code
// is the failure's message key without "cli."; the texts are that message
// in each language.
func (r *run) printErrorJSON() {
	f := r.failed
	if f == nil {
		f = &failure{key: "cli.error.failed"}
	}
	body := errorBody{Code: strings.TrimPrefix(f.key, "cli."), FR: f.in(i18n.FR), EN: f.in(i18n.EN)}
	if f.reason != nil {
		body.Reason = f.reason.code
		body.Detail = f.reason.detail
	}
	writeJSON(r.Stdout, errorJSON{Error: body})
}

// in words the failure in lang: a reason worded among its arguments is
// worded again in lang.
func (f *failure) in(lang string) string {
	if f.err != nil {
		return wordsIn(lang, f.err)
	}
	args := make([]any, len(f.args))
	for i, a := range f.args {
		args[i] = a
		if s, ok := a.(string); ok && f.reason != nil && s == f.reason.text {
			if f.reason.key != "" {
				args[i] = reasonKeyIn(lang, f.reason.key, f.reason.detail)
			} else {
				args[i] = reasonIn(lang, f.reason.code, f.reason.detail)
			}
		}
	}
	return i18n.T(lang, f.key, args...)
}

// enumValue is a flag that takes one of a few words (--anonymize
// none|standard|strict): anything else is refused while parsing, before
// any work starts. Help and shell completion list its choices.
type enumValue struct {
	p       *string
	choices []string
}

func (e *enumValue) String() string {
	if e == nil || e.p == nil {
		return ""
	}
	return *e.p
}

func (e *enumValue) Set(s string) error {
	for _, c := range e.choices {
		if s == c {
			*e.p = s
			return nil
		}
	}
	return errBadChoice
}

var errBadChoice = errors.New("not one of the choices")

// enumFlag defines --name taking one of choices, def by default.
func enumFlag(fs *flag.FlagSet, name, def, usage string, choices ...string) *string {
	p := new(string)
	*p = def
	fs.Var(&enumValue{p: p, choices: choices}, name, usage)
	return p
}

// The standard flag package's errors, in English; flagError words them.
var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): `)
	reBadSyntax = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagError turns an error of fs.Parse into a message key and its
// arguments, so that the person reads it in one language.
func flagError(fs *flag.FlagSet, err error) (string, []any) {
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		return "cli.flagerr.unknown", []any{flagDash(m[1])}
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return "cli.flagerr.needs_value", []any{flagDash(m[1])}
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[2]); f != nil {
			if e, ok := f.Value.(*enumValue); ok {
				return "cli.flagerr.choice", []any{m[1], flagDash(m[2]), strings.Join(e.choices, ", ")}
			}
			if _, ok := f.Value.(interface{ IsBoolFlag() bool }); ok {
				return "cli.flagerr.bool", []any{m[1], flagDash(m[2])}
			}
		}
		return "cli.flagerr.value", []any{m[1], flagDash(m[2])}
	}
	if m := reBadSyntax.FindStringSubmatch(msg); m != nil {
		return "cli.flagerr.syntax", []any{m[1]}
	}
	return "cli.flagerr.other", nil
}
