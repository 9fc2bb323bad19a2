package web

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relais/internal/casecode"
	"relais/internal/i18n"
)

// codeProblem says why a typed case code is not one.
type codeProblem struct {
	Key string // catalogue key
	Arg any
}

// text is the problem in lang.
func (p *codeProblem) text(lang string) string {
	if p.Arg == nil {
		return i18n.T(lang, p.Key)
	}
	return i18n.T(lang, p.Key, p.Arg)
}

// NormalizeCaseCode turns what a person typed from a phone call into a
// case code: lower case, spaces, dots, missing or extra dashes and a
// missing RLS prefix are accepted ("rls 7k3m q9td", "7K3MQ9TD"). The
// alphabet has no look-alike pairs (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V:
// both sides of each pair are left out), so such a character cannot be
// guessed: it is named in the answer, which asks for the code to be
// spelled again.
func NormalizeCaseCode(typed string) (string, *codeProblem) {
	if len(typed) > 200 {
		return "", &codeProblem{Key: "web.code.length", Arg: utf8.RuneCountInString(typed)}
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		if unicode.IsSpace(r) || r == '-' || r == '.' || r == '_' || r == '/' || r == '‐' || r == '–' || r == '—' {
			continue
		}
		b.WriteRune(r)
	}
	s := strings.TrimPrefix(b.String(), "RLS")
	if s == "" {
		return "", &codeProblem{Key: "web.code.empty"}
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !strings.ContainsRune(casecode.Alphabet, r) {
			return "", &codeProblem{Key: "web.code.bad_char", Arg: string(r)}
		}
	}
	if len(s) != 8 {
		return "", &codeProblem{Key: "web.code.length", Arg: len(s)}
	}
	code := casecode.Prefix + s[:4] + "-" + s[4:]
	if !casecode.Valid(code) {
		return "", &codeProblem{Key: "web.code.empty"}
	}
	return code, nil
}

// formatTime is t for a reader of lang, in the server's time zone: "2 mars
// 2026 à 09:05" or "2 March 2026, 09:05".
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return i18n.DateTime(lang, t)
	}
	return i18n.DateTime(lang, t.Local())
}

// formatSize is n bytes for a reader: "840 o", "12,4 Ko", "3,1 Mo" in
// French; "840 B", "12.4 kB", "3.1 MB" in English.
func formatSize(lang string, n int64) string {
	switch {
	case n < 1000:
		return i18n.T(lang, "web.size.b", i18n.Integer(lang, int(n)))
	case n < 1000*1000:
		return i18n.T(lang, "web.size.kb", i18n.Decimal(lang, float64(n)/1000, 1))
	default:
		return i18n.T(lang, "web.size.mb", i18n.Decimal(lang, float64(n)/1e6, 1))
	}
}

// bidiControls are the characters that reorder the text after them:
// a crafted bundle or note must not make "RLS-…" read backwards.
var bidiControls = strings.NewReplacer(
	"\u202a", "\ufffd", "\u202b", "\ufffd", "\u202c", "\ufffd", "\u202d", "\ufffd", "\u202e", "\ufffd",
	"\u2066", "\ufffd", "\u2067", "\ufffd", "\u2068", "\ufffd", "\u2069", "\ufffd", "\u200e", "", "\u200f", "",
)

// cleanText is s without bidi controls.
func cleanText(s string) string { return bidiControls.Replace(s) }
