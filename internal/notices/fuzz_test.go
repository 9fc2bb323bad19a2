package notices

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input may panic Parse; a failure is always a coded *Error,
// and an accepted document always keeps the rules.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"schema":1,"serial":1,"issued_at":"2026-12-05T09:00:00Z"}`))
	f.Add([]byte(`{"schema":1,"serial":1,"issued_at":"2026-12-05T09:00:00Z","tunnel":{}}`))
	f.Add([]byte(`{"schema":1,"serial":1,"issued_at":"2026-12-05T09:00:00Z","notices":[{"id":"a","level":"info","text":{"fr":"\u202e","en":"x"}}]}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			if d != nil {
				t.Fatal("a document and an error")
			}
			if Code(err) == "" {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if d.Schema != Schema || d.Serial <= 0 || d.IssuedAt.IsZero() || len(d.SHA256) != 64 ||
			len(d.Notices) > MaxNotices || len(d.Maintenance) > MaxWindows || len(data) > MaxSize {
			t.Fatalf("accepted %+v", d)
		}
		for _, n := range d.Notices {
			for _, s := range []string{n.Text.FR, n.Text.EN} {
				if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > MaxText || strings.ContainsFunc(s, unsafeRune) {
					t.Fatalf("accepted text %q", s)
				}
			}
		}
		for _, w := range d.Maintenance {
			if !w.Until.After(w.From) {
				t.Fatalf("accepted window %+v", w)
			}
		}
	})
}
