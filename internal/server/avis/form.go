package avis

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"relais/internal/i18n"
	"relais/internal/notices"
	"relais/internal/profile"
	"relais/internal/server/db"
)

// maxForm bounds a form's body: two texts of notices.MaxText characters,
// percent-encoded, fit many times over.
const maxForm = 256 << 10

// Form fields.
const (
	fLevel  = "level"
	fTextFR = "text_fr"
	fTextEN = "text_en"
	fFrom   = "from"
	fUntil  = "until"
	fApp    = "app"
)

// fieldError is a sentence for a person, about one field ("" for the form
// as a whole).
type fieldError struct {
	Field, Message string
}

// form is what was typed in one of the two forms, kept to be shown again
// with its errors: nothing typed is lost.
type form struct {
	Kind                       string // db.KindNotice or db.KindWindow
	Level, TextFR, TextEN, App string
	From, Until                string // as <input type="datetime-local"> sends them
	Errors                     []fieldError
	lang                       string
}

// Err is the sentence about field, if any.
func (f *form) Err(field string) string {
	for _, e := range f.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (f *form) fail(field, key string, args ...any) {
	f.Errors = append(f.Errors, fieldError{Field: field, Message: i18n.T(f.lang, key, args...)})
}

// readForm reads the posted form of kind.
func readForm(w http.ResponseWriter, r *http.Request, kind, lang string) (*form, error) {
	f := &form{Kind: kind, lang: lang}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			f.fail("", "avis.err.form_too_large")
			return f, err
		}
		f.fail("", "avis.err.form_unreadable")
		return f, err
	}
	get := func(k string) string { return r.PostForm.Get(k) }
	f.Level, f.TextFR, f.TextEN, f.App, f.From, f.Until = get(fLevel), get(fTextFR), get(fTextEN), get(fApp), get(fFrom), get(fUntil)
	return f, nil
}

// oneLine turns the line breaks a text area lets a person type into
// spaces (a banner is one line, and the document refuses control
// characters), and trims.
func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	return strings.TrimSpace(s)
}

// checkText checks one language's text; required says it must be given.
func (f *form) checkText(field, raw string, required bool) string {
	s := oneLine(raw)
	lang := "fr"
	if field == fTextEN {
		lang = "en"
	}
	if s == "" {
		if required {
			f.fail(field, "avis.err.text_missing_"+lang)
		}
		return ""
	}
	if n := utf8.RuneCountInString(s); n > notices.MaxText {
		f.fail(field, "avis.err.text_too_long_"+lang, i18n.Integer(f.lang, n), i18n.Integer(f.lang, notices.MaxText))
		return s
	}
	if r, bad := notices.UnsafeRune(s); bad {
		f.fail(field, "avis.err.text_control_"+lang, fmt.Sprintf("U+%04X", r))
	}
	return s
}

// localLayouts are what <input type="datetime-local"> sends.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.000"}

// LocalInput is t as a datetime-local field's value, in loc.
func LocalInput(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

func (f *form) checkTime(field, raw string, loc *time.Location) time.Time {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil && t.Year() >= 2000 && t.Year() < 10000 {
			return t
		}
	}
	f.fail(field, "avis.err.date_"+field)
	return time.Time{}
}

// validate checks the form against the rules of a notices document and
// says every problem in a sentence; it returns the item to store when
// there is none.
func (f *form) validate(now time.Time, loc *time.Location) (db.NoticeItem, bool) {
	notice := f.Kind == db.KindNotice
	var app string
	if !notice {
		app = strings.TrimSpace(f.App)
		switch {
		case app == "":
			f.fail(fApp, "avis.err.app_missing")
		case !profile.ValidID(app):
			f.fail(fApp, "avis.err.app")
		}
	}
	if notice {
		switch notices.Level(f.Level) {
		case notices.Info, notices.Warning, notices.Crisis:
		default:
			f.fail(fLevel, "avis.err.level")
		}
	}
	fr := f.checkText(fTextFR, f.TextFR, notice)
	en := f.checkText(fTextEN, f.TextEN, notice)
	if !notice && (fr == "") != (en == "") && f.Err(fTextFR) == "" && f.Err(fTextEN) == "" {
		field := fTextFR
		if fr != "" {
			field = fTextEN
		}
		f.fail(field, "avis.err.window_text_half")
	}
	from := f.checkTime(fFrom, f.From, loc)
	until := f.checkTime(fUntil, f.Until, loc)
	if !notice && f.Err(fFrom) == "" && from.IsZero() {
		f.fail(fFrom, "avis.err.window_from")
	}
	if !notice && f.Err(fUntil) == "" && until.IsZero() {
		f.fail(fUntil, "avis.err.window_until")
	}
	if f.Err(fUntil) == "" && !until.IsZero() {
		switch {
		case !from.IsZero() && !until.After(from):
			f.fail(fUntil, "avis.err.until_before_from")
		case !until.After(now):
			f.fail(fUntil, "avis.err.until_past")
		}
	}
	if len(f.Errors) > 0 {
		return db.NoticeItem{}, false
	}
	it := db.NoticeItem{Kind: f.Kind, App: app, TextFR: fr, TextEN: en, From: from, Until: until}
	if notice {
		it.Level = f.Level
	}
	return it, true
}

// refusal words why a document was not published, from its code.
func (f *form) refusal(err error) {
	switch code := notices.Code(err); code {
	case "":
		f.fail("", "avis.err.unavailable")
	case notices.CodeTooMany:
		f.fail("", "avis.err.too_many", notices.MaxNotices, notices.MaxWindows)
	case notices.CodeTooLarge:
		f.fail("", "avis.err.too_large")
	default:
		f.fail("", "avis.err.refused", code)
	}
}
