package wgconf

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A .conf saved by a Windows editor starts with a UTF-8 byte-order mark:
// it is read like the same file without one.
func TestParseBOM(t *testing.T) {
	data, err := os.ReadFile(testdata(t, "full.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse("full.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	withBOM := append([]byte{0xEF, 0xBB, 0xBF}, data...)
	got, err := Parse("full.conf", withBOM)
	if err != nil {
		t.Fatalf("a .conf with a BOM: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("with a BOM:\n%+v\nwithout:\n%+v", got, want)
	}
	// Through ReadFile too, and with CRLF line ends (Notepad writes both).
	path := filepath.Join(t.TempDir(), "it.conf")
	crlf := bytes.ReplaceAll(withBOM, []byte("\n"), []byte("\r\n"))
	if err := os.WriteFile(path, crlf, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(path); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadFile of a BOM+CRLF file: %v", err)
	}
}
