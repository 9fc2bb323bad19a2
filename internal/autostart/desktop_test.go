package autostart

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// The Exec line, byte for byte, for paths that exercise each rule of the
// Desktop Entry Specification ("The Exec key"): quoting when a reserved
// character is present, the backslash before '"', '`', '$' and '\' inside
// quotes, "%%" for '%', and the string escapes applied on top, which turn
// one backslash into two (so a literal '\' is four, '$' is "\\$").
func TestExecLine(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{`/usr/bin/relais`, `/usr/bin/relais`},
		{`/opt/relais-1.2_3+x,y:z@w=v/relais`, `/opt/relais-1.2_3+x,y:z@w=v/relais`},
		{`/opt/Relais App/relais`, `"/opt/Relais App/relais"`},
		{`/home/o'brien/relais`, `"/home/o'brien/relais"`},
		{`/tmp/a"b/relais`, `"/tmp/a\\"b/relais"`},
		{`/tmp/a$b/relais`, `"/tmp/a\\$b/relais"`},
		{"/tmp/a`b/relais", "\"/tmp/a\\\\`b/relais\""},
		{`/tmp/a\b/relais`, `"/tmp/a\\\\b/relais"`},
		{`/tmp/100%/relais`, `/tmp/100%%/relais`},
		{`/tmp/100 %/relais`, `"/tmp/100 %%/relais"`},
		{`/tmp/~x/relais`, `"/tmp/~x/relais"`},
		{`/opt/Été/relais`, `"/opt/Été/relais"`},
		{`/a b/"c" $d \e`, `"/a b/\\"c\\" \\$d \\\\e"`},
		{"/a\tb", `"/a\tb"`},
	} {
		got := escapeString(execArg(tt.path))
		if got != tt.want {
			t.Errorf("Exec for %q:\n got %s\nwant %s", tt.path, got, tt.want)
		}
		args, err := parseExec(got)
		if err != nil || len(args) != 1 || args[0] != tt.path {
			t.Errorf("Exec=%s parses as %q, %v; want [%q]", got, args, err, tt.path)
		}
	}
}

// Every reserved character listed by the specification forces quotes.
func TestExecReservedCharactersQuoted(t *testing.T) {
	for _, r := range " \t\n\"'\\><~|&;$*?#`" {
		got := execArg("/a" + string(r) + "b")
		if !strings.HasPrefix(got, `"`) || !strings.HasSuffix(got, `"`) {
			t.Errorf("reserved %q: %s is not quoted", r, got)
		}
	}
}

func TestExecRoundTrip(t *testing.T) {
	for _, p := range []string{
		"/", "", `\`, `"`, `""`, `\"`, `\\$`, "%", "%%", "%f", "%U", " ", "/x y z",
		`/Users/Jean-François/Applications/Relais "test" & co; rm -rf ~ | cat > /dev/null #$HOME` + "`id`*?",
	} {
		line := escapeString(execArg(p))
		args, err := parseExec(line)
		if err != nil || len(args) != 1 || args[0] != p {
			t.Errorf("%q → Exec=%s → %q, %v", p, line, args, err)
		}
	}
}

func FuzzExecArg(f *testing.F) {
	for _, s := range []string{"/usr/bin/relais", `/a "b" $c \d`, "/100%", "/é~`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !utf8.ValidString(p) || hasControl(p) {
			t.Skip("refused by validate")
		}
		line := escapeString(execArg(p))
		args, err := parseExec(line)
		if err != nil || len(args) != 1 || args[0] != p {
			t.Fatalf("%q → Exec=%s → %q, %v", p, line, args, err)
		}
	})
}

func TestDesktopFile(t *testing.T) {
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/opt/Relais App/relais"}
	got := DesktopFile(e)
	if !strings.HasPrefix(got, "[Desktop Entry]\n") {
		t.Fatalf("does not start with the group header:\n%s", got)
	}
	keys := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(strings.TrimPrefix(got, "[Desktop Entry]\n")))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("line %q is not key=value", sc.Text())
		}
		if _, dup := keys[k]; dup {
			t.Errorf("key %s twice", k)
		}
		keys[k] = v
	}
	want := map[string]string{
		"Type":                      "Application",
		"Version":                   "1.4",
		"Name":                      "Relais",
		"Name[fr]":                  "Relais",
		"Comment":                   commentEN,
		"Comment[fr]":               commentFR,
		"Exec":                      `"/opt/Relais App/relais"`,
		"TryExec":                   "/opt/Relais App/relais",
		"Icon":                      "org.relais.Relais",
		"Terminal":                  "false",
		"X-GNOME-Autostart-enabled": "true",
		"X-Relais-Autostart":        "true",
	}
	for k, v := range want {
		if keys[k] != v {
			t.Errorf("%s=%q, want %q", k, keys[k], v)
		}
	}
	for k := range keys {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %s=%s", k, keys[k])
		}
	}
}

