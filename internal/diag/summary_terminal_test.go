package diag

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"relais/internal/profile"
)

// hostileTerminal is what a crafted bundle puts around its texts to take
// over the terminal of whoever opens it: a window title (OSC), a cleared
// screen (CSI), red text in the 8-bit form of CSI (raw byte and U+009B),
// a bare carriage return that writes over the start of the line, a bell,
// a backspace, DEL.
const hostileTerminal = "\x1b]0;pwned\x07" + "\x1b[2J" + "\x9b31m" + "\u009b1;1H" + "\r" + "\a\b\x7f" + "\x1bP1$qm\x1b\\" + "\x1b]8;;http://evil.example/\x1b\\"

// A crafted bundle carries control sequences in its case code, app
// version, app names, reasons, check errors and collector failures:
// `relais diag open` prints none of them, in either language, and still
// says the words around them.
func TestSummaryStripsControlSequences(t *testing.T) {
	in, _ := sampleInput(t)
	h := func(s string) string { return hostileTerminal + s + hostileTerminal }
	for i := range in.Snapshot.Report.Apps {
		a := &in.Snapshot.Report.Apps[i]
		a.Name = profile.Text{FR: h(a.Name.FR), EN: h(a.Name.EN)}
		a.Criticality = h(a.Criticality)
		for j := range a.Checks {
			c := &a.Checks[j]
			c.Error, c.Target = h(c.Error), h(c.Target)
			if c.Reason != nil {
				c.Reason.Text = profile.Text{FR: h(c.Reason.Text.FR), EN: h(c.Reason.Text.EN)}
				c.Reason.Next = profile.Text{FR: h(c.Reason.Next.FR), EN: h(c.Reason.Next.EN)}
			}
		}
	}
	raw, _ := export(t, in, Options{CaseCode: "RLS-7K3M-Q9TD", collectors: append(defaultCollectors(fakeSources()), failingCollector("x"))})
	b, err := Open(bytes.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	// What Open does not check but a crafted manifest may say (the case
	// code too, should a check ever let one through).
	b.Manifest.CaseCode = h(b.Manifest.CaseCode)
	b.Manifest.App.Version, b.Manifest.App.Commit = h("9.9.9"), h("abc123")
	b.Manifest.Failures = append(b.Manifest.Failures, CollectorFailure{Name: h("network.vpn"), Error: h("refused")})
	for _, lang := range []string{"fr", "en"} {
		s := Summary(b, lang)
		if i, c := controlIn(s); i >= 0 {
			t.Errorf("%s: control %#x at %d: %q", lang, c, i, s[max(0, i-20):min(len(s), i+20)])
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 in the summary", lang)
		}
		if strings.Contains(s, "pwned") || strings.Contains(s, "evil.example") {
			t.Errorf("%s: a control string's payload is printed:\n%s", lang, s)
		}
		for _, want := range []string{"RLS-7K3M-Q9TD", "9.9.9", map[string]string{"fr": "Paie", "en": "Payroll"}[lang]} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: %q is missing:\n%s", lang, want, s)
			}
		}
	}
}

// controlIn is where the first character a terminal acts on is in s (a C0
// control but line feed and tab, DEL, a C1 control written as U+0080…U+009F
// or as a raw byte, a bidirectional override or isolate) and what it is;
// -1 for none.
func controlIn(s string) (int, rune) {
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return i, r
		case r == utf8.RuneError && s[i] >= 0x80 && s[i] <= 0x9f:
			return i, rune(s[i])
		}
	}
	return -1, 0
}
