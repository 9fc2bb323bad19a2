package bundle

import "testing"

func TestTerminalText(t *testing.T) {
	for in, want := range map[string]string{
		"Paie":                                 "Paie",
		"ligne 1\nligne 2\tcolonne":            "ligne 1\nligne 2\tcolonne",
		"Été — «ok»":                           "Été — «ok»",
		"\x1b]0;pwned\x07Paie":                 "Paie",
		"\x1b]0;pwned\x1b\\Paie":               "Paie",
		"\x1b]0;pwned\u009cPaie":               "Paie",
		"\x1b]0;pwned\x1b[2JPaie":              "Paie",
		"\x1b]0;pwned":                         "",
		"\x1b]0;pwned\nPaie":                   "\nPaie",
		"a\x1b[2Jb":                            "ab",
		"a\x1b[38;5;196mb\x1b[0m":              "ab",
		"a\x9b31mb":                            "ab",
		"a\u009b31mb":                          "ab",
		"a\u009d0;pwned\u009cb":                "ab",
		"a\x9d0;pwned\x07b":                    "ab",
		"visible\rcaché":                       "visiblecaché",
		"a\x1b7b\x1b8c":                        "abc",
		"a\x1b(Bb":                             "ab",
		"a\x1b":                                "a",
		"a\x00\a\b\x0b\x0c\x0e\x1f\x7f\u0085b": "ab",
	} {
		if got := TerminalText(in); got != want {
			t.Errorf("TerminalText(%q) = %q, want %q", in, got, want)
		}
	}
}

// Direction overrides cannot reverse or hide what follows on the line.
func TestTerminalTextDropsBidiOverrides(t *testing.T) {
	if got := TerminalText("Paie\u202egpj.exe\u2066x\u2069 ok"); got != "Paiegpj.exex ok" {
		t.Errorf("%q", got)
	}
}
