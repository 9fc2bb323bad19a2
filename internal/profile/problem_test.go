package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzProblemCodes: whatever the input, every problem Parse reports carries a
// code front ends know how to word, with arguments that word it, and its
// English message is that wording.
func FuzzProblemCodes(f *testing.F) {
	f.Add(Generate(3))
	f.Add([]byte(strings.ReplaceAll(string(Generate(80)), `criticality = "`, `criticality = "x`)))
	files, _ := filepath.Glob(filepath.Join(badDir, "*.toml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	codes := make(map[string]bool)
	for _, c := range ProblemCodes() {
		codes[c] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("f.toml", data)
		var l ErrorList
		if !errors.As(err, &l) {
			return
		}
		for _, e := range l {
			if !codes[e.Code] {
				t.Fatalf("unknown code %q in %v", e.Code, e)
			}
			if got := e.Problem().English(); got != e.Msg || strings.Contains(got, "%!") {
				t.Fatalf("%s worded %q, Msg %q", e.Code, got, e.Msg)
			}
			for _, a := range e.Args {
				if w, ok := a.(Word); ok && EnglishWord(w) == "" {
					t.Fatalf("%s: unknown word %q", e.Code, w)
				}
			}
		}
	})
}

// Every code of the bad corpus is one the package words, and the English of
// a problem is the old message, so logs and tests that read it are unchanged.
func TestProblemEnglish(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{problem("one_of", Choices{"http", "tcp", "dns", "tls"}), "must be http, tcp, dns or tls"},
		{problem("one_of", Choices{"fr"}), "must be fr"},
		{problem("duplicate_id", Word("app"), "paie", 14), `duplicate app id "paie" (first on line 14)`},
		{problem("type_mismatch", Word("t_text"), Word("t_string")), `must be a text { fr = "…", en = "…" }, not a string`},
		{problem("cond_start", "[PLACEHOLDER]"), "must start with a [PLACEHOLDER]"},
		{problem("more_errors", 31), "31 more errors not shown"},
	} {
		if got := tt.p.English(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.p.Code, got, tt.want)
		}
	}
	if w := tomlKindWord("local datetime"); w != "t_local_datetime" {
		t.Errorf("local datetime: %q", w)
	}
	if w := tomlKindWord("something new"); w != "t_value" {
		t.Errorf("unknown kind: %q", w)
	}
}
