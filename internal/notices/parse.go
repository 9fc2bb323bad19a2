package notices

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"relais/internal/profile"
)

// shape is what a JSON value of the document may be: an object with exactly
// these fields, an array of elem, or (both nil) a scalar.
type shape struct {
	fields map[string]*shape
	elem   *shape
}

var (
	textShape   = &shape{fields: map[string]*shape{"fr": nil, "en": nil}}
	noticeShape = &shape{fields: map[string]*shape{"id": nil, "level": nil, "text": textShape, "from": nil, "until": nil}}
	windowShape = &shape{fields: map[string]*shape{"app": nil, "from": nil, "until": nil, "text": textShape}}
	docShape    = &shape{fields: map[string]*shape{
		"schema": nil, "serial": nil, "issued_at": nil,
		"notices":     {elem: noticeShape},
		"maintenance": {elem: windowShape},
	}}
)

// Parse decodes and validates a notices document. It refuses, with an
// *Error, a document over MaxSize, one with any key it does not know (spelled
// exactly) or a key twice, anything after the document, and every value out
// of the rules (see the Code constants). It never returns a document and an
// error.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxSize {
		return nil, fail(CodeTooLarge, "%d bytes, the limit is %d", len(data), MaxSize)
	}
	if !utf8.Valid(data) {
		return nil, fail(CodeTextControl, "not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, docShape, "$"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(CodeMalformed, "data after the document")
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fail(CodeMalformed, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := validate(&d); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	d.SHA256 = hex.EncodeToString(sum[:])
	return &d, nil
}

// walk reads one value of the given shape, refusing keys it does not list
// and keys given twice. null stands for an absent object or array.
func walk(dec *json.Decoder, s *shape, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fail(CodeMalformed, "%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	delim, isDelim := tok.(json.Delim)
	switch {
	case s == nil || s.fields == nil && s.elem == nil:
		if isDelim {
			return fail(CodeMalformed, "%s: a value, not %s", path, delim)
		}
		return nil
	case tok == nil: // null
		return nil
	case s.fields != nil && delim == '{':
		seen := make(map[string]bool, len(s.fields))
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fail(CodeMalformed, "%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
			}
			key, _ := kt.(string)
			sub, known := s.fields[key]
			if !known {
				return fail(CodeUnknownField, "%s.%s", path, clip(key))
			}
			if seen[key] {
				return fail(CodeDuplicateField, "%s.%s", path, key)
			}
			seen[key] = true
			if err := walk(dec, sub, path+"."+key); err != nil {
				return err
			}
		}
		_, err := dec.Token() // '}'
		if err != nil {
			return fail(CodeMalformed, "%s: %s", path, err)
		}
		return nil
	case s.elem != nil && delim == '[':
		for i := 0; dec.More(); i++ {
			if err := walk(dec, s.elem, path+"[]"); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return fail(CodeMalformed, "%s: %s", path, err)
		}
		return nil
	}
	return fail(CodeMalformed, "%s: wrong type", path)
}

// clip keeps a refused key short enough for a log line.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

func validate(d *Document) error {
	switch {
	case d.Schema == 0:
		return fail(CodeSchema, "schema is required")
	case d.Schema != Schema:
		return fail(CodeSchema, "schema %d, this version reads %d", d.Schema, Schema)
	case d.Serial <= 0:
		return fail(CodeSerial, "serial must be a positive integer")
	case d.IssuedAt.IsZero():
		return fail(CodeIssuedAt, "issued_at is required")
	case len(d.Notices) > MaxNotices:
		return fail(CodeTooMany, "%d notices, the limit is %d", len(d.Notices), MaxNotices)
	case len(d.Maintenance) > MaxWindows:
		return fail(CodeTooMany, "%d maintenance windows, the limit is %d", len(d.Maintenance), MaxWindows)
	}
	seen := make(map[string]bool, len(d.Notices))
	for i, n := range d.Notices {
		switch {
		case !profile.ValidID(n.ID):
			return fail(CodeID, "notices[%d].id", i)
		case seen[n.ID]:
			return fail(CodeID, "notices[%d].id: %s twice", i, n.ID)
		case n.Level != Info && n.Level != Warning && n.Level != Crisis:
			return fail(CodeLevel, "notices[%d].level", i)
		case !n.From.IsZero() && !n.Until.IsZero() && !n.Until.After(n.From):
			return fail(CodeWindow, "notices[%d]: until is not after from", i)
		}
		seen[n.ID] = true
		if err := checkText(n.Text, true, "notices", i); err != nil {
			return err
		}
	}
	for i, w := range d.Maintenance {
		switch {
		case !profile.ValidID(w.App):
			return fail(CodeApp, "maintenance[%d].app", i)
		case w.From.IsZero() || w.Until.IsZero():
			return fail(CodeWindow, "maintenance[%d]: from and until are required", i)
		case !w.Until.After(w.From):
			return fail(CodeWindow, "maintenance[%d]: until is not after from", i)
		}
		if err := checkText(w.Text, false, "maintenance", i); err != nil {
			return err
		}
	}
	return nil
}

// checkText: both languages (an optional text may be absent altogether),
// at most MaxText characters, no control character and no bidirectional
// formatting character that could make a text read other than it is.
func checkText(t Text, required bool, list string, i int) error {
	if !required && t.IsZero() {
		return nil
	}
	for _, s := range []string{t.FR, t.EN} {
		if strings.TrimSpace(s) == "" {
			return fail(CodeTextMissing, "%s[%d].text: fr and en are both required", list, i)
		}
		if n := utf8.RuneCountInString(s); n > MaxText {
			return fail(CodeTextTooLong, "%s[%d].text: %d characters, the limit is %d", list, i, n, MaxText)
		}
		for _, r := range s {
			if unsafeRune(r) {
				return fail(CodeTextControl, "%s[%d].text: character U+%04X", list, i, r)
			}
		}
	}
	return nil
}

func unsafeRune(r rune) bool {
	switch {
	case r == utf8.RuneError, unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional marks, embeddings, overrides and isolates
	case r == 0x2028, r == 0x2029, r == 0xFEFF:
		return true
	}
	return false
}
