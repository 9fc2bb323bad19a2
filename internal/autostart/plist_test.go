package autostart

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLaunchAgentPlist(t *testing.T) {
	path := `/Applications/R&D <Relais>/"x" 'y'.app/Contents/MacOS/relais`
	e := Entry{AppID: "org.relais.Relais", Name: "Relais", Exec: path}
	doc := LaunchAgentPlist(e)

	for _, raw := range []string{"R&D", "<Relais>"} {
		if strings.Contains(doc, raw) {
			t.Errorf("%q is not escaped:\n%s", raw, doc)
		}
	}
	for _, esc := range []string{"R&amp;D", "&lt;Relais&gt;"} {
		if !strings.Contains(doc, esc) {
			t.Errorf("%q missing:\n%s", esc, doc)
		}
	}
	if !strings.Contains(doc, `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"`) {
		t.Errorf("no plist DOCTYPE:\n%s", doc)
	}

	dict := parsePlistDict(t, doc)
	want := map[string]string{
		"Label":            "string:org.relais.Relais",
		"ProgramArguments": "array:string:" + path,
		"RunAtLoad":        "true:",
		"ProcessType":      "string:Interactive",
	}
	if len(dict) != len(want) {
		t.Errorf("keys %v, want %v", dict, want)
	}
	for k, v := range want {
		if dict[k] != v {
			t.Errorf("%s = %q, want %q", k, dict[k], v)
		}
	}
}

// parsePlistDict decodes the top-level dict of a property list with
// encoding/xml into key → value, a value written "element:text" and an
// array "array:" followed by its single element.
func parsePlistDict(t *testing.T, doc string) map[string]string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	var path []string
	var key, text string
	dict := map[string]string{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			text = ""
		case xml.CharData:
			text += string(tok)
		case xml.EndElement:
			name := tok.Name.Local
			path = path[:len(path)-1]
			switch {
			case strings.Join(path, "/") == "plist/dict" && name == "key":
				key = text
			case strings.Join(path, "/") == "plist/dict" && name == "array":
				dict[key] = "array:" + dict[key]
			case strings.Join(path, "/") == "plist/dict/array":
				dict[key] = name + ":" + text
			case strings.Join(path, "/") == "plist/dict":
				dict[key] = name + ":" + text
			}
		}
	}
	if path := strings.Join(path, "/"); path != "" {
		t.Fatalf("unclosed elements %s", path)
	}
	return dict
}