func TestEscapeString(t *testing.T) {
	for in, want := range map[string]string{
		"Relais":        "Relais",
		" lead":         `\slead`,
		"a b":           "a b",
		"a\\b\nc\td\re": `a\\b\nc\td\re`,
	} {
		if got := escapeString(in); got != want {
			t.Errorf("escapeString(%q) = %q, want %q", in, got, want)
		}
		if back, err := unescapeString(escapeString(in)); err != nil || back != in {
			t.Errorf("round trip of %q: %q, %v", in, back, err)
		}
	}
}

func TestValidate(t *testing.T) {
	good := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: "/usr/bin/relais"}
	if err := good.validate(); err != nil {
		t.Fatalf("valid entry refused: %v", err)
	}
	for name, mod := range map[string]func(*Entry){
		"empty AppID":       func(e *Entry) { e.AppID = "" },
		"AppID with slash":  func(e *Entry) { e.AppID = "../evil" },
		"AppID dot first":   func(e *Entry) { e.AppID = ".hidden" },
		"empty Name":        func(e *Entry) { e.Name = "" },
		"Name with newline": func(e *Entry) { e.Name = "Relais\nExec=/bin/evil" },
		"relative Exec":     func(e *Entry) { e.Exec = "relais" },
		"Exec with newline": func(e *Entry) { e.Exec = "/usr/bin/relais\n" },
		"Exec not UTF-8":    func(e *Entry) { e.Exec = "/usr/bin/\xffrelais" },
		"empty Exec":        func(e *Entry) { e.Exec = "" },
	} {
		e := good
		mod(&e)
		err := e.validate()
		if !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), "autostart: ") {
			t.Errorf("%s: %v, want ErrInvalidEntry prefixed autostart:", name, err)
		}
	}
}

// unescapeString undoes the string-type escapes of the specification; any
// other backslash sequence is an error.
func unescapeString(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", errors.New("trailing backslash")
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return b.String(), nil
}

// parseExec reads an Exec value the strict way the specification writes
// it, independently of execArg: string escapes first; then arguments
// separated by spaces, an unquoted one free of reserved characters, a
// quoted one where '"', '`', '$' and '\' appear only after a backslash and
// a backslash only before them; then "%%" as '%' and no other field code.
func parseExec(value string) ([]string, error) {
	s, err := unescapeString(value)
	if err != nil {
		return nil, err
	}
	const reserved = " \t\n\"'\\><~|&;$*?#`"
	var args []string
	for i := 0; i <= len(s); {
		var arg strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i == len(s) {
					return nil, errors.New("unterminated quote")
				}
				c := s[i]
				if c == '"' {
					i++
					break
				}
				if c == '`' || c == '$' {
					return nil, fmt.Errorf("unescaped %c inside quotes", c)
				}
				if c == '\\' {
					if i+1 == len(s) || !strings.ContainsRune("\"`$\\", rune(s[i+1])) {
						return nil, errors.New("backslash before a character that needs none")
					}
					i++
					c = s[i]
				}
				arg.WriteByte(c)
				i++
			}
			if i < len(s) && s[i] != ' ' {
				return nil, errors.New("text after a closing quote")
			}
		} else {
			for i < len(s) && s[i] != ' ' {
				if strings.IndexByte(reserved, s[i]) >= 0 {
					return nil, fmt.Errorf("reserved %q outside quotes", s[i])
				}
				arg.WriteByte(s[i])
				i++
			}
		}
		a, err := expandPercent(arg.String())
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		i++ // the separating space, or past the end
	}
	return args, nil
}

func expandPercent(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) || s[i+1] != '%' {
			return "", errors.New("field code or lone %")
		}
		b.WriteByte('%')
		i++
	}
	return b.String(), nil
}
