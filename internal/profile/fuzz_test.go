package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: no input may panic Parse, and every failure must be reportable as
// FILE:LINE: PATH: MSG.
func FuzzParse(f *testing.F) {
	f.Add(readExample(f))
	f.Add(Generate(3))
	f.Add([]byte(base))
	f.Add(append([]byte("\ufeff"), base...))
	f.Add([]byte(base + "\n[captive]\nurl = \"http://portail-test.example.org/ok\"\nexpect_status = 204\n"))
	f.Add([]byte(base + "\n[captive]\nurl = \"ftp://x\"\nexpect_status = 99\n"))
	f.Add([]byte(strings.Replace(base, "endpoint = ", "endpoints = [\"vpn-secours.example.org:51820\", \"192.0.2.7:51820\"]\nendpoint = ", 1)))
	f.Add([]byte(strings.Replace(base, "endpoint = \"vpn.example.org:51820\"", "endpoints = [\"a:1\", \"a:1\", \"b\", \"\", 7]", 1)))
	files, err := filepath.Glob(filepath.Join(badDir, "*.toml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.toml", data)
		if err == nil {
			if p == nil || p.Schema != Schema || p.Serial <= 0 || len(p.SHA256) != 64 || len(p.Apps) == 0 {
				t.Fatalf("accepted an invalid profile: %+v", p)
			}
			return
		}
		if p != nil {
			t.Fatal("a profile and an error")
		}
		if errors.Is(err, ErrTooLarge) {
			return
		}
		var l ErrorList
		if !errors.As(err, &l) {
			t.Fatalf("error %v (%T) is neither an ErrorList nor ErrTooLarge", err, err)
		}
		if len(l) == 0 || len(l) > MaxErrors {
			t.Fatalf("%d errors", len(l))
		}
		for i, e := range l {
			if e.File != "f.toml" || e.Line < 1 || strings.TrimSpace(e.Msg) == "" {
				t.Fatalf("bad error %#v", e)
			}
			if i > 0 && e.Line < l[i-1].Line {
				t.Fatalf("errors not sorted by line:\n%v", l)
			}
		}
	})
}

// FuzzSplitCondition: a condition that splits must split again, identically, once
// rewritten in canonical form.
func FuzzSplitCondition(f *testing.F) {
	for _, s := range []string{
		"[STATUS] == 200", "[RESPONSE_TIME] < 1500", "[BODY] == pat(*ok*)",
		"[CERTIFICATE_EXPIRATION] > 72h", "[CONNECTED]==true", "[DNS_RCODE] != NXDOMAIN",
		"[IP] == 10.20.0.10", "[STATUS] => 200", "STATUS == 200", "[] == 1", "[STATUS ==", "[A] <= ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ph, op, value, err := SplitCondition(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "profile: condition ") {
				t.Fatalf("message %q", err)
			}
			return
		}
		if ph == "" || value == "" || value != strings.TrimSpace(value) {
			t.Fatalf("split %q into %q %q %q", s, ph, op, value)
		}
		switch op {
		case "==", "!=", "<", "<=", ">", ">=":
		default:
			t.Fatalf("operator %q", op)
		}
		ph2, op2, value2, err := SplitCondition("[" + ph + "] " + op + " " + value)
		if err != nil || ph2 != ph || op2 != op || value2 != value {
			t.Fatalf("%q: canonical form splits differently: %q %q %q %v", s, ph2, op2, value2, err)
		}
		// The lint check must never panic on what the grammar accepts.
		for _, typ := range []string{"http", "tcp", "dns", "tls"} {
			conditionProblem(typ, "https://x.example.org/", s)
		}
	})
}
